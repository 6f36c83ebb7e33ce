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


def _launch(session: Session, object_id: str) -> dict[str, Any]:
    from pilothouse.launches.common import find_launch

    launch = find_launch(session, object_id)
    area = launch.product_area
    return {
        "launch": launch.key,
        "name": launch.name,
        "area": area.slug if area is not None else None,
        "status": launch.status.value,
        "stage": launch.stage.name if launch.stage else None,
        "target_date": str(launch.target_date) if launch.target_date else None,
    }


def _experiment(session: Session, object_id: str) -> dict[str, Any]:
    from pilothouse.experiments.registry import find_experiment

    experiment = find_experiment(session, object_id)
    area = experiment.product_area
    return {
        "experiment": experiment.key,
        "name": experiment.name,
        "area": area.slug if area is not None else None,
        "status": experiment.status.value,
    }


def _decision(session: Session, object_id: str) -> dict[str, Any]:
    from pilothouse.decisions.history import decision_snapshot
    from pilothouse.decisions.service import find_decision

    snapshot = decision_snapshot(session, find_decision(session, int(object_id)))
    keys = ("key", "title", "status", "chosen_option", "superseded_by", "tags")
    return {"area": snapshot["product_area"], **{k: snapshot[k] for k in keys}}


#: Readers of the objects whose current values fill in what an event did not carry.
_FILL_IN = {"launch": _launch, "experiment": _experiment, "decision": _decision}


def enrich(
    session: Session, object_type: str, object_id: str, fields: dict[str, Any], label: str = ""
) -> dict[str, Any]:
    """Current values of the object an event is about (empty when it is gone).

    Roadmap and feedback items give their whole current state; launches, experiments
    and decisions their key, name, ``area`` (a slug) and status; a metric event names
    its ``metric``, a theme event its ``theme``. The caller keeps the event's own
    values where it has them."""
    from pilothouse.core.errors import NotFound

    if object_type == "metric":
        return {"metric": object_id}
    if object_type == "feedback_theme":
        return {"theme": fields.get("label") or fields.get("name") or label}
    try:
        if object_type == "roadmap_item":
            return _roadmap_item(session, object_id)
        if object_type == "feedback_item":
            return _feedback_item(session, fields)
        if object_type in _FILL_IN:
            return _FILL_IN[object_type](session, object_id)
    except (NotFound, ValueError):
        return {}
    return {}
