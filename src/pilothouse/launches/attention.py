"""What a launch asks of people now: gates waiting for an approver, launches running late.

Read-only queries for the home page ("what needs my attention"). They live apart from
the rules in ``gates`` and ``readiness`` so that other domains and the web layer read
launches through a service, never through the launch tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, selectinload

from pilothouse.launches.models import (
    ApprovalDecision,
    GateApproval,
    Launch,
    LaunchGate,
    LaunchItem,
    LaunchStage,
    LaunchStatus,
)
from pilothouse.launches.readiness import item_overdue

__all__ = ["LateLaunch", "WaitingGate", "gates_waiting_for", "late_launches"]

OPEN_STATUSES = (LaunchStatus.planned, LaunchStatus.in_progress)


@dataclass(frozen=True)
class WaitingGate:
    """A gate of a launch's current stage on which ``approver`` has not decided yet."""

    launch: Launch
    stage_name: str
    gate_name: str
    stage_due: date


@dataclass(frozen=True)
class LateLaunch:
    """An open launch behind its plan, and why, in words a person acts on."""

    launch: Launch
    reasons: tuple[str, ...]
    days_late: int


def gates_waiting_for(session: Session, user_id: int) -> list[WaitingGate]:
    """Pending approvals of ``user_id`` on gates that can be decided now (the launch is open
    and the gate belongs to its current stage), soonest stage due date first."""
    rows = session.execute(
        select(Launch, LaunchStage, LaunchGate)
        .join(LaunchStage, LaunchStage.launch_id == Launch.id)
        .join(LaunchGate, LaunchGate.stage_id == LaunchStage.id)
        .join(GateApproval, GateApproval.gate_id == LaunchGate.id)
        .where(
            GateApproval.approver_id == user_id,
            GateApproval.decision == ApprovalDecision.pending,
            Launch.status.in_(OPEN_STATUSES),
            LaunchStage.position == Launch.current_stage,
        )
        .order_by(LaunchStage.due_date, Launch.id, LaunchGate.position)
    ).unique()
    return [
        WaitingGate(launch, stage.name, gate.name, stage.due_date) for launch, stage, gate in rows
    ]


def _lateness(launch: Launch, today: date) -> LateLaunch | None:
    reasons: list[str] = []
    late_since: list[date] = []
    if launch.target_date < today:
        reasons.append(f"GA date {launch.target_date.isoformat()} has passed")
        late_since.append(launch.target_date)
    stage = launch.stage
    if stage is not None and stage.due_date < today and stage.position < len(launch.stages) - 1:
        reasons.append(f"{stage.name} stage was due {stage.due_date.isoformat()}")
        late_since.append(stage.due_date)
    overdue = [
        item
        for s in launch.stages
        for item in s.items
        if item.required and item_overdue(launch, s, item, today)
    ]
    if overdue:
        reasons.append(
            f"{len(overdue)} required checklist item{'s' if len(overdue) != 1 else ''} overdue"
        )
        late_since.append(min(item.due_date for item in overdue))
    if not reasons:
        return None
    return LateLaunch(launch, tuple(reasons), (today - min(late_since)).days)


def late_launches(session: Session, today: date, *, limit: int = 20) -> list[LateLaunch]:
    """Planned or in-progress launches behind their plan on ``today`` — GA date passed,
    current stage past its due date, or required checklist items overdue — latest first."""
    # Lateness reads the stages and their checklists, never the gates and approvals
    # (two statements fewer per view) nor who owns or did each checklist item (two user
    # rows joined into each): those are loaded only if something asks for them.
    unread = selectinload(Launch.stages).options(
        lazyload(LaunchStage.gates),
        selectinload(LaunchStage.items).options(
            lazyload(LaunchItem.owner), lazyload(LaunchItem.done_by)
        ),
    )
    launches = session.scalars(
        select(Launch)
        .where(Launch.status.in_(OPEN_STATUSES))
        .order_by(Launch.target_date)
        .options(unread)
    ).unique()
    late = [found for launch in launches if (found := _lateness(launch, today)) is not None]
    late.sort(key=lambda entry: (-entry.days_late, entry.launch.id))
    return late[:limit]
