"""What changed on the roadmap in a period, read from the audit log.

Every change to a roadmap item is an audit event (``roadmap_item.created``,
``.updated`` with a ``status`` change, ``.moved`` on the board, ``.deleted``), so the
digest needs no history tables of its own. Per item the period is summarised: a new
item is listed once as new (its later moves are part of being new); a status that
went A → B → A is no change; several moves keep the first "from" and the last "to".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit_log import AuditFilter, list_events
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.core.references import Reference, resolve
from pilothouse.roadmap.statuses import list_statuses

__all__ = ["KINDS", "RoadmapChange", "roadmap_changes"]

#: The kinds of change, in the order the digest lists them.
KINDS = ("created", "status", "rank", "removed")
#: The digest reads the log as the system (the log itself is for admins only).
_READER = Actor(None, "reports", Role.admin)


@dataclass(frozen=True)
class RoadmapChange:
    """One item's change in the period; ``text`` says what (``Next → Now``)."""

    item: Reference
    kind: str
    text: str
    at: datetime
    actor: str


def _events(session: Session, start: datetime, stop: datetime) -> list[Any]:
    where = AuditFilter(object_type="roadmap_item", since=start, until=stop)
    out: list[Any] = []
    cursor: str | None = None
    while True:
        page = list_events(session, _READER, PageRequest(limit=200, cursor=cursor), where)
        out += page.items
        if not page.next_cursor:
            return sorted(out, key=lambda e: e.id)
        cursor = page.next_cursor


def _kind(event: Any) -> str | None:
    if event.name == "roadmap_item.created":
        return "created"
    if event.name == "roadmap_item.deleted":
        return "removed"
    if event.name == "roadmap_item.moved":
        return "rank"
    if event.name == "roadmap_item.updated" and "status" in (event.changes or {}):
        return "status"
    return None


def _span(first: Any, last: Any, field: str) -> tuple[Any, Any]:
    return (first.changes.get(field) or {}).get("before"), (last.changes.get(field) or {}).get(
        "after"
    )


def _text(kind: str, group: list[Any], names: dict[str, str]) -> str | None:
    if kind == "created":
        return "new " + str((group[0].changes.get("kind") or {}).get("after") or "item")
    if kind == "removed":
        return "removed"
    if kind == "status":
        old, new = _span(group[0], group[-1], "status")
        return None if old == new else f"{names.get(old, old)} → {names.get(new, new)}"
    old, new = _span(group[0], group[-1], "horizon")
    position = (group[-1].changes.get("position") or {}).get("after")
    where = f"{old or 'unplanned'} → {new}" if old != new else f"re-ranked in {new}"
    return f"{where}, position {position}" if position else where


def roadmap_changes(
    session: Session, start: datetime, stop: datetime, runtime: Any = None
) -> list[RoadmapChange]:
    """Changes to roadmap items in ``[start, stop)``, by kind (:data:`KINDS`) then time."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for event in _events(session, start, stop):
        kind = _kind(event)
        if kind is not None:
            groups[(event.object_id, kind)].append(event)
    new = {item for item, kind in groups if kind == "created"}
    names = {s.key: s.name for s in list_statuses(session)}
    refs = resolve(session, [ObjectRef("roadmap_item", i) for i, _ in groups], runtime)
    out = []
    for (item_id, kind), group in groups.items():
        if item_id in new and kind in ("status", "rank"):
            continue
        text = _text(kind, group, names)
        if text is None:
            continue
        ref = refs[ObjectRef("roadmap_item", item_id)]
        if ref.deleted or ref.url is None:  # gone since: keep the name it had
            label = group[-1].object_label
            ref = Reference("roadmap_item", item_id, label, None, "Roadmap item", deleted=True)
        out.append(RoadmapChange(ref, kind, text, group[-1].created_at, group[-1].actor_label))
    return sorted(out, key=lambda c: (KINDS.index(c.kind), c.at, c.item.label))
