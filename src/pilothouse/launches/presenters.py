"""Turning launches and templates into their API shapes (readiness and overdue need today)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.models import User
from pilothouse.launches import cross_links
from pilothouse.launches import gates as gate_rules
from pilothouse.launches.launching import features_of
from pilothouse.launches.models import ApprovalDecision, Launch, LaunchStage, LaunchTemplate
from pilothouse.launches.readiness import item_overdue, readiness_of
from pilothouse.launches.schemas import (
    ApprovalRead,
    DecisionBriefRead,
    FeatureRead,
    GateRead,
    ItemRead,
    LaunchBrief,
    LaunchRead,
    LinkedExperimentRead,
    PersonRef,
    ReadinessRead,
    StageRead,
    TemplateGateRead,
    TemplateItemRead,
    TemplateRead,
    TemplateStageRead,
    VariationResultRead,
)

if TYPE_CHECKING:
    from pilothouse.experiments.experiment_links import ExperimentSummary

__all__ = [
    "experiment_read",
    "launch_brief",
    "launch_read",
    "overdue_count",
    "person",
    "stage_state",
    "template_read",
]


def person(user: User | None) -> PersonRef | None:
    return PersonRef(id=user.id, email=user.email, name=user.name) if user else None


def template_read(session: Session, template: LaunchTemplate) -> TemplateRead:
    users = {u.id: u for u in session.scalars(select(User))}
    return TemplateRead(
        id=template.id,
        name=template.name,
        description=template.description,
        created_at=template.created_at,
        updated_at=template.updated_at,
        stages=[
            TemplateStageRead(
                name=s.name,
                offset_days=s.offset_days,
                items=[
                    TemplateItemRead(
                        title=i.title,
                        owner_role=i.owner_role,
                        offset_days=i.offset_days,
                        required=i.required,
                    )
                    for i in s.items
                ],
                gates=[
                    TemplateGateRead(
                        name=g.name,
                        approvers=[p for a in g.approver_ids if (p := person(users.get(a)))],
                    )
                    for g in s.gates
                ],
            )
            for s in template.stages
        ],
    )


def stage_state(launch: Launch, stage: LaunchStage) -> str:
    if stage.position < launch.current_stage:
        return "passed"
    return "current" if stage.position == launch.current_stage else "upcoming"


def overdue_count(launch: Launch, today: date) -> int:
    return sum(1 for s in launch.stages for i in s.items if item_overdue(launch, s, i, today))


def _stage(launch: Launch, stage: LaunchStage, today: date) -> StageRead:
    return StageRead(
        position=stage.position,
        name=stage.name,
        due_date=stage.due_date,
        state=stage_state(launch, stage),
        entered_at=stage.entered_at,
        passed_at=stage.passed_at,
        items=[
            ItemRead(
                id=i.id,
                title=i.title,
                owner_role=i.owner_role,
                owner=person(i.owner),
                due_date=i.due_date,
                required=i.required,
                done=i.done,
                done_at=i.done_at,
                done_by=person(i.done_by),
                overdue=item_overdue(launch, stage, i, today),
            )
            for i in stage.items
        ],
        gates=[
            GateRead(
                id=g.id,
                name=g.name,
                approved=all(a.decision is ApprovalDecision.approved for a in g.approvals),
                approvals=[
                    ApprovalRead(
                        approver=person(a.approver),  # type: ignore[arg-type]
                        decision=a.decision,
                        comment=a.comment,
                        decided_at=a.decided_at,
                    )
                    for a in g.approvals
                ],
            )
            for g in stage.gates
        ],
    )


def launch_brief(launch: Launch, today: date) -> LaunchBrief:
    return LaunchBrief(
        key=launch.key,
        name=launch.name,
        status=launch.status,
        stage=launch.stage.name if launch.stage else None,
        product_area=launch.product_area.name if launch.product_area else None,
        owner=person(launch.owner),
        target_date=launch.target_date,
        readiness=readiness_of(launch, today).score,
        overdue=overdue_count(launch, today),
    )


def experiment_read(summary: ExperimentSummary) -> LinkedExperimentRead:
    return LinkedExperimentRead(
        id=summary.id,
        key=summary.key,
        name=summary.name,
        status=summary.status,
        url=summary.url,
        primary_metric=summary.primary_metric,
        relative=summary.relative,
        results=[
            VariationResultRead.model_validate(r, from_attributes=True) for r in summary.results
        ],
        result_summary=summary.result_summary,
        analysed_at=summary.analysed_at,
    )


def _readiness_read(launch: Launch, today: date) -> ReadinessRead:
    readiness = readiness_of(launch, today)
    return ReadinessRead(
        score=readiness.score,
        base=round(readiness.base, 4),
        penalty=readiness.penalty,
        overdue_required=readiness.overdue_required,
        overdue_optional=readiness.overdue_optional,
    )


def _loop_fields(session: Session, launch: Launch) -> dict[str, Any]:
    """The launch's experiments, the decisions about it, and the GA-gate warnings."""
    experiments = cross_links.linked_experiments(session, launch)
    return {
        "experiments": [experiment_read(e) for e in experiments],
        "decisions": [
            DecisionBriefRead.model_validate(d, from_attributes=True)
            for d in cross_links.decisions_about_launch(session, launch)
        ],
        "warnings": cross_links.ga_warnings(launch, experiments),
    }


def launch_read(session: Session, launch: Launch, today: date) -> LaunchRead:
    return LaunchRead(
        id=launch.id,
        key=launch.key,
        name=launch.name,
        description=launch.description,
        template_name=launch.template_name,
        status=launch.status,
        stage=launch.stage.name if launch.stage else None,
        current_stage=launch.current_stage,
        product_area=launch.product_area.name if launch.product_area else None,
        owner=person(launch.owner),
        target_date=launch.target_date,
        launched_at=launch.launched_at,
        readiness=_readiness_read(launch, today),
        blockers=[]
        if launch.current_stage >= len(launch.stages) - 1
        else [b.message for b in gate_rules.blockers(launch)],
        features=[
            FeatureRead(
                id=f.id,
                key=f.key,
                title=f.title,
                status=f.status.key,
                product_area_id=f.product_area_id,
            )
            for f in features_of(session, launch)
        ],
        stages=[_stage(launch, s, today) for s in launch.stages],
        **_loop_fields(session, launch),
        created_at=launch.created_at,
        updated_at=launch.updated_at,
    )
