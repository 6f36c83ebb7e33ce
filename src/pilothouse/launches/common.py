"""What the launch services share: public keys, finding launches, the refusal error, today.

Input checks (names, dates, people, product areas) reuse the roadmap's helpers in
``roadmap.common``, so a launch and a roadmap item accept the same spellings
(``owner`` as an id or an e-mail, an area as its id, slug or name).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, lazyload, selectinload

from pilothouse.core.errors import Conflict, NotFound
from pilothouse.core.links import ObjectRef
from pilothouse.launches.models import Launch, LaunchKeyCounter, LaunchTemplate
from pilothouse.roadmap.common import clean_name, invalid, parse_date, resolve_area, resolve_user

__all__ = [
    "FEATURE_LINK_KIND",
    "KEY_PREFIX",
    "LAUNCH_OBJECT_TYPE",
    "TEMPLATE_OBJECT_TYPE",
    "GateRefused",
    "clean_name",
    "find_launch",
    "find_launches_with_stages",
    "find_template",
    "invalid",
    "launch_label",
    "launch_ref",
    "next_key",
    "parse_date",
    "resolve_area",
    "resolve_user",
    "workspace_today",
]

LAUNCH_OBJECT_TYPE = "launch"
TEMPLATE_OBJECT_TYPE = "launch_template"
#: The kind of the core link ``launch`` → ``roadmap_item`` for the features a launch ships.
FEATURE_LINK_KIND = "ships"
KEY_PREFIX = "LAUNCH"


class GateRefused(Conflict):
    """Moving to the next stage was refused; ``errors`` name each missing item and approver."""

    code = "gate-refused"
    title = "Gate refused"


def next_key(session: Session) -> str:
    """The next ``LAUNCH-n``; numbers of deleted launches are never handed out again."""
    counter = session.scalar(
        select(LaunchKeyCounter).where(LaunchKeyCounter.prefix == KEY_PREFIX).with_for_update()
    )
    if counter is None:
        counter = LaunchKeyCounter(prefix=KEY_PREFIX, last_number=0)
        session.add(counter)
    counter.last_number += 1
    session.flush()
    return f"{KEY_PREFIX}-{counter.last_number}"


def launch_ref(launch: Launch) -> ObjectRef:
    """How other domains link to a launch: type ``launch`` and the numeric id."""
    return ObjectRef(LAUNCH_OBJECT_TYPE, str(launch.id))


def launch_label(launch: Launch, detail: str = "") -> str:
    return f"{launch.key} {launch.name}" + (f" · {detail}" if detail else "")


#: Built once: every launch page, answer and edit starts here.
_LAUNCH_BY_KEY = select(Launch).where(Launch.key == bindparam("launch_key"))


def find_launch(session: Session, ref: str | int) -> Launch:
    """A launch by key (``launch-3`` works too) or numeric id."""
    text = str(ref).strip()
    launch: Launch | None
    if text.isdigit():
        launch = session.get(Launch, int(text))
    else:
        launch = session.scalar(_LAUNCH_BY_KEY, {"launch_key": text.upper()})
    if launch is None:
        raise NotFound(f"no launch {text!r}")
    return launch


def find_launches_with_stages(session: Session, ids: Iterable[int]) -> dict[int, Launch]:
    """Launches by id with their stages, in two statements whatever their number.

    For views that show a launch's status and stages but not its checklist, gates or
    people (an item's impact chain): a launch found one :func:`find_launch` at a time
    also loaded every checklist item, gate and approval, five statements each. What
    else is read of them loads when read.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = (
        select(Launch)
        .where(Launch.id.in_(wanted))
        .options(lazyload("*"), selectinload(Launch.stages).lazyload("*"))
    )
    return {launch.id: launch for launch in session.scalars(query)}


def find_template(session: Session, ref: object, field: str = "template") -> LaunchTemplate:
    """A template by id or name (case-insensitive); a 422 naming ``field`` when unknown."""
    text = str(ref if ref is not None else "").strip()
    template: LaunchTemplate | None = None
    if text.isdigit():
        template = session.get(LaunchTemplate, int(text))
    elif text:
        template = session.scalar(
            select(LaunchTemplate).where(func.lower(LaunchTemplate.name) == text.lower())
        )
    if template is None:
        raise invalid(field, f"no launch template {text!r}")
    return template


def workspace_today(timezone: str) -> date:
    """Today's date in the workspace time zone: what "overdue" and the calendar go by."""
    return datetime.now(ZoneInfo(timezone)).date()
