"""Launches: made from a template for one or more features, with owners and dates.

Creating a launch copies the template's stages, items and gates. Each item's due
date is the GA (target) date plus its offset; its owner is the person given for its
owner role (``owners={"PM": "dana@example.com"}``), else the launch owner. Each
gate's approvers are the template's named approvers unless ``approvers`` names
others for that gate. Moving the target date moves every due date with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, lazyload, selectinload

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.db import is_reading, reading_memo, utcnow
from pilothouse.core.errors import Conflict, FieldError, NotFound
from pilothouse.core.ids import parse_id
from pilothouse.core.links import ObjectRef, add_link, links_of, remove_link
from pilothouse.core.models import Role
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.launches.common import (
    FEATURE_LINK_KIND,
    LAUNCH_OBJECT_TYPE,
    clean_name,
    find_template,
    invalid,
    launch_label,
    launch_ref,
    next_key,
    parse_date,
    resolve_area,
    resolve_user,
)
from pilothouse.launches.models import (
    GateApproval,
    Launch,
    LaunchGate,
    LaunchItem,
    LaunchStage,
    LaunchStatus,
    LaunchTemplate,
    TemplateStage,
)
from pilothouse.launches.waiting import note_waiting_gates
from pilothouse.roadmap import items as roadmap_items
from pilothouse.roadmap.models import RoadmapItem

__all__ = [
    "add_feature",
    "create_launch",
    "delete_launch",
    "features_of",
    "launch_query",
    "launch_snapshot",
    "list_launches",
    "remove_feature",
    "update_launch",
]

AUDITED_FIELDS = (
    "key",
    "name",
    "description",
    "owner_id",
    "product_area_id",
    "target_date",
    "status",
    "current_stage",
    "template_name",
)
#: What ``status`` may be set to by hand; the others follow from passing gates.
SETTABLE_STATUSES = (LaunchStatus.cancelled, LaunchStatus.planned)


def launch_snapshot(session: Session, launch: Launch) -> dict[str, Any]:
    values = snapshot(launch, AUDITED_FIELDS)
    values["stage"] = launch.stage.name if launch.stage else None
    values["features"] = sorted(f.key for f in features_of(session, launch))
    return values


def features_of(session: Session, launch: Launch) -> list[RoadmapItem]:
    """The roadmap items this launch ships, through the roadmap's service (oldest link first).

    A reading session keeps the answer per launch: the launch page asks twice (its
    features, then its impact chain), and nothing can change them within a GET.
    """
    if not is_reading(session):
        return _features_of(session, launch)
    kept: dict[int, list[RoadmapItem]] = reading_memo(session, "launch_features")
    if launch.id not in kept:
        kept[launch.id] = _features_of(session, launch)
    return list(kept[launch.id])


def _features_of(session: Session, launch: Launch) -> list[RoadmapItem]:
    """The linked items that still exist, in link order, each once.

    Links made here name items by id, and those are loaded together; a link that names
    an item by key (an automation's ``link`` action may write ``roadmap_item:FEAT-12``)
    is looked up on its own.
    """
    refs = [
        link.to_id
        for link in links_of(session, launch_ref(launch), kind=FEATURE_LINK_KIND)
        if link.to_type == roadmap_items.ITEM_OBJECT_TYPE
    ]
    # Shown by key, title and status (pages, snapshots, answers); what else a caller
    # reads of them (release notes' descriptions are columns too) loads when read.
    by_id = roadmap_items.find_items_by_id(session, filter(None, map(parse_id, refs)), brief=True)
    found: dict[int, RoadmapItem] = {}
    for ref in refs:
        item_id = parse_id(ref)
        item = by_id.get(item_id) if item_id is not None else _item_by_key(session, ref)
        if item is not None:
            found.setdefault(item.id, item)
    return list(found.values())


def _item_by_key(session: Session, key: str) -> RoadmapItem | None:
    try:
        return roadmap_items.find_item(session, key)
    except NotFound:
        return None


def _feature(session: Session, ref: Any, field: str) -> RoadmapItem:
    try:
        return roadmap_items.find_item(session, ref)
    except NotFound:
        raise invalid(field, f"no roadmap item {ref!r}") from None


def _owner_for(
    session: Session, owners: Mapping[str, Any], role: str, default: int | None
) -> int | None:
    for key, ref in owners.items():
        if key.strip().lower() == role.strip().lower() and role:
            return resolve_user(session, ref, f"owners.{key}")
    return default


def _approvers_for(
    session: Session, approvers: Mapping[str, Any], gate_name: str, default: list[int]
) -> list[int]:
    for key, refs in approvers.items():
        if key.strip().lower() == gate_name.strip().lower():
            ids = [resolve_user(session, r, f"approvers.{key}") for r in refs or []]
            chosen = list(dict.fromkeys(i for i in ids if i is not None))
            if not chosen:
                raise invalid(f"approvers.{key}", "a gate needs at least one named approver")
            return chosen
    return list(default)


def _copy_stage(
    session: Session,
    source: TemplateStage,
    target_date: date,
    values: Mapping[str, Any],
    owner_id: int | None,
) -> LaunchStage:
    owners = values.get("owners") or {}
    approvers = values.get("approvers") or {}
    return LaunchStage(
        position=source.position,
        name=source.name,
        offset_days=source.offset_days,
        due_date=target_date + timedelta(days=source.offset_days),
        items=[
            LaunchItem(
                position=item.position,
                title=item.title,
                owner_role=item.owner_role,
                owner_id=_owner_for(session, owners, item.owner_role, owner_id),
                due_date=target_date + timedelta(days=item.offset_days),
                required=item.required,
            )
            for item in source.items
        ],
        gates=[
            LaunchGate(
                position=gate.position,
                name=gate.name,
                approvals=[
                    GateApproval(approver_id=user_id)
                    for user_id in _approvers_for(session, approvers, gate.name, gate.approver_ids)
                ],
            )
            for gate in source.gates
        ],
    )


def _check_names(values: Mapping[str, Any], template: LaunchTemplate) -> None:
    """Owner roles and gate names given must exist in the template: a typo is an error."""
    roles = {i.owner_role.lower() for s in template.stages for i in s.items}
    gates = {g.name.lower() for s in template.stages for g in s.gates}
    for key in values.get("owners") or {}:
        if key.strip().lower() not in roles:
            raise invalid(f"owners.{key}", f"{template.name!r} has no items for role {key!r}")
    for key in values.get("approvers") or {}:
        if key.strip().lower() not in gates:
            raise invalid(f"approvers.{key}", f"{template.name!r} has no gate {key!r}")


def create_launch(session: Session, actor: Actor, values: Mapping[str, Any]) -> Launch:
    """Create a launch from ``values``: ``template``, ``name``, ``target_date`` needed;
    ``features``, ``owner``, ``product_area``, ``owners``, ``approvers`` optional."""
    actor.require(Role.editor, write=True)
    template = find_template(session, values.get("template"))
    target = parse_date(values.get("target_date"), "target_date")
    if target is None:
        raise invalid("target_date", "the GA date is needed (YYYY-MM-DD)")
    _check_names(values, template)
    owner_id = resolve_user(session, values.get("owner"), "owner") or actor.user_id
    launch = Launch(
        key=next_key(session),
        name=clean_name(values.get("name"), "name"),
        description=str(values.get("description") or "").strip(),
        template_id=template.id,
        template_name=template.name,
        product_area_id=resolve_area(session, values.get("product_area"), "product_area"),
        owner_id=owner_id,
        target_date=target,
        status=LaunchStatus.planned,
        current_stage=0,
        created_by_id=actor.user_id,
        stages=[_copy_stage(session, s, target, values, owner_id) for s in template.stages],
    )
    launch.stages[0].entered_at = utcnow()
    session.add(launch)
    session.flush()
    for index, ref in enumerate(values.get("features") or []):
        item = _feature(session, ref, f"features.{index}")
        add_link(
            session, actor, launch_ref(launch), roadmap_items.item_ref(item), FEATURE_LINK_KIND
        )
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.created,
        label=launch_label(launch),
        after=launch_snapshot(session, launch),
    )
    note_waiting_gates(session, actor, launch)  # a first stage without required items
    return launch


def _shift_dates(launch: Launch, new_target: date) -> None:
    delta = new_target - launch.target_date
    for stage in launch.stages:
        stage.due_date += delta
        for item in stage.items:
            item.due_date += delta
    launch.target_date = new_target


def _set_status(launch: Launch, raw: Any) -> None:
    try:
        status = LaunchStatus(raw)
    except ValueError:
        raise invalid("status", "planned, in_progress, launched or cancelled") from None
    if status == launch.status:
        return
    if status not in SETTABLE_STATUSES:
        raise invalid("status", f"{status.value} follows from passing gates; use advance instead")
    if launch.status is LaunchStatus.launched:
        raise Conflict(
            f"{launch.key} has launched; it cannot be {status.value} any more",
            errors=[FieldError("status", "launched")],
        )
    if status is LaunchStatus.cancelled:
        launch.status = status
    else:  # re-open a cancelled launch where it stood
        launch.status = (
            LaunchStatus.planned if launch.current_stage == 0 else (LaunchStatus.in_progress)
        )


def update_launch(
    session: Session, actor: Actor, launch: Launch, values: Mapping[str, Any]
) -> Launch:
    """Change the given fields. ``status`` may be set to ``cancelled`` (or back to
    ``planned`` to re-open); a new ``target_date`` moves every due date with it."""
    actor.require(Role.editor, write=True)
    before = launch_snapshot(session, launch)
    if "name" in values and values["name"] is not None:
        launch.name = clean_name(values["name"], "name")
    if "description" in values and values["description"] is not None:
        launch.description = str(values["description"]).strip()
    if "owner" in values:
        launch.owner_id = resolve_user(session, values["owner"], "owner")
    if "product_area" in values:
        launch.product_area_id = resolve_area(session, values["product_area"], "product_area")
    if values.get("target_date") is not None:
        target = parse_date(values["target_date"], "target_date")
        assert target is not None
        _shift_dates(launch, target)
    if values.get("status") is not None:
        _set_status(launch, values["status"])
    session.flush()
    session.expire(launch, ["owner", "product_area"])
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch),
        before=before,
        after=launch_snapshot(session, launch),
    )
    if values.get("status") is not None:
        note_waiting_gates(session, actor, launch)  # cancelled: stopped; re-opened: waits
    return launch


def delete_launch(session: Session, actor: Actor, launch: Launch) -> None:
    """Delete a launch with its stages and links; its key is never given again."""
    actor.require(Role.editor, write=True)
    before = launch_snapshot(session, launch)
    for link in links_of(session, launch_ref(launch)):
        remove_link(session, actor, link)
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.deleted,
        label=launch_label(launch),
        before=before,
    )
    session.delete(launch)
    session.flush()


def add_feature(session: Session, actor: Actor, launch: Launch, ref: Any) -> RoadmapItem:
    """Attach a roadmap item (by key or id) to the launch; audited as a link and a change."""
    actor.require(Role.editor, write=True)
    before = launch_snapshot(session, launch)
    item = _feature(session, ref, "feature")
    add_link(session, actor, launch_ref(launch), roadmap_items.item_ref(item), FEATURE_LINK_KIND)
    _audit_features(session, actor, launch, before)
    return item


def remove_feature(session: Session, actor: Actor, launch: Launch, ref: Any) -> None:
    actor.require(Role.editor, write=True)
    before = launch_snapshot(session, launch)
    item = _feature(session, ref, "feature")
    target = roadmap_items.item_ref(item)
    found = [
        link
        for link in links_of(session, launch_ref(launch), kind=FEATURE_LINK_KIND)
        if ObjectRef(link.to_type, link.to_id) == target
    ]
    if not found:
        raise NotFound(f"{launch.key} does not ship {item.key}")
    for link in found:
        remove_link(session, actor, link)
    _audit_features(session, actor, launch, before)


def _audit_features(session: Session, actor: Actor, launch: Launch, before: dict[str, Any]) -> None:
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch),
        before=before,
        after=launch_snapshot(session, launch),
    )


def launch_query(
    *,
    status: list[LaunchStatus] | None = None,
    product_area_id: int | None = None,
    search: str | None = None,
) -> Select[Any]:
    query = select(Launch)
    if status:
        query = query.where(Launch.status.in_(status))
    if product_area_id is not None:
        query = query.where(Launch.product_area_id == product_area_id)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(func.lower(Launch.name).like(pattern), func.lower(Launch.key).like(pattern))
        )
    return query


#: What a launch's brief reads (stage names, checklist and approval counts): the people
#: on checklist items and approvals, joined by default for the launch page, stay unread.
#: ``GET /api/v1/launches`` read two users per checklist item for nothing.
BRIEF_LOADING = selectinload(Launch.stages).options(
    selectinload(LaunchStage.items).options(
        lazyload(LaunchItem.owner), lazyload(LaunchItem.done_by)
    ),
    selectinload(LaunchStage.gates)
    .selectinload(LaunchGate.approvals)
    .lazyload(GateApproval.approver),
)


def list_launches(
    session: Session,
    page: PageRequest,
    *,
    status: list[LaunchStatus] | None = None,
    product_area: str | None = None,
    search: str | None = None,
) -> Page[Launch]:
    """Launches in id order (the page request says which way), filtered by status, product
    area and text, loaded for their briefs (:data:`BRIEF_LOADING`)."""
    area_id = resolve_area(session, product_area, "product_area") if product_area else None
    query = launch_query(status=status, product_area_id=area_id, search=search)
    return paginate(session, query.options(BRIEF_LOADING), Launch.id, page)
