"""A small workspace with a hand-worked history, the same for every process-health test.

Roadmap items go through the roadmap's services (so the audit log holds their real
status events) and their events are then moved to the fixture's dates; launches,
feedback and experiments are written as rows with exact times, since their figures
read times the domains store. Every expected value is worked by hand in
``EXPECTED`` (days; all times at noon UTC; "now" is 11 April 2026).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, add_link
from pilothouse.core.models import Event, Link, ProductArea, Role, User
from pilothouse.experiments.models import (
    DecisionOutcome,
    Experiment,
    ExperimentDecision,
    ExperimentStatus,
)
from pilothouse.feedback.models import (
    AssignedBy,
    FeedbackItem,
    FeedbackStatus,
    FeedbackTheme,
    FeedbackThemeMember,
    SourceKind,
)
from pilothouse.launches.models import (
    ApprovalDecision,
    GateApproval,
    Launch,
    LaunchGate,
    LaunchItem,
    LaunchStage,
    LaunchStatus,
)
from pilothouse.ops.health.models import ActivityDay
from pilothouse.roadmap import items as roadmap_items
from pilothouse.roadmap.statuses import ensure_default_statuses

__all__ = ["EXPECTED", "NOW", "build", "d"]

CLI = Actor.command_line()


def d(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


NOW = d(4, 11)

#: figure key → (value, p85, n) unfiltered, worked by hand (see each block below).
EXPECTED: dict[str, tuple[float | None, float | None, int]] = {
    # cycle times 19 (straight), 30 (moved backwards), 64 (reopened: 1 Feb → 6 Apr)
    "cycle_time": (30, 64, 3),
    "stage_time_backlog": (2, 4, 3),  # 4, 2, 1
    "stage_time_discovery": (7, 7, 1),  # 3 + 4 (visited twice)
    "stage_time_planned": (4, 5, 2),  # 5; 2 + 2
    "stage_time_in_progress": (17, 58, 3),  # 10, 17, 8 + 50
    "evidence_share": (0.8, None, 5),  # 4 of the 5 items that still exist
    "launch_on_time": (2 / 3, None, 3),
    "gate_wait": (1, 4, 2),
    # first evidence sent → GA: 1 Jan → 20 Jan, 1 Jan → 25 Jan, 1 Jan → 6 Apr (via a
    # theme); the item whose only evidence was sent after its GA is left out
    "feedback_lead_time": (24, 95, 3),
    "decisions_per_launch": (1.0, None, 3),  # 2, 1, 0
    # 1 (link before status), 3 (put in a theme by a person), 1 (later sent back to new)
    "triage_time": (1, 3, 3),
    "untriaged_backlog": (2, None, 2),
    "experiment_velocity": (1.0, None, 4),  # 4 starts over January..April
    "win_rate": (0.5, None, 2),
    "share_decided": (2 / 3, None, 3),
    "stop_to_decision": (2, 10, 2),
    # person-weeks: approver 1 in the weeks of 5 and 12 Jan, approver 2 in those of 5 Jan
    # (editor) and 19 Jan (admin by then), the viewer in that of 19 Jan: 5 over 3 weeks
    "wau": (5 / 3, None, 5),
    "wau_admin": (1.0, None, 1),
    "wau_editor": (1.5, None, 3),  # 3 person-weeks over the weeks of 5 and 12 Jan
    "wau_viewer": (1.0, None, 1),
}


def _moves(session: Session, key: str, *moves: tuple[datetime, str]) -> int:
    """Create item ``key`` then move it through ``moves``; its events get their dates."""
    first_at, _ = moves[0]
    item = roadmap_items.create_item(session, CLI, {"kind": "feature", "title": key})
    for _at, status in moves[1:]:
        roadmap_items.update_item(session, CLI, item, {"status": status})
    session.flush()
    events = session.scalars(
        select(Event.id)
        .where(Event.object_type == "roadmap_item", Event.object_id == str(item.id))
        .order_by(Event.id)
    ).all()
    for event_id, (at, _status) in zip(events, moves, strict=True):
        session.execute(update(Event).where(Event.id == event_id).values(created_at=at))
    item.created_at = first_at
    return item.id


def _roadmap(session: Session, area: int) -> dict[str, int]:
    ensure_default_statuses(session)
    ids = {
        "straight": _moves(
            session, "Straight", (d(1, 1), "new"), (d(1, 5), "planned"),
            (d(1, 10), "in-progress"), (d(1, 20), "launched"),
        ),
        "backwards": _moves(
            session, "Backwards", (d(1, 1), "new"), (d(1, 3), "discovery"),
            (d(1, 6), "planned"), (d(1, 8), "discovery"), (d(1, 12), "planned"),
            (d(1, 14), "in-progress"), (d(1, 31), "launched"),
        ),
        "reopened": _moves(
            session, "Reopened", (d(2, 1), "new"), (d(2, 2), "in-progress"),
            (d(2, 10), "launched"), (d(2, 15), "in-progress"), (d(4, 6), "launched"),
        ),
        "open": _moves(session, "Open", (d(1, 1), "new"), (d(1, 2), "planned")),
        "deleted": _moves(session, "Deleted", (d(1, 1), "new"), (d(1, 3), "launched")),
        "reopened_open": _moves(
            session, "Reopened and open", (d(1, 1), "new"), (d(1, 5), "launched"),
            (d(1, 7), "in-progress"),
        ),
    }  # fmt: skip
    # a later event that restates the status it already had (an import) is not an entry
    session.add(
        Event(
            name="roadmap_item.created", action="created", actor_label="import",
            object_type="roadmap_item", object_id=str(ids["straight"]),
            changes={"status": {"before": None, "after": "launched"}}, created_at=d(3, 1),
        )
    )  # fmt: skip
    for name in ("straight", "backwards", "open", "deleted"):
        item = session.get(roadmap_items.RoadmapItem, ids[name])
        assert item is not None
        item.product_area_id = area
    return ids


def _link(session: Session, source: ObjectRef, target: ObjectRef, kind: str, at: datetime) -> None:
    link = add_link(session, CLI, source, target, kind)
    link.created_at = at


def _item(ident: int) -> ObjectRef:
    return ObjectRef("roadmap_item", str(ident))


def _launch(session: Session, key: str, area: int | None, target: date, ga: datetime | None) -> int:
    status = LaunchStatus.launched if ga else LaunchStatus.planned
    launch = Launch(key=key, name=key, product_area_id=area, target_date=target, status=status)
    launch.launched_at = ga
    session.add(launch)
    session.flush()
    return launch.id


def _ticks(session: Session, launch: int, *done: tuple[bool, datetime]) -> None:
    """Checklist items of the launch's latest stage, ``(required, done at)`` each."""
    query = select(LaunchStage.id).where(LaunchStage.launch_id == launch)
    stage = session.scalars(query.order_by(LaunchStage.id.desc())).first()
    for number, (required, at) in enumerate(done):
        item = LaunchItem(
            stage_id=stage, position=number, title=f"Item {number}", required=required
        )
        item.due_date, item.done_at = at.date(), at
        session.add(item)


def _gate(
    session: Session, launch: int, entered: datetime, *votes: tuple[int, str, datetime]
) -> None:
    position = len(
        session.scalars(select(LaunchStage.id).where(LaunchStage.launch_id == launch)).all()
    )
    stage = LaunchStage(launch_id=launch, position=position, name="Beta", due_date=entered.date())
    stage.entered_at = entered
    session.add(stage)
    session.flush()
    gate = LaunchGate(stage_id=stage.id, name="Go")
    session.add(gate)
    session.flush()
    for user, decision, at in votes:
        approved = ApprovalDecision(decision)
        when = None if approved is ApprovalDecision.pending else at
        session.add(
            GateApproval(gate_id=gate.id, approver_id=user, decision=approved, decided_at=when)
        )


def _launches(session: Session, area: int, items: dict[str, int]) -> dict[str, int]:
    users = []
    for n in (1, 2):
        user = User(email=f"approver{n}@example.com", name=f"Approver {n}", role=Role.editor)
        session.add(user)
        session.flush()
        users.append(user.id)
    ids = {
        "l1": _launch(session, "HL-1", area, date(2026, 1, 20), d(1, 20)),
        "l2": _launch(session, "HL-2", None, date(2026, 3, 31), d(4, 6)),
        "l3": _launch(session, "HL-3", area, date(2026, 5, 1), None),
        "l4": _launch(session, "HL-4", area, date(2026, 1, 30), d(1, 25)),
    }
    u1, u2 = users
    viewer = User(email="reader@example.com", name="Reader", role=Role.viewer)
    session.add(viewer)
    session.flush()
    used = (
        (u1, 5, "editor"), (u1, 6, "editor"), (u1, 14, "editor"), (u2, 7, "editor"),
        (u2, 21, "admin"), (viewer.id, 20, "viewer"),
    )  # fmt: skip
    for user, day, role in used:
        session.add(ActivityDay(user_id=user, day=date(2026, 1, day), role=role))
    # The stage began on 5 Jan, but the gate was ready when its required item was ticked
    # off on 10 Jan (an optional one and one ticked after the approvals do not count):
    # it waited 10 → 14 Jan, 4 days (from the stage's start it would be 9).
    _gate(session, ids["l1"], d(1, 5), (u1, "approved", d(1, 12)), (u2, "approved", d(1, 14)))
    ticks = ((True, d(1, 7)), (True, d(1, 10)), (False, d(1, 13)), (True, d(1, 15)))
    _ticks(session, ids["l1"], *ticks)
    _gate(session, ids["l2"], d(3, 1), (u1, "approved", d(3, 2)), (u2, "pending", d(3, 2)))
    _gate(session, ids["l2"], d(3, 20), (u1, "approved", d(3, 21)))
    _gate(session, ids["l4"], d(1, 20), (u1, "rejected", d(1, 21)))
    ships = (
        ("l1", "straight"), ("l2", "reopened"), ("l4", "backwards"), ("l4", "reopened_open")
    )  # fmt: skip
    for launch, item in ships:
        _link(session, ObjectRef("launch", str(ids[launch])), _item(items[item]), "ships", d(1, 1))
    for n, launch in enumerate(("l1", "l1", "l2")):
        decision = ObjectRef("decision", str(100 + n))
        _link(session, decision, ObjectRef("launch", str(ids[launch])), "about", d(1, 2))
    _link(session, ObjectRef("decision", "100"), _item(items["open"]), "about", d(1, 2))
    return ids


def _feedback(session: Session, at: datetime, status: FeedbackStatus, area: int | None) -> int:
    item = FeedbackItem(
        text="It is slow", source_kind=SourceKind.support_ticket, source_name="desk", status=status
    )
    item.recorded_at = item.created_at = at
    item.product_area_id = area
    session.add(item)
    session.flush()
    return item.id


def _status_event(session: Session, item: int, before: str, after: str, at: datetime) -> None:
    session.add(
        Event(
            name="feedback_item.updated", action="updated", actor_label="cli",
            object_type="feedback_item", object_id=str(item),
            changes={"status": {"before": before, "after": after}}, created_at=at,
        )
    )  # fmt: skip


def _theme(session: Session, label: str, *members: tuple[int, datetime | None]) -> ObjectRef:
    """A theme with ``members``; a time means a person put the item there then."""
    theme = FeedbackTheme(label=label)
    session.add(theme)
    session.flush()
    for item, placed in members:
        by = AssignedBy.person if placed else AssignedBy.auto
        member = FeedbackThemeMember(item_id=item, theme_id=theme.id, assigned_by=by)
        member.assigned_at = placed or NOW
        session.add(member)
    return ObjectRef("feedback_theme", str(theme.id))


def _feedback_items(session: Session, area: int, items: dict[str, int]) -> dict[str, int]:
    ids = {
        "f1": _feedback(session, d(1, 1), FeedbackStatus.linked, area),
        "f2": _feedback(session, d(1, 1), FeedbackStatus.triaged, None),
        "f3": _feedback(session, d(4, 1), FeedbackStatus.new, area),
        "f4": _feedback(session, d(1, 1), FeedbackStatus.new, None),
    }
    fb = {k: ObjectRef("feedback_item", str(v)) for k, v in ids.items()}
    _link(session, fb["f1"], _item(items["straight"]), "evidence", d(1, 2))
    _status_event(session, ids["f1"], "new", "linked", d(1, 3))
    _status_event(session, ids["f2"], "new", "triaged", d(1, 6))
    _status_event(session, ids["f4"], "new", "triaged", d(1, 2))
    _status_event(session, ids["f4"], "triaged", "new", d(1, 4))
    _link(session, fb["f2"], _item(items["straight"]), "evidence", d(1, 25))
    _link(session, fb["f2"], _item(items["deleted"]), "evidence", d(1, 2))
    _link(session, fb["f2"], _item(items["backwards"]), "evidence", d(2, 1))  # after its GA
    early = _theme(session, "Slow", (ids["f4"], None), (ids["f2"], d(1, 4)))
    _link(session, early, _item(items["reopened"]), "evidence", d(2, 3))
    late = _theme(session, "Late", (ids["f3"], None))  # sent 1 Apr, after HL-4's GA
    _link(session, late, _item(items["reopened_open"]), "evidence", d(4, 2))
    return ids


def _experiment(session: Session, key: str, start: datetime | None, end: datetime | None) -> int:
    status = ExperimentStatus.stopped if end else ExperimentStatus.running
    experiment = Experiment(
        key=key, name=key, status=status if start else ExperimentStatus.draft, started_at=start
    )
    experiment.ended_at = end
    session.add(experiment)
    session.flush()
    return experiment.id


def _experiments(session: Session) -> dict[str, int]:
    ids = {
        "e1": _experiment(session, "HEXP-1", d(1, 5), d(1, 25)),
        "e2": _experiment(session, "HEXP-2", d(2, 10), d(3, 1)),
        "e3": _experiment(session, "HEXP-3", d(2, 20), d(3, 5)),
        "e4": _experiment(session, "HEXP-4", d(4, 2), None),
        "e5": _experiment(session, "HEXP-5", None, None),
    }
    for key, outcome, at in (("e1", "ship", d(1, 27)), ("e2", "roll_back", d(3, 11))):
        experiment = session.get(Experiment, ids[key])
        assert experiment is not None
        experiment.status = ExperimentStatus.decided
        session.add(
            ExperimentDecision(
                experiment_id=ids[key], outcome=DecisionOutcome(outcome), rationale="seen",
                decided_by_label="cli", decided_at=at,
            )
        )  # fmt: skip
    return ids


def build(session: Session) -> dict[str, int]:
    """Write the fixture; returns the ids by name and ``area`` (the *growth* area)."""
    area = ProductArea(slug="growth", name="Growth")
    session.add(area)
    session.flush()
    items = _roadmap(session, area.id)
    launches = _launches(session, area.id, items)
    feedback = _feedback_items(session, area.id, items)
    experiments = _experiments(session)
    deleted = session.get(roadmap_items.RoadmapItem, items["deleted"])
    assert deleted is not None
    roadmap_items.delete_item(session, CLI, deleted)
    assert session.scalar(select(Link.id).where(Link.to_id == str(items["deleted"]))) is None
    return {**items, **launches, **feedback, **experiments, "area": area.id}
