"""The outbox dispatcher: read new audit events, fire matching rules, queue deliveries.

One cursor row (``automation_cursors``, name ``dispatcher``) says how far the events
table has been read. A batch runs in one transaction that first locks that row
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so a second dispatcher skips the
round instead of waiting; on SQLite every transaction begins ``IMMEDIATE``, which
serialises them), records firings and deliveries, and moves the cursor. Either all of
that commits or none of it: a crash before the commit re-reads the same events, and
the unique keys (rule + chain for firings, event + rule + action for deliveries) make
a repeat add nothing.

Deliveries then run as ``automations.deliver`` jobs. :func:`queue_due` hands every
delivery that is due (new, or waiting for its next retry) to a job with a guarded
``UPDATE``, and puts back the deliveries whose job ended without finishing them (the
worker was killed): they are sent again with the same ``webhook-id``.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pilothouse.automations.conditions import matches
from pilothouse.automations.events import DomainEvent, map_event
from pilothouse.automations.models import (
    AutomationCursor,
    AutomationFiring,
    AutomationRule,
    Delivery,
    DeliveryStatus,
)
from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.models import Event, Role
from pilothouse.core.runtime import Runtime

__all__ = [
    "CURSOR_NAME",
    "DELIVER_KIND",
    "DispatchResult",
    "create_deliveries",
    "dispatch_batch",
    "dispatch_once",
    "dispatcher_loop",
    "queue_due",
    "run_dispatcher",
]

logger = logging.getLogger("pilothouse.automations")

CURSOR_NAME = "dispatcher"
DELIVER_KIND = "automations.deliver"
BATCH_SIZE = 200
POLL_SECONDS = 1.0
#: How long a gap in event ids may belong to a transaction that has not committed yet.
GAP_GRACE_SECONDS = 30
SYSTEM = Actor(None, "system:automations", Role.admin)
ACTIVE = (DeliveryStatus.queued, DeliveryStatus.running)
#: The setting shown as a delivery's target, first found wins.
_TARGET_KEYS = ("url", "to", "field", "launch")


@dataclass
class DispatchResult:
    """What one round did: events read, firings and deliveries created, jobs queued."""

    events: int = 0
    firings: int = 0
    deliveries: list[int] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)


def _lock_cursor(session: Session) -> AutomationCursor | None:
    """The cursor row, locked for this transaction; None when another dispatcher has it."""
    query = select(AutomationCursor).where(AutomationCursor.name == CURSOR_NAME)
    cursor = session.scalar(query.with_for_update(skip_locked=True))
    if cursor is not None:
        return cursor
    exists = session.scalar(
        select(AutomationCursor.name).where(AutomationCursor.name == CURSOR_NAME)
    )
    if exists is not None:
        return None  # locked by another dispatcher
    cursor = AutomationCursor(name=CURSOR_NAME, last_event_id=0)
    session.add(cursor)
    session.flush()
    return cursor


def _rules_by_trigger(session: Session) -> dict[str, list[AutomationRule]]:
    found: dict[str, list[AutomationRule]] = defaultdict(list)
    rules = session.scalars(
        select(AutomationRule).where(AutomationRule.enabled.is_(True)).order_by(AutomationRule.id)
    )
    for rule in rules:
        found[rule.trigger].append(rule)
    return found


def _fire(session: Session, rule: AutomationRule, event: DomainEvent) -> bool:
    """Record that ``rule`` fires for ``event``'s chain; False if it already did."""
    query = select(AutomationFiring.id).where(
        AutomationFiring.rule_id == rule.id, AutomationFiring.chain_root_id == event.chain_root_id
    )
    if session.scalar(query) is not None:
        logger.info("rule %s already fired for chain %s; skipped", rule.id, event.chain_root_id)
        return False
    session.add(
        AutomationFiring(rule_id=rule.id, event_id=event.id, chain_root_id=event.chain_root_id)
    )
    return True


def create_deliveries(
    session: Session, rule: AutomationRule, event: DomainEvent, *, key_prefix: str = ""
) -> list[Delivery]:
    """One delivery per action of ``rule`` for ``event`` (keyed event.rule.action)."""
    made = []
    for index, action in enumerate(rule.actions):
        target = next((action[k] for k in _TARGET_KEYS if action.get(k)), "")
        delivery = Delivery(
            idempotency_key=f"{key_prefix}{event.id}.{rule.id}.{index}",
            rule_id=rule.id,
            rule_name=rule.name,
            event_id=event.id or None,
            event_type=event.type,
            chain_root_id=event.chain_root_id or None,
            action_index=index,
            action_kind=action["kind"],
            action=dict(action),
            target=str(target)[:500],
            payload=event.data(),
            is_test=bool(key_prefix),
            status=DeliveryStatus.pending,
            next_attempt_at=utcnow(),
        )
        session.add(delivery)
        made.append(delivery)
    session.flush()
    return made


def _handle(
    session: Session, raw: Event, rules: dict[str, list[AutomationRule]], result: DispatchResult
) -> None:
    if not rules:
        return
    event = map_event(session, raw)
    if event is None:
        return
    for rule in rules.get(event.type, []):
        if raw.id <= rule.since_event_id or not matches(rule.conditions, event.fields):
            continue
        if not _fire(session, rule, event):
            continue
        result.firings += 1
        result.deliveries += [d.id for d in create_deliveries(session, rule, event)]


def _tell_watchers(session: Session, raw: Event) -> None:
    """The people watching the event's object hear about it (core notifications).

    Done here, in the transaction that moves the cursor past the event, so each change
    reaches each watcher once: a dispatcher killed before its commit leaves both the
    notifications and the cursor unwritten, and the next round does both.
    """
    from pilothouse.core.links import ObjectRef
    from pilothouse.core.notifications.watching import (
        WATCHABLE_TYPES,
        notify_watchers_of_event,
        watchers_of,
    )
    from pilothouse.core.references import resolve_one

    if raw.object_type not in WATCHABLE_TYPES or raw.name.startswith(("comment.", "watch.")):
        return
    ref = ObjectRef(raw.object_type, str(raw.object_id))
    if not watchers_of(session, ref):  # most changes: nobody watches, so no link to resolve
        return
    notify_watchers_of_event(session, raw, url=resolve_one(session, ref).url)


def _settled(last_id: int, events: list[Event], now: datetime | None = None) -> list[Event]:
    """The events up to the first *young* gap in the ids.

    On PostgreSQL ids are handed out when a transaction inserts, not when it commits:
    a missing id may belong to a transaction still running, whose event would be
    skipped for ever if the cursor moved past it. So the cursor stops before a gap
    until the event after it is ``GAP_GRACE_SECONDS`` old; then the id is taken to
    be rolled back (or lost to a sequence jump) and passed. Re-reading is harmless:
    firings and deliveries are unique.
    """
    limit = (now or utcnow()) - timedelta(seconds=GAP_GRACE_SECONDS)
    expected = last_id + 1
    for index, event in enumerate(events):
        if event.id != expected and event.created_at > limit:
            return events[:index]
        expected = event.id + 1
    return events


def dispatch_batch(runtime: Runtime, *, limit: int = BATCH_SIZE) -> DispatchResult:
    """Read up to ``limit`` new events and record what rules they fire (one transaction)."""
    result = DispatchResult()
    try:
        with runtime.database.session() as session:
            cursor = _lock_cursor(session)
            if cursor is None:
                return result
            query = select(Event).where(Event.id > cursor.last_event_id).order_by(Event.id)
            events = _settled(cursor.last_event_id, list(session.scalars(query.limit(limit))))
            if not events:
                return result
            rules = _rules_by_trigger(session)
            for raw in events:
                _handle(session, raw, rules, result)
                _tell_watchers(session, raw)
            cursor.last_event_id = events[-1].id
            cursor.updated_at = utcnow()
            result.events = len(events)
    except IntegrityError:  # another dispatcher created the cursor or a key first
        logger.info("dispatch round lost a race; the next round repeats it")
        return DispatchResult()
    return result


def _reset_orphans(session: Session) -> None:
    """Deliveries whose job finished without finishing them go back to retrying."""
    from pilothouse.core.jobs import get_job

    active = session.scalars(select(Delivery).where(Delivery.status.in_(ACTIVE)).limit(100))
    for delivery in active:
        if delivery.job_id is None:
            continue
        job = get_job(session, delivery.job_id)
        if job.finished:
            delivery.status = DeliveryStatus.retrying
            delivery.next_attempt_at = utcnow()
            delivery.error = f"the job running it ended {job.status.value}; sending again"


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    claimed = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status.in_((DeliveryStatus.pending, DeliveryStatus.retrying)),
            Delivery.next_attempt_at <= now,
        )
        .values(status=DeliveryStatus.queued, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def _due(runtime: Runtime, now: datetime) -> list[int]:
    with runtime.database.session() as session:
        return list(
            session.scalars(
                select(Delivery.id)
                .where(
                    Delivery.status.in_((DeliveryStatus.pending, DeliveryStatus.retrying)),
                    Delivery.next_attempt_at <= now,
                )
                .order_by(Delivery.id)
                .limit(BATCH_SIZE)
            )
        )


def queue_due(
    runtime: Runtime, *, now: datetime | None = None, run_now: bool | None = None
) -> list[int]:
    """Give every due delivery to an ``automations.deliver`` job; returns their ids.

    Args:
        now: the time to compare retry times with (tests and ``--now`` pass a later one).
        run_now: run the jobs in this thread (see ``core.jobs.submit_job``).
    """
    from pilothouse.core.jobs import submit_job

    with runtime.database.session() as session:
        _reset_orphans(session)
    now = now or utcnow()
    due = _due(runtime, now)
    queued = []
    for delivery_id in due:
        with runtime.database.session() as session:
            if not _claim(session, delivery_id, now):
                continue
            submit_job(
                runtime,
                SYSTEM,
                DELIVER_KIND,
                payload={"delivery_id": delivery_id},
                title=f"Automation delivery {delivery_id}",
                session=session,
                run_now=run_now,
                role=Role.viewer,
            )
        queued.append(delivery_id)
    return queued


def dispatch_once(
    runtime: Runtime,
    *,
    now: datetime | None = None,
    run_now: bool | None = None,
    recover: bool = False,
) -> DispatchResult:
    """Read every new event (in batches), then queue what is due.

    Args:
        recover: first mark failed the jobs a killed process left running (what a
            process that starts dispatching does; see ``core.jobs.recover_stale_jobs``).
    """
    total = DispatchResult()
    if recover:
        from pilothouse.core.jobs import recover_stale_jobs

        recover_stale_jobs(runtime)
    while True:
        result = dispatch_batch(runtime)
        total.events += result.events
        total.firings += result.firings
        total.deliveries += result.deliveries
        if result.events < BATCH_SIZE:
            break
    total.queued = queue_due(runtime, now=now, run_now=run_now)
    return total


def run_dispatcher(
    runtime: Runtime,
    stop: threading.Event,
    *,
    poll_seconds: float = POLL_SECONDS,
    recover: bool = True,
) -> None:
    """Dispatch until ``stop`` is set (``automations dispatch --loop``, the web server).

    A process that starts dispatching first marks failed the jobs a killed process left
    running (``recover``), as job consumers do, so the deliveries those jobs held are
    sent again. The web server's own job consumer already does that, so its thread
    passes ``recover=False``.
    """
    if recover:
        from pilothouse.core.jobs import recover_stale_jobs

        recover_stale_jobs(runtime)
    while not stop.is_set():
        try:
            dispatch_once(runtime)
        except Exception:  # keep dispatching; the next round repeats what failed
            logger.exception("automation dispatch round failed")
        stop.wait(poll_seconds)


@asynccontextmanager
async def dispatcher_loop(runtime: Runtime) -> AsyncIterator[None]:
    """For the web app's lifespan: a dispatcher thread when jobs run in-process."""
    if runtime.settings.jobs_mode != "inprocess":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=run_dispatcher,
        args=(runtime, stop),
        kwargs={"recover": False},
        name="automations-dispatcher",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        await run_in_threadpool(thread.join, 5)
