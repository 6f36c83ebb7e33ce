"""Demo step ``ops``: the history process health needs, which a freshly loaded demo lacks.

The other demo steps create Ledgerly's roadmap items directly in their current status,
so the audit log holds one event per item, all "now", and nobody has used Pilothouse
yet. This step adds, without touching any other domain's tables:

- a **status history** for each demo item that has only its creation event, as audit
  events (core's log, marked with the actor label ``demo history``) ending in the
  status the item has: items shipped by a launch reach their done status on that
  launch's GA day (a date the launches step records); other items moved at least 15
  days before the load, so recent weeks' digests are unchanged;
- **weekly use** of Pilothouse by the demo people over the last 12 weeks
  (``ops_activity_days``, this domain's own table): admins most days, editors about
  three days a week, viewers now and then.

Durations are fixed per item (from its id), so a reload gives the same figures, and
loading twice adds nothing twice. docs/ops-health.md explains this.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.links import links_between
from pilothouse.core.models import Event, User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.ops.health.models import ActivityDay

__all__ = ["DEMO_LABEL", "load_demo_ops"]

DEMO_LABEL = "demo history"
#: The way to each current status, from the default workflow's keys.
PATHS = {
    "discovery": ("new", "discovery"),
    "planned": ("new", "discovery", "planned"),
    "in-progress": ("new", "discovery", "planned", "in-progress"),
    "launched": ("new", "discovery", "planned", "in-progress", "launched"),
    "declined": ("new", "discovery", "declined"),
}
#: Base days spent in each status before the next (plus a per-item spread).
DAYS_IN = {"new": 12, "discovery": 9, "planned": 14, "in-progress": 24}
WEEKS = 12


def _shipped_on(session: Session) -> dict[str, datetime]:
    """Item id → the GA of the earliest launched launch that ships it."""
    from pilothouse.launches.health_reads import launch_facts

    ga = {str(f.id): f.launched_at for f in launch_facts(session) if f.launched_at is not None}
    out: dict[str, datetime] = {}
    for link in links_between(session, "launch", "roadmap_item"):
        when = ga.get(link.from_id) if link.kind == "ships" else None
        if when is not None and (link.to_id not in out or when < out[link.to_id]):
            out[link.to_id] = when
    return out


def _moves(path: tuple[str, ...], end: datetime, seed: int) -> list[tuple[datetime, str]]:
    """The path's entries, the last one at ``end``, each earlier by that status's days."""
    moves = [(end, path[-1])]
    at = end
    for index, status in enumerate(reversed(path[:-1])):
        at -= timedelta(days=DAYS_IN.get(status, 10) + (seed * (index + 3)) % 11, hours=seed % 7)
        moves.append((at, status))
    return list(reversed(moves))


def _history(session: Session, now: datetime) -> int:
    from pilothouse.roadmap.health_reads import item_histories

    if session.scalar(select(Event.id).where(Event.actor_label == DEMO_LABEL).limit(1)):
        return 0
    shipped, added = _shipped_on(session), 0
    for item in item_histories(session):
        path = PATHS.get(item.status)
        if path is None or len(item.moves) != 1:
            continue
        end = shipped.get(str(item.id)) or now - timedelta(days=15 + item.id * 5 % 40)
        before = None
        for at, status in _moves(path, min(end, item.moves[0][0]), item.id):
            session.add(_event(item.id, item.key, before, status, at))
            before, added = status, added + 1
    return added


def _event(item_id: int, key: str, before: str | None, after: str, at: datetime) -> Event:
    return Event(
        name="roadmap_item.updated",
        action="updated",
        actor_label=DEMO_LABEL,
        object_type="roadmap_item",
        object_id=str(item_id),
        object_label=key,
        changes={"status": {"before": before, "after": after}},
        created_at=at,
    )


def _use(session: Session, today: date) -> int:
    """Days of use per person over the last ``WEEKS`` weeks, fixed by their id."""
    have = {(u, d) for u, d in session.execute(select(ActivityDay.user_id, ActivityDay.day))}
    added = 0
    for user in session.scalars(select(User).where(User.is_active.is_(True))):
        role = user.role.value
        for back in range(1, WEEKS * 7 + 1):
            day = today - timedelta(days=back)
            weekday, seed = day.weekday(), (user.id * 7 + back) % 10
            used = weekday < 5 and (
                (role == "admin" and seed < 8)
                or (role == "editor" and seed < 6)
                or (role == "viewer" and seed == 0 and back % 3 == 0)
            )
            if used and (user.id, day) not in have:
                session.add(ActivityDay(user_id=user.id, day=day, role=role))
                added += 1
    return added


def load_demo_ops(session: Session, _actor: Actor, _runtime: Runtime) -> DemoResult:
    """Add the demo items' status history and the demo people's use of Pilothouse."""
    now = datetime.now(UTC)
    statuses = _history(session, now)
    days = _use(session, now.date())
    return DemoResult(added={"status history events": statuses, "days of use": days})
