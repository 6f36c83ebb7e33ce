"""The workspace's item workflow: ordered statuses, each with a category.

A fresh workspace gets :data:`DEFAULT_STATUSES` (the migration seeds them, and
:func:`ensure_default_statuses` puts them back when the table is empty). Admins
rename, reorder, add and remove statuses; exactly one is the default for new items.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.areas import slugify
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.db import write_beside
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.roadmap.common import clean_name, invalid
from pilothouse.roadmap.models import RoadmapItem, StatusCategory, WorkflowStatus

__all__ = [
    "DEFAULT_STATUSES",
    "create_status",
    "default_status",
    "delete_status",
    "ensure_default_statuses",
    "find_status",
    "get_status",
    "list_statuses",
    "update_status",
]

#: (key, name, category) of a new workspace's workflow; the first is the default.
DEFAULT_STATUSES = (
    ("new", "New", StatusCategory.backlog),
    ("discovery", "Discovery", StatusCategory.discovery),
    ("planned", "Planned", StatusCategory.planned),
    ("in-progress", "In progress", StatusCategory.in_progress),
    ("launched", "Launched", StatusCategory.done),
    ("declined", "Declined", StatusCategory.declined),
)
AUDITED_STATUS_FIELDS = ("key", "name", "category", "position", "color", "is_default")


def ensure_default_statuses(session: Session) -> None:
    """Seed the default workflow when there is no status at all (first use); from a
    page's reading session the rows go in beside it (:func:`write_beside`)."""
    if session.scalar(select(func.count()).select_from(WorkflowStatus)):
        return
    with write_beside(session) as writer:
        if writer is not session and writer.scalar(
            select(func.count()).select_from(WorkflowStatus)
        ):
            return  # another request seeded them first
        for position, (key, name, category) in enumerate(DEFAULT_STATUSES):
            writer.add(
                WorkflowStatus(
                    key=key,
                    name=name,
                    category=category,
                    position=position,
                    is_default=position == 0,
                )
            )
        writer.flush()


def list_statuses(session: Session) -> list[WorkflowStatus]:
    """Every status in workflow order."""
    ensure_default_statuses(session)
    query = select(WorkflowStatus).order_by(WorkflowStatus.position, WorkflowStatus.id)
    return list(session.scalars(query))


def find_status(session: Session, ref: object, field: str = "status") -> WorkflowStatus:
    """A status by id, key or name (case-insensitive); unknown → 422 naming ``field``."""
    text = str(ref).strip()
    for status in list_statuses(session):
        if text in (str(status.id), status.key) or text.lower() == status.name.lower():
            return status
    raise invalid(field, f"no status {text!r}")


def get_status(session: Session, key: str) -> WorkflowStatus:
    try:
        return find_status(session, key)
    except ValidationFailed:  # a lookup by URL is a 404, not a 422
        raise NotFound(f"no status {key!r}") from None


def default_status(session: Session) -> WorkflowStatus:
    statuses = list_statuses(session)
    return next((s for s in statuses if s.is_default), statuses[0])


def _category(value: str) -> StatusCategory:
    try:
        return StatusCategory(value)
    except ValueError:
        raise invalid("category", ", ".join(c.value for c in StatusCategory)) from None


def _check_unique(session: Session, status_id: int | None, key: str, name: str) -> None:
    for column, value, field in (
        (WorkflowStatus.key, key, "key"),
        (WorkflowStatus.name, name, "name"),
    ):
        query = select(func.count()).select_from(WorkflowStatus).where(column == value)
        if status_id is not None:
            query = query.where(WorkflowStatus.id != status_id)
        if session.scalar(query):
            raise Conflict(
                f"a status with {field} {value!r} exists already",
                errors=[FieldError(field, "already taken")],
            )


def _renumber(session: Session, moved: WorkflowStatus, position: int) -> None:
    others = [s for s in list_statuses(session) if s.id != moved.id]
    position = max(0, min(position, len(others)))
    others.insert(position, moved)
    for index, status in enumerate(others):
        status.position = index


def _set_default(session: Session, chosen: WorkflowStatus) -> None:
    for status in list_statuses(session):
        status.is_default = status.id == chosen.id


def _audit(
    session: Session,
    actor: Actor,
    status: WorkflowStatus,
    action: Action,
    before: dict[str, object] | None = None,
) -> None:
    after = None if action is Action.deleted else snapshot(status, AUDITED_STATUS_FIELDS)
    record_change(
        session,
        actor,
        object_type="roadmap_status",
        object_id=status.id,
        action=action,
        label=status.name,
        before=before,
        after=after,
    )


def create_status(
    session: Session,
    actor: Actor,
    *,
    name: str,
    category: StatusCategory,
    key: str | None = None,
    position: int | None = None,
    color: str = "",
    is_default: bool = False,
) -> WorkflowStatus:
    """Add a status; without ``position`` it goes last."""
    actor.require(Role.admin, write=True)
    name = clean_name(name, max_length=100)
    category = _category(category)
    key = (key or slugify(name)).strip()
    if not key:
        raise invalid("key", "must not be empty")
    _check_unique(session, None, key, name)
    statuses = list_statuses(session)
    status = WorkflowStatus(
        key=key, name=name, category=category, position=len(statuses), color=color.strip()[:16]
    )
    session.add(status)
    session.flush()
    if position is not None:
        _renumber(session, status, position)
    if is_default:
        _set_default(session, status)
    session.flush()
    _audit(session, actor, status, Action.created)
    return status


def update_status(
    session: Session,
    actor: Actor,
    status: WorkflowStatus,
    *,
    name: str | None = None,
    category: StatusCategory | None = None,
    position: int | None = None,
    color: str | None = None,
    is_default: bool | None = None,
) -> WorkflowStatus:
    """Rename, recategorise, move or recolour a status, or make it the default.

    The default cannot be unset directly: make another status the default instead.
    """
    actor.require(Role.admin, write=True)
    before = snapshot(status, AUDITED_STATUS_FIELDS)
    if name is not None:
        status.name = clean_name(name, max_length=100)
        _check_unique(session, status.id, status.key, status.name)
    if category is not None:
        status.category = _category(category)
    if color is not None:
        status.color = color.strip()[:16]
    if position is not None:
        _renumber(session, status, position)
    if is_default is True:
        _set_default(session, status)
    elif is_default is False and status.is_default:
        raise Conflict(
            "the default status cannot be unset; make another status the default",
            errors=[FieldError("is_default", "make another status the default")],
        )
    session.flush()
    _audit(session, actor, status, Action.updated, before)
    return status


def delete_status(
    session: Session, actor: Actor, status: WorkflowStatus, *, move_to: WorkflowStatus | None = None
) -> int:
    """Remove a status; items in it move to ``move_to`` (needed when any). Returns how many."""
    actor.require(Role.admin, write=True)
    if status.is_default:
        raise Conflict("the default status cannot be removed; make another status the default")
    items = list(session.scalars(select(RoadmapItem).where(RoadmapItem.status_id == status.id)))
    if items and (move_to is None or move_to.id == status.id):
        raise Conflict(
            f"{len(items)} items have status {status.name!r}; say which status they move to",
            errors=[FieldError("move_to", "needed while items have this status")],
        )
    for item in items:
        assert move_to is not None
        record_change(
            session,
            actor,
            object_type="roadmap_item",
            object_id=item.id,
            action=Action.updated,
            label=f"{item.key} {item.title}",
            before={"status": status.key},
            after={"status": move_to.key},
        )
        item.status_id = move_to.id
    _audit(session, actor, status, Action.deleted, snapshot(status, AUDITED_STATUS_FIELDS))
    session.delete(status)
    session.flush()
    for index, remaining in enumerate(list_statuses(session)):
        remaining.position = index
    return len(items)
