"""Read functions for process health (``ops``): launches, their stages and gates.

``ops`` reads launches only through this module. Times come from what the launch
workflow records itself: when each stage was entered and passed, when its checklist
items were ticked off, when each approver decided, and ``launched_at`` (GA).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.launches.models import ApprovalDecision, Launch, LaunchStage

__all__ = ["GateWait", "LaunchFacts", "launch_facts"]


@dataclass(frozen=True)
class GateWait:
    """One gate whose approvers all approved: from the moment it was ready (its stage's
    required items done, or the stage's start) to the last approval."""

    gate: str
    stage: str
    ready_at: datetime
    approved_at: datetime


@dataclass(frozen=True)
class LaunchFacts:
    id: int
    key: str
    area_id: int | None
    status: str
    target_date: date
    launched_at: datetime | None
    gates: tuple[GateWait, ...]


def _ready_at(stage: LaunchStage, last_approval: datetime) -> datetime:
    """When the gate began to wait for its approvers: the last tick of a required item
    of its stage up to the last approval, or the stage's start when there is none. The
    stage's own work before that is not waiting (stage and cycle times count it)."""
    assert stage.entered_at is not None
    ticks = [
        i.done_at
        for i in stage.items
        if i.required and i.done_at is not None and i.done_at <= last_approval
    ]
    return max([stage.entered_at, *ticks])


def _gate_waits(launch: Launch) -> tuple[GateWait, ...]:
    waits = []
    for stage in launch.stages:
        if stage.entered_at is None:
            continue
        for gate in stage.gates:
            times = [a.decided_at for a in gate.approvals]
            approved = all(a.decision is ApprovalDecision.approved for a in gate.approvals)
            if gate.approvals and approved and all(times):
                last = max(t for t in times if t is not None)
                waits.append(GateWait(gate.name, stage.name, _ready_at(stage, last), last))
    return tuple(waits)


def launch_facts(session: Session) -> list[LaunchFacts]:
    """Every launch that still exists, with the gates that were approved."""
    out = []
    for launch in session.scalars(select(Launch).order_by(Launch.id)):
        out.append(
            LaunchFacts(
                id=launch.id,
                key=launch.key,
                area_id=launch.product_area_id,
                status=launch.status.value,
                target_date=launch.target_date,
                launched_at=launch.launched_at,
                gates=_gate_waits(launch),
            )
        )
    return out
