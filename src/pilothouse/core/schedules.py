"""Schedules: periodic jobs on cron expressions, in the workspace's time zone.

A domain declares a built-in schedule next to its job handler (in a module listed
in ``core.registry.JOB_MODULES``)::

    builtin_schedule("notifications.daily_digest", "0 7 * * *",
                     job_kind="notifications.digest", title="Daily notification digest")

The first tick creates its row; from then on people own it (cron, time zone, on/off),
and later releases never overwrite their changes.

A *tick* (every ``TICK_SECONDS`` in the web server's scheduler thread and in
``pilothouse jobs worker``) finds, for each enabled schedule, the newest slot that has
come due since the last one claimed, claims it by inserting its ``schedule_runs`` row
and submits the job in the same transaction. The unique ``(schedule_id, slot_at)``
constraint makes the claim atomic across processes: a second worker's insert fails
and it moves on, so a slot never runs twice. Slots missed while nothing ran (the
server was down over the weekend) are coalesced into the newest one, with the count
recorded, rather than replayed one by one. Because the state is in the database, a
restart resumes where it stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.db import is_reading, utcnow, write_beside
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedule_models import Schedule, ScheduleRun

__all__ = [
    "BUILTIN_SCHEDULES",
    "TICK_SECONDS",
    "BuiltinSchedule",
    "ScheduleView",
    "builtin_schedule",
    "check_cron",
    "cron_in_words",
    "get_schedule",
    "due_slot",
    "list_schedules",
    "next_slots",
    "run_scheduler",
    "run_schedule_now",
    "scheduler_loop",
    "tick",
    "update_schedule",
]

logger = logging.getLogger(__name__)

TICK_SECONDS = 30
#: The scheduler acts as the system, with the rights to start any built-in job.
SYSTEM = Actor(None, "scheduler", Role.admin)
_AUDITED = ("cron", "time_zone", "enabled")


@dataclass(frozen=True)
class BuiltinSchedule:
    """A schedule a domain ships; created on the first tick, then owned by people."""

    name: str
    cron: str
    job_kind: str
    title: str
    description: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


#: name → built-in schedule, filled by :func:`builtin_schedule` as modules import.
BUILTIN_SCHEDULES: dict[str, BuiltinSchedule] = {}


def builtin_schedule(
    name: str,
    cron: str,
    *,
    job_kind: str,
    title: str,
    description: str = "",
    payload: dict[str, Any] | None = None,
) -> BuiltinSchedule:
    """Declare a schedule a domain ships (idempotent; the cron is checked at once)."""
    check_cron(cron)
    spec = BuiltinSchedule(name, cron, job_kind, title, description, dict(payload or {}))
    BUILTIN_SCHEDULES[name] = spec
    return spec


def check_cron(expression: str, field_name: str = "cron") -> str:
    """The expression, normalised; a clear error naming the field when it is invalid."""
    text = " ".join(expression.split())
    if len(text.split(" ")) != 5:
        raise ValidationFailed(
            f"invalid cron expression {expression!r}: five fields are needed "
            "(minute hour day-of-month month day-of-week)",
            errors=[FieldError(field_name, "needs five fields")],
        )
    try:
        CronSim(text, datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")))
    except CronSimError as exc:
        raise ValidationFailed(
            f"invalid cron expression {expression!r}: {exc}",
            errors=[FieldError(field_name, str(exc))],
        ) from exc
    return text


def _zone(name: str, field_name: str = "time_zone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(
            f"unknown time zone {name!r}", errors=[FieldError(field_name, "unknown time zone")]
        ) from exc


def due_slot(cron: str, zone: ZoneInfo, after: datetime, now: datetime) -> tuple[datetime, int]:
    """The newest slot in ``(after, now]`` and how many earlier ones it coalesces.

    Returns ``(slot, skipped)`` with the slot in UTC, or raises ``LookupError`` when no
    slot has come due. Slots are computed in ``zone`` (so "9:00 on Mondays" follows
    daylight saving time) and compared in UTC.
    """
    slots = CronSim(cron, after.astimezone(zone))
    newest: datetime | None = None
    count = 0
    for slot in slots:
        if slot > now:
            break
        newest, count = slot, count + 1
        if count > 10_000:  # a per-minute schedule left off for a week: stop counting
            break
    if newest is None:
        raise LookupError("no slot due")
    return newest.astimezone(ZoneInfo("UTC")), count - 1


@dataclass(frozen=True)
class ScheduleView:
    """A schedule as pages, the API and the CLI show it."""

    name: str
    title: str
    description: str
    cron: str
    time_zone: str
    job_kind: str
    enabled: bool
    last_slot_at: datetime | None
    next_slot_at: datetime | None
    last_job_id: int | None
    #: The cron expression in words (cronsim's ``explain``), "" when it has none.
    cron_text: str = ""
    #: The latest run, scheduled or by hand: when, whether by hand, its job's status.
    last_run_at: datetime | None = None
    last_run_manual: bool = False
    last_job_status: str | None = None
    #: The schedule's own time zone; ``None`` when it follows the workspace's.
    own_time_zone: str | None = None


def cron_in_words(cron: str) -> str:
    """``0 8 * * 1`` → ``At 08:00 on Monday`` (cronsim's explanation); "" if it has none."""
    try:
        return CronSim(cron, datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))).explain()
    except (CronSimError, ValueError, AttributeError):
        return ""


def _last_run(session: Session, schedule_id: int) -> tuple[ScheduleRun | None, str | None]:
    from pilothouse.core.job_models import Job

    run = session.scalar(
        select(ScheduleRun)
        .where(ScheduleRun.schedule_id == schedule_id)
        .order_by(ScheduleRun.id.desc())
        .limit(1)
    )
    job = session.get(Job, run.job_id) if run is not None and run.job_id else None
    return run, job.status.value if job is not None else None


def _ensure_builtins(session: Session) -> None:
    """Create the rows of built-in schedules that have none yet.

    Several workers may start at once: each row goes in under a savepoint, and a row
    another process inserted first is simply left to it.
    """
    existing = set(session.scalars(select(Schedule.name)))
    for spec in BUILTIN_SCHEDULES.values():
        if spec.name in existing:
            continue
        try:
            with session.begin_nested():
                session.add(
                    Schedule(
                        name=spec.name,
                        title=spec.title,
                        description=spec.description,
                        cron=spec.cron,
                        job_kind=spec.job_kind,
                        payload=spec.payload,
                        enabled=True,
                    )
                )
        except IntegrityError:
            continue


def _view(session: Session, schedule: Schedule, default_zone: str, now: datetime) -> ScheduleView:
    zone_name = schedule.time_zone or default_zone
    after = max(schedule.last_slot_at or schedule.created_at, now)
    upcoming = next(iter(CronSim(schedule.cron, after.astimezone(ZoneInfo(zone_name)))))
    run, status = _last_run(session, schedule.id)
    return ScheduleView(
        schedule.name,
        schedule.title,
        schedule.description,
        schedule.cron,
        zone_name,
        schedule.job_kind,
        schedule.enabled,
        schedule.last_slot_at,
        upcoming.astimezone(ZoneInfo("UTC")) if schedule.enabled else None,
        run.job_id if run is not None else None,
        cron_in_words(schedule.cron),
        run.created_at if run is not None else None,
        bool(run and run.manual),
        status,
        schedule.time_zone,
    )


def _ensure_builtins_for(session: Session) -> None:
    """:func:`_ensure_builtins` from a page or the API: a GET request's session only
    reads (``Database.session(reading=True)``), so new rows go in beside it."""
    _load_builtins()
    if not is_reading(session):
        _ensure_builtins(session)
    elif set(BUILTIN_SCHEDULES) - set(session.scalars(select(Schedule.name))):
        with write_beside(session) as writer:
            _ensure_builtins(writer)


def list_schedules(runtime: Runtime, session: Session) -> list[ScheduleView]:
    """Every schedule, built-in ones included, by name."""
    _ensure_builtins_for(session)
    now = utcnow()
    rows = session.scalars(select(Schedule).order_by(Schedule.name))
    return [_view(session, row, runtime.settings.timezone, now) for row in rows]


def get_schedule(runtime: Runtime, session: Session, name: str) -> ScheduleView:
    """One schedule as pages and the API show it; unknown name → 404."""
    _ensure_builtins_for(session)
    return _view(session, _get(session, name), runtime.settings.timezone, utcnow())


def _get(session: Session, name: str) -> Schedule:
    schedule = session.scalar(select(Schedule).where(Schedule.name == name))
    if schedule is None:
        raise NotFound(f"no schedule named {name!r}; see 'pilothouse schedules list'")
    return schedule


def update_schedule(
    session: Session,
    actor: Actor,
    name: str,
    *,
    cron: str | None = None,
    time_zone: str | None = None,
    enabled: bool | None = None,
) -> Schedule:
    """Change when a schedule runs, or turn it off; audited. An empty time zone means
    the workspace's."""
    actor.require(Role.admin, write=True)
    _load_builtins()
    _ensure_builtins(session)
    schedule = _get(session, name)
    before = snapshot(schedule, _AUDITED)
    if cron is not None:
        schedule.cron = check_cron(cron)
    if time_zone is not None:
        schedule.time_zone = time_zone.strip() or None
        if schedule.time_zone:
            _zone(schedule.time_zone)
    if enabled is not None:
        schedule.enabled = enabled
    record_change(
        session,
        actor,
        object_type="schedule",
        object_id=schedule.id,
        action=Action.updated,
        label=schedule.title,
        before=before,
        after=snapshot(schedule, _AUDITED),
    )
    return schedule


def _load_builtins() -> None:
    # Built-in schedules are declared beside the job handlers they run.
    from pilothouse.core.jobs import load_handlers

    load_handlers()


def _submit(runtime: Runtime, session: Session, schedule: Schedule, run: ScheduleRun) -> int:
    """Submit the schedule's job in the claiming transaction (committed by submit_job)."""
    from pilothouse.core.jobs import submit_job

    payload = {**schedule.payload, "schedule": schedule.name, "slot": run.slot_at.isoformat()}
    job = submit_job(
        runtime,
        SYSTEM,
        schedule.job_kind,
        payload,
        title=f"{schedule.title} ({'run by hand' if run.manual else 'scheduled'})",
        session=session,
    )
    run.job_id = job.id
    session.commit()
    return job.id


def _claim_due(runtime: Runtime, name: str, now: datetime) -> int | None:
    """Claim and start the due slot of one schedule, in its own transaction."""
    with runtime.database.session() as session:
        schedule = _get(session, name)
        if not schedule.enabled:
            return None
        zone = ZoneInfo(schedule.time_zone or runtime.settings.timezone)
        try:
            slot, skipped = due_slot(
                schedule.cron, zone, schedule.last_slot_at or schedule.created_at, now
            )
        except LookupError:
            return None
        run = ScheduleRun(schedule_id=schedule.id, slot_at=slot, skipped=skipped)
        session.add(run)
        try:
            session.flush()  # the unique (schedule, slot) row is the claim
        except IntegrityError:
            session.rollback()
            return None
        schedule.last_slot_at = slot
        return _submit(runtime, session, schedule, run)


def tick(runtime: Runtime, now: datetime | None = None) -> list[int]:
    """Start every schedule whose slot has come due; returns the ids of the jobs started.

    Safe to call from several processes at once: each slot is claimed by one of them.
    A schedule that fails to start (an unknown job kind, a broken payload) is logged
    and left for the next tick; the others still run.
    """
    now = now or utcnow()
    _load_builtins()
    with runtime.database.session() as session:
        _ensure_builtins(session)
        names = list(session.scalars(select(Schedule.name).where(Schedule.enabled.is_(True))))
    started = []
    for name in names:
        try:
            job_id = _claim_due(runtime, name, now)
        except Exception:  # one broken schedule must not stop the others
            logger.exception("schedule %s could not start", name)
            continue
        if job_id is not None:
            started.append(job_id)
    return started


def run_schedule_now(
    runtime: Runtime, actor: Actor, name: str, *, session: Session | None = None
) -> int:
    """Run a schedule's job at once, outside its slots (``pilothouse schedules run NAME
    --now``, the Schedules page); admins only, recorded as a manual run and audited.

    Args:
        session: a request's session to write with (committed here, like
            ``core.jobs.submit_job``'s); by default one of its own.

    Returns the job id."""
    actor.require(Role.admin, write=True)
    _load_builtins()
    if session is not None:
        return _run_now(runtime, actor, name, session)
    with runtime.database.session() as own:
        return _run_now(runtime, actor, name, own)


def _run_now(runtime: Runtime, actor: Actor, name: str, session: Session) -> int:
    _ensure_builtins(session)
    schedule = _get(session, name)
    run = ScheduleRun(schedule_id=schedule.id, slot_at=utcnow(), manual=True)
    session.add(run)
    session.flush()
    record_change(
        session,
        actor,
        object_type="schedule",
        object_id=schedule.id,
        action=Action.updated,
        label=schedule.title,
        name="schedule.run_by_hand",
        after={"run_at": run.slot_at.isoformat()},
    )
    return _submit(runtime, session, schedule, run)


def run_scheduler(runtime: Runtime, stop: threading.Event, interval: float = TICK_SECONDS) -> None:
    """Tick until ``stop`` is set (a thread of the web server or the job worker)."""
    while not stop.is_set():
        try:
            tick(runtime)
        except Exception:  # the database may be briefly unavailable: try again next tick
            logger.exception("scheduler tick failed")
        stop.wait(interval)


@asynccontextmanager
async def scheduler_loop(runtime: Runtime) -> AsyncIterator[None]:
    """For the web app's lifespan: a scheduler thread when jobs run in-process.

    With separate job workers (``jobs_mode = worker``) the workers tick instead, so a
    team server with several web processes does not need every one of them to.
    """
    if runtime.settings.jobs_mode != "inprocess":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=run_scheduler, args=(runtime, stop), name="scheduler", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def next_slots(
    cron: str, zone_name: str, count: int = 3, after: datetime | None = None
) -> list[datetime]:
    """The next ``count`` slots of ``cron`` in ``zone_name`` (for previews in forms)."""
    zone = _zone(zone_name)
    slots = CronSim(check_cron(cron), (after or utcnow()).astimezone(zone))
    return [next(slots) for _ in range(count)]
