"""Roadmap items: initiatives → features → ideas, with stable public keys.

Keys are ``INIT-n``, ``FEAT-n`` and ``IDEA-n``, numbered per prefix and never
reused. Changing an item's kind (promoting an idea to a feature) gives it a key
of the new kind; its earlier keys keep resolving to it. A parent's kind is never
below its child's (an idea cannot hold a feature), and a parent can never be one
of the item's own descendants. Every change is audited field by field, custom
field values, tags and objectives included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import Conflict, FieldError, NotFound
from pilothouse.core.ids import parse_id
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Link, Role
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap.common import (
    clean_name,
    invalid,
    next_key,
    parse_date,
    parse_quarter,
    resolve_area,
    resolve_user,
)
from pilothouse.roadmap.models import (
    KEY_PREFIXES,
    NUMERIC_INPUTS,
    ItemKey,
    ItemKind,
    ItemObjective,
    ItemTag,
    Objective,
    RoadmapItem,
    WorkflowStatus,
)
from pilothouse.roadmap.objectives import find_objective
from pilothouse.roadmap.statuses import default_status, find_status

__all__ = [
    "BRIEF_ITEM_LOADING",
    "ITEM_LOADING",
    "ITEM_OBJECT_TYPE",
    "MAX_DEPTH",
    "children_of",
    "create_item",
    "delete_item",
    "find_item",
    "find_items_by_id",
    "find_parent",
    "item_ref",
    "item_snapshot",
    "link_item",
    "parent_of",
    "unlink_item",
    "update_item",
]

ITEM_OBJECT_TYPE = "roadmap_item"
MAX_DEPTH = 10
MAX_TAGS = 50
AUDITED_ITEM_FIELDS = (
    "key",
    "kind",
    "title",
    "description",
    "owner_id",
    "product_area_id",
    "target_quarter",
    "start_date",
    "target_date",
    *NUMERIC_INPUTS,
)
#: Inputs with a bounded range; the others only need to be zero or more.
RANGES = {"confidence": (0.0, 100.0)}
#: Inputs the standard formulas divide by (RICE, ICE-like effort; WSJF job size): zero would
#: only show up later as "division by zero" in the score, so it is refused here.
DIVISORS = frozenset({"effort", "job_size"})


#: Loading for a whole item: its objectives come without their key results, which an
#: item's answer, page and audit snapshot never show (one statement fewer per item
#: read); they load if something asks for them.
ITEM_LOADING = (
    selectinload(RoadmapItem.objective_rows)
    .joinedload(ItemObjective.objective)
    .lazyload(Objective.key_results),
)

#: Loading for items shown by name and status only (a launch's features): the status
#: comes in the same statement, tags, fields, objectives and references when asked for.
BRIEF_ITEM_LOADING = (lazyload("*"), joinedload(RoadmapItem.status))


def item_ref(item: RoadmapItem) -> ObjectRef:
    """How other domains link to an item: type ``roadmap_item`` and the numeric id."""
    return ObjectRef(ITEM_OBJECT_TYPE, str(item.id))


#: An item by any key it ever had, with its key looked up in the same statement. Built
#: once: an item's answer, page and edit each start here.
_ITEM_BY_KEY = (
    select(RoadmapItem)
    .join(ItemKey, ItemKey.item_id == RoadmapItem.id)
    .where(ItemKey.key == bindparam("item_key"))
    .options(*ITEM_LOADING)
)


def find_item(session: Session, ref: str | int) -> RoadmapItem:
    """An item by numeric id or by any key it ever had (``feat-12`` works too)."""
    text = str(ref).strip()
    item_id = parse_id(text)
    if item_id is None:
        item = session.scalars(_ITEM_BY_KEY, {"item_key": text.upper()}).first()
    else:
        item = session.get(RoadmapItem, item_id, options=ITEM_LOADING)
    if item is None:
        raise NotFound(f"no roadmap item {text!r}")
    return item


def find_items_by_id(
    session: Session, ids: Iterable[int], *, brief: bool = False
) -> dict[int, RoadmapItem]:
    """Items by numeric id, in one statement (and one per eager collection), whatever
    their number; ids with no item are left out. For lists of linked items: a launch's
    features loaded one :func:`find_item` at a time cost five statements each.

    ``brief`` items come in one statement with their status only (see
    :data:`BRIEF_ITEM_LOADING`); the rest loads per item if something reads it.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(RoadmapItem).where(RoadmapItem.id.in_(wanted))
    if brief:
        query = query.options(*BRIEF_ITEM_LOADING)
    return {item.id: item for item in session.scalars(query)}


def children_of(session: Session, item: RoadmapItem) -> list[RoadmapItem]:
    """The items directly under ``item``, brief (:data:`BRIEF_ITEM_LOADING`): they are
    listed by key, title, kind and status, and checked by kind before a move or delete."""
    query = select(RoadmapItem).where(RoadmapItem.parent_id == item.id).order_by(RoadmapItem.id)
    return list(session.scalars(query.options(*BRIEF_ITEM_LOADING)))


def parent_of(session: Session, item: RoadmapItem) -> RoadmapItem | None:
    """The item's parent, kept on the item for the rest of the session.

    Pages, snapshots and answers show only the parent's key, so a parent not loaded yet
    is read without its tags, fields, objectives and references (one statement, not
    five); those load if something asks for them.
    """
    if item.parent_id is None:
        return None
    state = inspect(item)
    if state.session is not session or state.pending:  # detached, elsewhere or new
        return session.get(RoadmapItem, item.parent_id, options=[lazyload("*")])
    if "parent" not in state.unloaded:
        return item.parent
    # ``light`` holds the row while the relationship loads (the identity map keeps
    # objects weakly), so ``item.parent`` finds it there without a statement.
    light = session.get(RoadmapItem, item.parent_id, options=[lazyload("*")])
    return item.parent if light is not None else None


def item_snapshot(session: Session, item: RoadmapItem) -> dict[str, Any]:
    """Every audited value of an item, with references shown by their keys."""
    values = snapshot(item, AUDITED_ITEM_FIELDS)
    status = session.get(WorkflowStatus, item.status_id) if item.status_id else None
    parent = parent_of(session, item)
    values["status"] = status.key if status else None
    values["parent"] = parent.key if parent else None
    values["tags"] = sorted(item.tags)
    values["objectives"] = sorted(row.objective.key for row in item.objective_rows)
    for key, value in custom_fields.values_of(item).items():
        values[f"fields.{key}"] = value
    return values


def _number(name: str, raw: Any) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise invalid(name, f"a number expected, got {raw!r}") from None
    low, high = RANGES.get(name, (0.0, math.inf))
    if name in DIVISORS and math.isfinite(value) and value <= 0:
        raise invalid(name, "must be greater than zero (the score divides by it)")
    if not math.isfinite(value) or not low <= value <= high:
        bound = f"from {low:g} to {high:g}" if high != math.inf else "zero or more"
        raise invalid(name, f"must be {bound}")
    return value


def _tags(raw: Any) -> list[str]:
    values = raw.split(",") if isinstance(raw, str) else list(raw or [])
    tags: list[str] = []
    for value in values:
        tag = str(value).strip()
        if not tag:
            continue
        if len(tag) > 64:
            raise invalid("tags", f"tag {tag[:20]!r}... is longer than 64 characters")
        if tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise invalid("tags", f"at most {MAX_TAGS} tags")
    return tags


def _set_tags(item: RoadmapItem, tags: list[str]) -> None:
    keep = {t.lower() for t in tags}
    for row in list(item.tag_rows):
        if row.tag.lower() not in keep:
            item.tag_rows.remove(row)
    have = {row.tag.lower() for row in item.tag_rows}
    for tag in tags:
        if tag.lower() not in have:
            item.tag_rows.append(ItemTag(tag=tag))


def _set_objectives(session: Session, item: RoadmapItem, refs: Any) -> None:
    wanted: dict[int, Objective] = {}
    for index, ref in enumerate(refs or []):
        objective = find_objective(session, ref, field=f"objectives.{index}")
        wanted[objective.id] = objective
    for row in list(item.objective_rows):
        if row.objective_id not in wanted:
            item.objective_rows.remove(row)
    have = {row.objective_id for row in item.objective_rows}
    for objective_id, objective in wanted.items():
        if objective_id not in have:
            item.objective_rows.append(
                ItemObjective(objective_id=objective_id, objective=objective)
            )


def _check_parent(session: Session, item: RoadmapItem, parent: RoadmapItem | None) -> None:
    if parent is None:
        return
    if parent.kind.level < item.kind.level:
        raise invalid(
            "parent",
            f"{parent.key} is {_a(parent.kind)} and cannot hold {_a(item.kind)}",
        )
    path, current = [parent], parent
    while current.parent_id is not None:
        if item.id is not None and current.id == item.id:
            break
        current = session.get(RoadmapItem, current.parent_id)  # type: ignore[assignment]
        path.append(current)
        if len(path) > MAX_DEPTH + 1:
            raise invalid("parent", f"the hierarchy may be at most {MAX_DEPTH} levels deep")
    if item.id is not None and any(p.id == item.id for p in path):
        chain = " → ".join([item.key, *(p.key for p in path)])
        raise Conflict(
            f"{parent.key} cannot be the parent of {item.key}: that would make a cycle ({chain})",
            errors=[FieldError("parent", f"cycle: {chain}")],
        )


def _a(kind: ItemKind) -> str:
    return f"an {kind.value}" if kind.value[0] in "aeiou" else f"a {kind.value}"


def _check_children(session: Session, item: RoadmapItem) -> None:
    for child in children_of(session, item):
        if child.kind.level > item.kind.level:
            raise invalid("kind", f"{child.key} is {_a(child.kind)} under it; move it first")


def _set_kind(session: Session, item: RoadmapItem, kind: ItemKind) -> None:
    if item.kind == kind:
        return
    item.kind = kind
    item.key = next_key(session, KEY_PREFIXES[kind])
    session.add(ItemKey(key=item.key, item_id=item.id))
    _check_children(session, item)


def _apply(session: Session, item: RoadmapItem, values: Mapping[str, Any]) -> None:  # noqa: C901
    """Apply the given values to ``item``; keys not given stay as they are."""
    if "title" in values:
        item.title = clean_name(values["title"], "title")
    if "description" in values:
        item.description = (values["description"] or "").strip()
    if "status" in values and values["status"] is not None:
        item.status_id = find_status(session, values["status"]).id
    if "owner_id" in values:
        item.owner_id = resolve_user(session, values["owner_id"], "owner_id")
    if "product_area_id" in values:
        item.product_area_id = resolve_area(session, values["product_area_id"])
    if "target_quarter" in values:
        item.target_quarter = parse_quarter(values["target_quarter"])
    for name in ("start_date", "target_date"):
        if name in values:
            setattr(item, name, parse_date(values[name], name))
    if item.start_date and item.target_date and item.start_date > item.target_date:
        raise invalid("target_date", "must not be before start_date")
    for name in NUMERIC_INPUTS:
        if name in values:
            setattr(item, name, _number(name, values[name]))
    if "tags" in values:
        _set_tags(item, _tags(values["tags"]))
    if "objectives" in values:
        _set_objectives(session, item, values["objectives"])
    if values.get("fields"):
        custom_fields.set_values(session, item, values["fields"])
    if "parent" in values:
        parent = find_parent(session, values["parent"])
        _check_parent(session, item, parent)
        item.parent_id = parent.id if parent else None


def find_parent(session: Session, ref: Any) -> RoadmapItem | None:
    if ref is None or ref == "":
        return None
    try:
        return find_item(session, ref)
    except NotFound:
        raise invalid("parent", f"no roadmap item {ref!r}") from None


def create_item(
    session: Session, actor: Actor, values: Mapping[str, Any], *, audit: bool = True
) -> RoadmapItem:
    """Create an item from ``values`` (``kind`` and ``title`` needed; see the schemas)."""
    actor.require(Role.editor, write=True)
    try:
        kind = ItemKind(values.get("kind") or ItemKind.idea)
    except ValueError:
        raise invalid("kind", "initiative, feature or idea") from None
    item = RoadmapItem(
        kind=kind,
        key=next_key(session, KEY_PREFIXES[kind]),
        title=clean_name(values.get("title"), "title"),
        status_id=default_status(session).id,
        created_by_id=actor.user_id,
    )
    session.add(item)
    session.flush()
    session.add(ItemKey(key=item.key, item_id=item.id))
    _apply(session, item, values)
    session.flush()
    if audit:
        record_change(
            session,
            actor,
            object_type=ITEM_OBJECT_TYPE,
            object_id=item.id,
            action=Action.created,
            label=f"{item.key} {item.title}",
            after=item_snapshot(session, item),
        )
    return item


def update_item(
    session: Session, actor: Actor, item: RoadmapItem, values: Mapping[str, Any]
) -> RoadmapItem:
    """Change the given values; ``kind`` changes the key (old keys keep resolving)."""
    actor.require(Role.editor, write=True)
    before = item_snapshot(session, item)
    if values.get("kind") is not None:
        try:
            _set_kind(session, item, ItemKind(values["kind"]))
        except ValueError:
            raise invalid("kind", "initiative, feature or idea") from None
        if "parent" not in values and item.parent_id is not None:
            _check_parent(session, item, session.get(RoadmapItem, item.parent_id))
    status_id, parent_id = item.status_id, item.parent_id
    _apply(session, item, values)
    session.flush()
    stale = [
        name
        for name, was, now in (
            ("status", status_id, item.status_id),
            ("parent", parent_id, item.parent_id),
        )
        if was != now
    ]
    if stale:  # relationships that still show the old row
        session.expire(item, stale)
    record_change(
        session,
        actor,
        object_type=ITEM_OBJECT_TYPE,
        object_id=item.id,
        action=Action.updated,
        label=f"{item.key} {item.title}",
        before=before,
        after=item_snapshot(session, item),
    )
    return item


def delete_item(session: Session, actor: Actor, item: RoadmapItem) -> None:
    """Delete an item and its links; refused while other items sit under it."""
    actor.require(Role.editor, write=True)
    children = children_of(session, item)
    if children:
        keys = ", ".join(c.key for c in children[:10])
        raise Conflict(
            f"{item.key} has items under it ({keys}); move or delete them first",
            errors=[FieldError("children", keys)],
        )
    refs = [item_ref(item)] + [
        ObjectRef(ITEM_OBJECT_TYPE, key)
        for key in session.scalars(select(ItemKey.key).where(ItemKey.item_id == item.id))
    ]
    for ref in refs:
        for link in links_of(session, ref):
            remove_link(session, actor, link)
    record_change(
        session,
        actor,
        object_type=ITEM_OBJECT_TYPE,
        object_id=item.id,
        action=Action.deleted,
        label=f"{item.key} {item.title}",
        before=item_snapshot(session, item),
    )
    session.delete(item)
    session.flush()


def unlink_item(session: Session, actor: Actor, item: RoadmapItem, link_id: int) -> None:
    """Remove link ``link_id``, which must start or end at ``item``."""
    link = session.get(Link, link_id)
    mine = {(ITEM_OBJECT_TYPE, str(item.id))} | {
        (ITEM_OBJECT_TYPE, key)
        for key in session.scalars(select(ItemKey.key).where(ItemKey.item_id == item.id))
    }
    if link is None or not {(link.from_type, link.from_id), (link.to_type, link.to_id)} & mine:
        raise NotFound(f"{item.key} has no link {link_id}")
    remove_link(session, actor, link)


def link_item(
    session: Session, actor: Actor, item: RoadmapItem, to_type: str, to_id: str, kind: str
) -> Any:
    """Link an item to an object of another domain. Feedback links point at the item
    (``feedback_item`` → ``roadmap_item``), as the feedback domain makes them, so they
    count as evidence; every other link points from the item."""
    to_type, to_id = to_type.strip(), to_id.strip()
    if not to_type or not to_id or len(to_type) > 64 or len(to_id) > 64:
        raise invalid("to_id", "type and id of 1 to 64 characters")
    if to_type.startswith("feedback_"):
        return add_link(session, actor, ObjectRef(to_type, to_id), item_ref(item), kind)
    return add_link(session, actor, item_ref(item), ObjectRef(to_type, to_id), kind)
