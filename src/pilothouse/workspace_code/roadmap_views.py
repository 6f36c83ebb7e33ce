"""Saved roadmap views as ``roadmap-views/<owner e-mail slug>--<name slug>.yaml``.

A view belongs to a person and names are not unique (two people may each keep a
"My bugs"), so a view's key is its owner's e-mail and its name, slugged
(``maya-ledgerly-example--q3-growth``); dashboards' roadmap-view tiles name views by
this key. The file holds ``name``, ``owner`` (e-mail), ``kind``, ``shared``, ``formula``,
``filters`` and ``columns``. Filters that stored an id are written by portable key (an
owner by e-mail, a product area by slug, an objective by key); those people, areas and
objectives are data, not configuration, and must exist in the target workspace.

Views are written with ``roadmap.views`` (which checks filters, columns and formula and
audits each change) acting for the owner, as the service only lets a person save their
own views; the audit label names the command line too. The views service cannot give a
view to another person, so a changed ``owner`` is refused. A view with share links or
dashboard tiles is "in use" and not deleted by ``--prune``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.areas import slugify
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.models import ProductArea, User
from pilothouse.ops.dashboards.models import DashboardTile
from pilothouse.roadmap import scoring, statuses
from pilothouse.roadmap import views as service
from pilothouse.roadmap.models import Objective, RoadmapView, ShareLink, ViewKind
from pilothouse.workspace_code.kinds import Kind, Values, check_fields
from pilothouse.workspace_code.references import view_keys
from pilothouse.workspace_code.yamltext import Parsed

__all__ = ["KIND"]

FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "owner": str,
    "kind": str,
    "shared": bool,
    "formula": str,
    "filters": dict,
    "columns": list,
}


def _portable_filter(session: Session, name: str, value: Any) -> Any:
    """A filter value that named an object by id, by that object's portable key."""
    text = str(value)
    if not text.isdigit():
        return value
    model, attribute = {
        "owner": (User, "email"),
        "product_area": (ProductArea, "slug"),
        "objective": (Objective, "key"),
    }.get(name, (None, ""))
    found = session.get(model, int(text)) if model is not None else None
    return getattr(found, attribute) if found is not None else value


def _statuses(session: Session, values: list[str]) -> list[str]:
    """Statuses by key (a filter may hold a status's id or name)."""
    out = []
    for value in values:
        try:
            out.append(statuses.find_status(session, value).key)
        except ValidationFailed:  # gone since: kept as saved, refused where applied
            out.append(value)
    return out


def _filters(session: Session, stored: dict[str, Any]) -> dict[str, Any]:
    """In the fixed order of the filter keys, so the file does not depend on the database."""
    out = {
        name: _portable_filter(session, name, stored[name])
        for name in service.FILTER_KEYS
        if name in stored
    }
    if isinstance(out.get("status"), list):
        out["status"] = _statuses(session, out["status"])
    return out


def _current(session: Session) -> dict[str, Values]:
    keys = view_keys(session)
    emails = {u.id: u.email for u in session.scalars(select(User))}
    return {
        keys[view.id]: {
            "name": view.name,
            "owner": emails.get(view.owner_id, ""),
            "kind": view.kind.value,
            "shared": bool(view.shared),
            "formula": view.formula,
            "filters": _filters(session, dict(view.filters or {})),
            "columns": list(view.columns or []),
        }
        for view in session.scalars(select(RoadmapView).order_by(RoadmapView.id))
    }


def _read(parsed: Parsed, key: str) -> tuple[Values, list[FieldError]]:
    problems = check_fields(parsed, FIELDS, ("name", "owner", "kind"))
    data = parsed.data
    kinds = [k.value for k in ViewKind]
    if isinstance(data.get("kind"), str) and data["kind"] not in kinds:
        problems.append(parsed.error("kind", f"one of {', '.join(kinds)}"))
    name, owner = data.get("name"), data.get("owner")
    if isinstance(name, str) and isinstance(owner, str):
        base = f"{slugify(owner)}--{slugify(name)}"
        if not re.fullmatch(rf"{re.escape(base)}(-\d+)?", key):
            wrong = "name" if key.startswith(f"{slugify(owner)}--") else "owner"
            problems.append(parsed.error(wrong, f"the file for this owner and name is {base!r}"))
    values = {
        "name": name,
        "owner": owner,
        "kind": data.get("kind"),
        "shared": bool(data.get("shared", False)),
        "formula": data.get("formula") or "rice",
        "filters": data.get("filters") or {},
        "columns": data.get("columns") or [],
    }
    return values, problems


def _owner(session: Session, actor: Actor, email: str) -> Actor:
    """``actor`` acting for the view's owner (the service saves a view for its owner)."""
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        raise ValidationFailed(
            f"owner: no active user {email!r}",
            errors=[FieldError("owner", f"no active user {email!r}")],
        )
    return replace(actor, user_id=user.id, label=f"{actor.label} (for {user.email})")


def _find(session: Session, key: str) -> RoadmapView:
    view_id = next(i for i, k in view_keys(session).items() if k == key)
    return session.get_one(RoadmapView, view_id)


def _put(session: Session, actor: Actor, key: str, values: Values, before: Values | None) -> None:
    owner = _owner(session, actor, values["owner"])
    fields = {k: v for k, v in values.items() if k != "owner"}
    if before is None:
        service.create_view(session, owner, fields)
        return
    if before["owner"].lower() != values["owner"].lower():
        message = f"cannot change from {before['owner']!r}; a view stays with its owner"
        raise ValidationFailed(f"owner: {message}", errors=[FieldError("owner", message)])
    service.update_view(session, owner, _find(session, key), fields)


def _in_use(session: Session, key: str) -> str | None:
    view = _find(session, key)
    shares = session.scalar(
        select(func.count()).select_from(ShareLink).where(ShareLink.view_id == view.id)
    )
    tiles = session.scalars(select(DashboardTile).where(DashboardTile.kind == "roadmap_view"))
    used = sum(1 for tile in tiles if str((tile.config or {}).get("view")) == str(view.id))
    reasons = [f"{shares} share links"] * bool(shares) + [f"{used} dashboard tiles"] * bool(used)
    return " and ".join(reasons) or None


def _remove(session: Session, actor: Actor, key: str) -> None:
    service.delete_view(session, actor, _find(session, key))


def _refers(values: Values) -> list[tuple[str, str, str]]:
    """The custom formula and the custom-field columns the view uses."""
    out = []
    formula = values.get("formula")
    if isinstance(formula, str) and formula not in scoring.BUILTIN_FORMULAS:
        out.append(("formula", "formulas", formula))
    for index, column in enumerate(values.get("columns") or []):
        if isinstance(column, str) and column.startswith("field:"):
            out.append((f"columns.{index}", "fields", column.removeprefix("field:")))
    return out


KIND = Kind("roadmap-views", _current, _read, _put, _remove, _in_use, refers=_refers)
