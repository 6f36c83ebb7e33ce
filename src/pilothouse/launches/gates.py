"""Gates: named approvers decide, and a launch moves to its next stage only when the
current stage's required items are done and every one of its gates is approved.

A refused attempt is itself a fact worth keeping: :func:`advance` raises
:class:`GateRefused` (409, naming each missing item and approver) carrying the
``launch.gate_refused`` audit entry as its ``record``, which the session writes in a
transaction of its own after rolling the failed one back (:mod:`pilothouse.core.errors`);
nothing here commits. Entering the final stage launches the launch and marks its
features launched on the roadmap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import Conflict, FieldError, Forbidden, NotFound
from pilothouse.core.models import Role, User
from pilothouse.launches.common import (
    LAUNCH_OBJECT_TYPE,
    GateRefused,
    invalid,
    launch_label,
    resolve_user,
)
from pilothouse.launches.launching import features_of
from pilothouse.launches.models import (
    ApprovalDecision,
    GateApproval,
    Launch,
    LaunchGate,
    LaunchStatus,
)
from pilothouse.launches.waiting import note_waiting_gates
from pilothouse.roadmap import items as roadmap_items
from pilothouse.roadmap import statuses as roadmap_statuses
from pilothouse.roadmap.models import StatusCategory

__all__ = ["advance", "blockers", "decide", "find_gate", "set_approvers"]

LAUNCHED_STATUS_KEY = "launched"


def find_gate(launch: Launch, gate_id: int) -> LaunchGate:
    for stage in launch.stages:
        for gate in stage.gates:
            if gate.id == gate_id:
                return gate
    raise NotFound(f"{launch.key} has no gate {gate_id}")


def _stage_of(launch: Launch, gate: LaunchGate) -> int:
    return next(s.position for s in launch.stages if s.id == gate.stage_id)


def _check_decidable(launch: Launch, gate: LaunchGate) -> None:
    if launch.status in (LaunchStatus.cancelled, LaunchStatus.launched):
        raise Conflict(
            f"{launch.key} is {launch.status.value}; its gates are closed",
            errors=[FieldError("status", launch.status.value)],
        )
    if _stage_of(launch, gate) < launch.current_stage:
        raise Conflict(
            f"the gate {gate.name!r} was passed already", errors=[FieldError("gate", "passed")]
        )


def decide(
    session: Session,
    actor: Actor,
    launch: Launch,
    gate: LaunchGate,
    decision: ApprovalDecision,
    comment: str = "",
) -> GateApproval:
    """Record the acting person's approval or rejection of ``gate``; only its named
    approvers may decide, whatever their role. A rejection needs a comment."""
    actor.require(Role.viewer, write=True)
    if decision is ApprovalDecision.pending:
        raise invalid("decision", "approved or rejected")
    approval = next((a for a in gate.approvals if a.approver_id == actor.user_id), None)
    if approval is None:
        names = ", ".join(a.approver.email for a in gate.approvals)
        raise Forbidden(f"only the gate's named approvers may decide ({names})")
    _check_decidable(launch, gate)
    comment = comment.strip()
    if decision is ApprovalDecision.rejected and not comment:
        raise invalid("comment", "say why you reject, so the team can fix it")
    before = {"decision": approval.decision.value, "comment": approval.comment}
    if before == {"decision": decision.value, "comment": comment}:
        return approval  # the same decision again changes nothing (and announces nothing)
    approval.decision, approval.comment, approval.decided_at = decision, comment, utcnow()
    session.flush()
    _record_decision(session, actor, launch, gate, approval, before)
    return approval


def _record_decision(
    session: Session,
    actor: Actor,
    launch: Launch,
    gate: LaunchGate,
    approval: GateApproval,
    before: dict[str, Any],
) -> None:
    """``launch.gate_approved``/``_rejected``: which gate and whose decision, as fields
    automation rules filter on and name (``gate``, ``approver``, ``decision``, ...)."""
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch, f"gate {gate.name}"),
        before=before,
        after={
            "gate": gate.name,
            "gate_id": gate.id,
            "approver": approval.approver.email,
            "decision": approval.decision.value,
            "comment": approval.comment,
        },
        name=f"launch.gate_{approval.decision.value}",
    )


def set_approvers(
    session: Session, actor: Actor, launch: Launch, gate: LaunchGate, refs: Sequence[Any]
) -> LaunchGate:
    """Name the gate's approvers (editors); people who stay keep their decision."""
    actor.require(Role.editor, write=True)
    _check_decidable(launch, gate)
    ids = list(
        dict.fromkeys(resolve_user(session, r, f"approvers.{n}") for n, r in enumerate(refs))
    )
    wanted = [i for i in ids if i is not None]
    if not wanted:
        raise invalid("approvers", "a gate needs at least one named approver")
    before = sorted(a.approver.email for a in gate.approvals)
    for approval in list(gate.approvals):
        if approval.approver_id not in wanted:
            gate.approvals.remove(approval)
    have = {a.approver_id for a in gate.approvals}
    gate.approvals.extend(GateApproval(approver_id=i) for i in wanted if i not in have)
    session.flush()
    session.expire(gate, ["approvals"])
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(wanted))).all())
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch, f"gate {gate.name}"),
        before={f"gates.{gate.id}.approvers": before},
        after={f"gates.{gate.id}.approvers": sorted(emails[i] for i in wanted)},
        name="launch.gate_approvers_changed",
    )
    note_waiting_gates(session, actor, launch)
    return gate


def blockers(launch: Launch) -> list[FieldError]:
    """What keeps the launch in its current stage: each open required item, and each
    approver of the stage's gates who has not approved (pending or rejected)."""
    stage = launch.stage
    if stage is None:
        return []
    found = [
        FieldError(f"items.{item.id}", f"required item not done: {item.title}")
        for item in stage.items
        if item.required and not item.done
    ]
    for gate in stage.gates:
        for approval in gate.approvals:
            if approval.decision is not ApprovalDecision.approved:
                state = "rejected" if approval.decision is ApprovalDecision.rejected else "pending"
                found.append(
                    FieldError(
                        f"gates.{gate.id}.approvers.{approval.approver.email}",
                        f"{gate.name}: approval {state} from {approval.approver.email}",
                    )
                )
    return found


def _refuse(actor: Actor, launch: Launch, problems: list[FieldError]) -> None:
    stage = launch.stage
    assert stage is not None
    nxt = launch.stages[launch.current_stage + 1].name
    detail = (
        f"{launch.key} cannot leave {stage.name} for {nxt}: "
        + "; ".join(p.message for p in problems[:10])
        + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
    )
    launch_id, label = launch.id, launch_label(launch, f"{stage.name} → {nxt} refused")
    before = {"stage": stage.name}
    after = {"refused": nxt, "reasons": [p.message for p in problems]}

    def record(fresh: Session) -> None:  # kept although the request fails (core.errors)
        record_change(
            fresh,
            actor,
            object_type=LAUNCH_OBJECT_TYPE,
            object_id=launch_id,
            action=Action.updated,
            label=label,
            before=before,
            after=after,
            name="launch.gate_refused",
        )

    raise GateRefused(detail, errors=problems, record=record)


def _mark_features_launched(session: Session, actor: Actor, launch: Launch) -> None:
    """Move the launch's roadmap items to the workflow's launched status (``launched``,
    else the first status in the ``done`` category), through the roadmap's service."""
    statuses = roadmap_statuses.list_statuses(session)
    target = next((s for s in statuses if s.key == LAUNCHED_STATUS_KEY), None) or next(
        (s for s in statuses if s.category is StatusCategory.done), None
    )
    if target is None:
        return
    for item in features_of(session, launch):
        if item.status_id != target.id:
            roadmap_items.update_item(session, actor, item, {"status": target.key})


def _ga_warnings(session: Session, launch: Launch) -> list[str]:
    """Running linked experiments, when this advance passes the GA gate (into the last
    stage): kept on the ``launch.stage_changed`` event as ``warnings``, never a block."""
    from pilothouse.launches import cross_links

    if launch.current_stage != cross_links.ga_gate_position(launch):
        return []
    return cross_links.running_warnings(cross_links.linked_experiments(session, launch))


def _record_stage_change(
    session: Session, actor: Actor, launch: Launch, before: dict[str, Any], warnings: list[str]
) -> None:
    after: dict[str, Any] = {
        "stage": launch.stages[launch.current_stage].name,
        "status": launch.status.value,
    }
    if warnings:
        after["warnings"] = warnings
    record_change(
        session,
        actor,
        object_type=LAUNCH_OBJECT_TYPE,
        object_id=launch.id,
        action=Action.updated,
        label=launch_label(launch),
        before=before,
        after=after,
        name="launch.stage_changed",
    )


def advance(session: Session, actor: Actor, launch: Launch) -> Launch:
    """Move ``launch`` into its next stage, or refuse with the reasons (see the module).

    A linked experiment still running when the GA gate is passed does not stop it; the
    event records ``warnings`` (``["EXP-3 is still running"]``) so the choice is on file.
    """
    actor.require(Role.editor, write=True)
    # Lock the row (PostgreSQL; SQLite transactions are serialised already), so two
    # clicks on "Pass gate" cannot both move the launch from the same stage.
    session.flush()
    session.execute(select(Launch.id).where(Launch.id == launch.id).with_for_update())
    session.expire_all()  # read stage, items and approvals as of the lock
    if launch.status in (LaunchStatus.cancelled, LaunchStatus.launched):
        raise Conflict(
            f"{launch.key} is {launch.status.value}; there is no next stage",
            errors=[FieldError("status", launch.status.value)],
        )
    if launch.current_stage >= len(launch.stages) - 1:
        raise Conflict(f"{launch.key} is in its final stage", errors=[FieldError("stage", "final")])
    problems = blockers(launch)
    if problems:
        _refuse(actor, launch, problems)
    before = {"stage": launch.stages[launch.current_stage].name, "status": launch.status.value}
    warnings = _ga_warnings(session, launch)
    now = utcnow()
    launch.stages[launch.current_stage].passed_at = now
    launch.current_stage += 1
    launch.stages[launch.current_stage].entered_at = now
    final = launch.current_stage == len(launch.stages) - 1
    launch.status = LaunchStatus.launched if final else LaunchStatus.in_progress
    if final:
        launch.launched_at = now
    session.flush()
    _record_stage_change(session, actor, launch, before, warnings)
    if final:
        _mark_features_launched(session, actor, launch)
    else:
        note_waiting_gates(session, actor, launch)  # the new stage may have no open items
    return launch
