"""Object fields for conditions, read through the owning domains' services.

An update event's ``changes`` hold only what changed; a condition on ``area`` or
``segment`` needs the object as it is. Each reader is imported inside its function
(domains are optional to each other) and a missing object adds nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.models import ProductArea

__all__ = ["enrich"]


def _area(session: Session, area_id: Any) -> str | None:
    if area_id in (None, ""):
        return None
    area = session.get(ProductArea, int(area_id))
    return area.slug if area is not None else None


def _roadmap_item(session: Session, object_id: str) -> dict[str, Any]:
    from pilothouse.roadmap import items

    item = items.find_item(session, object_id)
    values = items.item_snapshot(session, item)
    values["area"] = _area(session, values.get("product_area_id"))
    return values


def _feedback_item(session: Session, fields: dict[str, Any]) -> dict[str, Any]:
    from pilothouse.accounts import service as accounts

    values: dict[str, Any] = {"area": _area(session, fields.get("product_area_id"))}
    account_id = fields.get("account_id")
    if account_id:
        account = accounts.get_account(session, int(account_id))
        arr = account.arr_cents / 100 if account.arr_cents is not None else None
        values.update(account=account.name, segment=account.segment, plan=account.plan, arr=arr)
    return values


def enrich(
    session: Session, object_type: str, object_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Current values of the object an event is about (empty when it is gone)."""
    from pilothouse.core.errors import NotFound

    try:
        if object_type == "roadmap_item":
            return _roadmap_item(session, object_id)
        if object_type == "feedback_item":
            return _feedback_item(session, fields)
    except NotFound:
        return {}
    return {}
