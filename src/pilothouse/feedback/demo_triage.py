"""Demo triage history: Ledgerly's product managers triaged the inbox as it filled.

The demo inserts 120 days of customer messages in one go, so without this step every
message would be "recorded" at load time and either never triaged or triaged in the
same second, and process health (docs/ops-health.md) would show a triage time of zero
and 1,500 untriaged items. This step writes the history a real team leaves instead:

- each message reached Pilothouse a few minutes after the customer sent it (the
  help-desk sync), so ``recorded_at`` and the item's ``created`` audit event are
  back-dated to then;
- a product manager triaged it after a delay drawn from a log-normal distribution
  (median about 1.7 days, a tail of a few weeks), on a weekday in office hours (a
  message that arrives on Friday evening waits for Monday), so process health shows
  about 2.5 days at the median and 5 at the p85; about 3 in 10 were closed as
  answered by support, the rest marked *triaged*; 1 % fell through the cracks and
  are still *new*;
- a message whose triage moment is still to come is left *new*: the untriaged backlog
  is the last few days' messages plus the forgotten ones.

This is a demo-only path: it writes the ``status`` audit events directly with their
back-dated times (core's :func:`~pilothouse.core.audit.record_changes` always stamps
"now", as it should for real changes), marked like any change by that person. It runs
only on the items the feedback step has just inserted, so a reload adds nothing twice.
Fixed seed: the same load day gives the same history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pilothouse.core.models import Event, Role, User
from pilothouse.feedback.models import FeedbackItem, FeedbackStatus
from pilothouse.feedback.service import FEEDBACK_OBJECT_TYPE

__all__ = ["MEDIAN_HOURS", "backdate_and_triage"]

SEED = 20261207
MEDIAN_HOURS = 40.0  # median delay from recorded to triaged
SPREAD = 0.9  # sigma of the log-normal delay: p85 ≈ e^0.93 × the median
CLOSED_SHARE = 0.3  # answered by support, nothing for product to do
FORGOTTEN_SHARE = 0.01  # never triaged: about 15 old items in the backlog
SYNC_SECONDS = (60, 1800)  # help-desk sync lag
OFFICE = (8, 18)  # triage happens on weekdays between these hours (UTC)


def _office_time(at: datetime, rng: np.random.Generator) -> datetime:
    """``at`` moved forward into office hours on a weekday (the triager's working day)."""
    if at.hour >= OFFICE[1]:
        at = (at + timedelta(days=1)).replace(hour=OFFICE[0], minute=0)
    if at.hour < OFFICE[0]:
        at = at.replace(hour=OFFICE[0], minute=0)
    while at.weekday() >= 5:
        at = (at + timedelta(days=1)).replace(hour=OFFICE[0], minute=0)
    if at.hour == OFFICE[0] and at.minute == 0:
        at += timedelta(minutes=int(rng.integers(0, 150)))
    return at


def _triagers(session: Session) -> list[User]:
    """The demo's product managers (editors), who triage the inbox in turn."""
    query = select(User).where(User.role == Role.editor, User.is_active.is_(True))
    return list(session.scalars(query.order_by(User.id)))


def _status_event(item: Any, who: User, after: FeedbackStatus, at: datetime) -> dict[str, Any]:
    return {
        "name": f"{FEEDBACK_OBJECT_TYPE}.updated",
        "action": "updated",
        "actor_id": who.id,
        "actor_label": who.email,
        "object_type": FEEDBACK_OBJECT_TYPE,
        "object_id": str(item.id),
        "object_label": (item.title or item.text)[:120],
        "changes": {"status": {"before": "new", "after": after.value}},
        "client_address": "",
        "created_at": at,
    }


def _backdate_created(session: Session, recorded: dict[int, datetime]) -> None:
    """Each item's ``created`` event at the moment the item reached Pilothouse."""
    query = select(Event.id, Event.object_id).where(
        Event.object_type == FEEDBACK_OBJECT_TYPE,
        Event.action == "created",
        Event.object_id.in_([str(i) for i in recorded]),
    )
    rows = [{"id": eid, "created_at": recorded[int(oid)]} for eid, oid in session.execute(query)]
    if rows:
        session.execute(update(Event), rows)


def backdate_and_triage(session: Session, item_ids: Sequence[int], now: datetime) -> int:
    """Give the just-inserted items their arrival and triage history; returns how many
    were triaged (the rest stay *new*)."""
    people = _triagers(session)
    if not item_ids or not people:
        return 0
    rng = np.random.default_rng(SEED)
    items = list(session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids))))
    items.sort(key=lambda i: i.id)
    recorded: dict[int, datetime] = {}
    events = []
    for item in items:
        sent = item.created_at.astimezone(UTC)
        item.recorded_at = min(sent + timedelta(seconds=int(rng.integers(*SYNC_SECONDS))), now)
        recorded[item.id] = item.recorded_at
        delay = timedelta(hours=float(rng.lognormal(np.log(MEDIAN_HOURS), SPREAD)))
        at = _office_time(item.recorded_at + delay, rng)
        closed, forgotten = rng.random() < CLOSED_SHARE, rng.random() < FORGOTTEN_SHARE
        who = people[int(rng.integers(len(people)))]
        if forgotten or at >= now:
            continue
        status = FeedbackStatus.closed if closed else FeedbackStatus.triaged
        item.status, item.updated_at = status, at
        events.append(_status_event(item, who, status, at))
    session.flush()
    _backdate_created(session, recorded)
    if events:
        session.execute(insert(Event), events)
    return len(events)
