"""``launch.gate_waiting``: a launch has reached a gate and now waits for its approvers.

A gate is *waiting* when the launch is open (planned or in progress) and in the
gate's stage, every required checklist item of that stage is done, and at least one
named approver has not approved yet. The work is finished; only a decision is
missing. That moment is worth telling the approvers about, so it is recorded as an
audit event (the outbox that automation rules and watchers read), in the same
transaction as the change that brought it about: creating a launch, passing the
previous gate, ticking off the last required item, making an item optional, or
naming approvers.

Once per transition to waiting: when the gate's stage stops being ready after an
announcement (a required item re-opened, added or made required, the launch
cancelled), ``launch.gate_waiting_ended`` is recorded (an audit entry, not an event
rules trigger on), and the next time the gate waits it is announced again. Edits that
leave a waiting gate waiting (an optional item ticked, an approver added), and calling
:func:`note_waiting_gates` again, announce nothing: the last of the two entries about
the gate says whether it has been announced. The launch's row is locked first
(PostgreSQL), so two changes committed at once cannot both announce one transition,
nor both miss it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.models import Event
from pilothouse.launches.common import LAUNCH_OBJECT_TYPE, launch_label
from pilothouse.launches.models import ApprovalDecision, Launch, LaunchGate, LaunchStatus

__all__ = ["GATE_WAITING", "GATE_WAITING_ENDED", "note_waiting_gates", "waiting_gates"]

GATE_WAITING = "launch.gate_waiting"
GATE_WAITING_ENDED = "launch.gate_waiting_ended"
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


def _open_required(launch: Launch) -> list[str]:
    """Titles of the current stage's open required items: while any is open, the stage
    is not ready and none of its gates waits."""
    stage = launch.stage
    if stage is None:
        return []
    return [item.title for item in stage.items if item.required and not item.done]


def _announced(session: Session, launch: Launch) -> set[str]:
    """Keys (``gate:<id>``) of the gates whose last entry is an announcement."""
    rows = session.execute(
        select(Event.name, Event.changes)
        .where(
            Event.name.in_((GATE_WAITING, GATE_WAITING_ENDED)),
            Event.object_type == LAUNCH_OBJECT_TYPE,
            Event.object_id == str(launch.id),
        )
        .order_by(Event.id)
    )
    last: dict[str, str] = {}
    for name, changes in rows:
        key = ((changes or {}).get("key") or {}).get("after")
        if key:
            last[str(key)] = name
    return {key for key, name in last.items() if name == GATE_WAITING}


def _lock(session: Session, launch: Launch) -> None:
    """Serialise the launch's changes (PostgreSQL) and read its checklist as committed."""
    session.flush()
    session.execute(select(Launch.id).where(Launch.id == launch.id).with_for_update())
    session.expire_all()


def _record_end(session: Session, actor: Actor, launch: Launch, gate: LaunchGate) -> None:
    stage = launch.stage
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch, f"gate {gate.name} no longer waiting"),
        after={
            "key": f"gate:{gate.id}",
            "gate": gate.name,
            "stage": stage.name if stage is not None else None,
            "status": launch.status.value,
            "open_items": _open_required(launch),
        },
        name=GATE_WAITING_ENDED,
    )


def note_waiting_gates(session: Session, actor: Actor, launch: Launch) -> int:
    """Record ``launch.gate_waiting`` for each gate that now waits and is not announced,
    and ``launch.gate_waiting_ended`` for each announced gate of the current stage whose
    stage stopped being ready (see the module).

    Returns:
        How many ``launch.gate_waiting`` events were recorded.
    """
    _lock(session, launch)
    announced = _announced(session, launch)
    stage = launch.stage
    if stage is not None and (launch.status not in _OPEN or _open_required(launch)):
        for gate in stage.gates:
            if f"gate:{gate.id}" in announced:
                _record_end(session, actor, launch, gate)
        return 0
    recorded = 0
    for gate in waiting_gates(launch):
        if f"gate:{gate.id}" in announced:
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
