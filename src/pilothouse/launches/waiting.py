"""``launch.gate_waiting``: a launch has reached a gate and now waits for its approvers.

A gate is *waiting* when the launch is open (planned or in progress) and in the
gate's stage, every required checklist item of that stage is done, and at least one
named approver has not approved yet. The work is finished; only a decision is
missing. That moment is worth telling the approvers about, so it is recorded as an
audit event (the outbox that automation rules and watchers read), in the same
transaction as the change that brought it about: creating a launch, passing the
previous gate, ticking off the last required item, making an item optional, or
naming approvers.

Once per gate: a gate that stops waiting (an item is re-opened) and waits again is
not announced a second time, so approvers are not nagged by back-and-forth edits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.audit_log import already_recorded
from pilothouse.launches.common import LAUNCH_OBJECT_TYPE, launch_label
from pilothouse.launches.models import ApprovalDecision, Launch, LaunchGate, LaunchStatus

__all__ = ["GATE_WAITING", "note_waiting_gates", "waiting_gates"]

GATE_WAITING = "launch.gate_waiting"
_OPEN = (LaunchStatus.planned, LaunchStatus.in_progress)


def waiting_gates(launch: Launch) -> list[LaunchGate]:
    """The gates of the current stage that wait only for approvals (see the module)."""
    stage = launch.stage
    if launch.status not in _OPEN or stage is None:
        return []
    if any(item.required and not item.done for item in stage.items):
        return []
    return [
        gate
        for gate in stage.gates
        if any(a.decision is not ApprovalDecision.approved for a in gate.approvals)
    ]


def _payload(launch: Launch, gate: LaunchGate) -> dict[str, Any]:
    stage = launch.stage
    assert stage is not None
    area = launch.product_area
    return {
        "key": f"gate:{gate.id}",
        "launch": launch.key,
        "name": launch.name,
        "gate": gate.name,
        "stage": stage.name,
        "approvers": sorted(
            a.approver.email for a in gate.approvals if a.decision is not ApprovalDecision.approved
        ),
        "area": area.slug if area is not None else None,
        "target_date": str(launch.target_date),
    }


def note_waiting_gates(session: Session, actor: Actor, launch: Launch) -> int:
    """Record ``launch.gate_waiting`` for each gate that now waits and was not announced.

    Returns:
        How many events were recorded.
    """
    session.flush()
    recorded = 0
    for gate in waiting_gates(launch):
        key = f"gate:{gate.id}"
        if already_recorded(session, GATE_WAITING, LAUNCH_OBJECT_TYPE, launch.id, "key", key):
            continue
        record_change(
            session,
            actor,
            object_type=LAUNCH_OBJECT_TYPE,
            object_id=launch.id,
            action=Action.updated,
            label=launch_label(launch, f"gate {gate.name} waiting"),
            after=_payload(launch, gate),
            name=GATE_WAITING,
        )
        recorded += 1
    return recorded
