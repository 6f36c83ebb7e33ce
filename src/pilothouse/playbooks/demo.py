"""Demo playbooks and onboarding for Ledgerly (docs/demo.md): how the team launches,
experiments and triages feedback, and the checklist a new product manager works through.

Idempotent: playbooks are found by slug, the checklist by role and the assignment by
person, so a reload adds nothing twice and leaves edits made in the workspace alone.
The launch playbook gets a second version (the beta step added after the Spend
Management beta), so its history shows a real diff; the experiment playbook was last
reviewed 210 days ago, so the page has one stale playbook to show.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.models import User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.playbooks import onboarding, service
from pilothouse.playbooks.demo_text import (
    EXPERIMENT_BODY,
    LAUNCH_BODY_V1,
    LAUNCH_BODY_V2,
    PM_STEPS,
    TRIAGE_BODY,
)
from pilothouse.playbooks.models import OnboardingAssignment, OnboardingTemplate, Playbook

__all__ = ["load_demo_playbooks"]

_EX = "@pilothouse.example"
EXPERIMENT_TEMPLATE = "Two-week conversion test"
LAUNCH_TIER_FIELD = "Launch tier"
NEW_PM = f"mateo.alvarez{_EX}"
PM_MANAGER = f"priya.natarajan{_EX}"


def _template_targets(session: Session, actor: Actor, result: DemoResult) -> dict[str, str]:
    """``TYPE:ID`` of the templates the playbooks describe, creating the two the earlier
    demo steps do not load (an experiment template and a roadmap field)."""
    from pilothouse.experiments import template_service
    from pilothouse.launches import blueprints
    from pilothouse.roadmap import fields
    from pilothouse.roadmap.models import FieldType

    targets: dict[str, str] = {}
    for template in blueprints.list_templates(session):
        targets[template.name] = f"launch_template:{template.id}"
    experiment = {t.name: t for t in template_service.list_templates(session)}
    if EXPERIMENT_TEMPLATE not in experiment:
        experiment[EXPERIMENT_TEMPLATE] = template_service.create_template(
            session,
            actor,
            name=EXPERIMENT_TEMPLATE,
            description="A 50/50 test of a funnel change: 14 days, one primary conversion "
            "metric, support contacts as guardrail.",
        )
        result.added["experiment templates"] = 1
    targets[EXPERIMENT_TEMPLATE] = f"experiment_template:{experiment[EXPERIMENT_TEMPLATE].id}"
    custom = {f.name: f for f in fields.list_fields(session)}
    if LAUNCH_TIER_FIELD not in custom:
        custom[LAUNCH_TIER_FIELD] = fields.create_field(
            session,
            actor,
            name=LAUNCH_TIER_FIELD,
            type=FieldType.single_select,
            options=["Tier 1: announced", "Tier 2: release notes", "Tier 3: silent"],
            description="How loudly a roadmap item ships (see the launch playbook).",
        )
        result.added["roadmap fields"] = 1
    targets[LAUNCH_TIER_FIELD] = f"roadmap_field:{custom[LAUNCH_TIER_FIELD].id}"
    return targets


def _specs(targets: dict[str, str], today: Any) -> list[dict[str, Any]]:
    launch_links = [
        targets[name]
        for name in ("Standard feature launch", "Beta programme", LAUNCH_TIER_FIELD)
        if name in targets
    ]
    return [
        {
            "slug": "launch-playbook",
            "title": "Launch playbook",
            "body": LAUNCH_BODY_V1,
            "owner": f"kenji.watanabe{_EX}",
            "reviewed_on": today - timedelta(days=40),
            "links": launch_links,
            "v2": LAUNCH_BODY_V2,
        },
        {
            "slug": "experiment-playbook",
            "title": "Experiment playbook",
            "body": EXPERIMENT_BODY,
            "owner": f"sofia.lindqvist{_EX}",
            "reviewed_on": today - timedelta(days=210),
            "links": [targets[EXPERIMENT_TEMPLATE]],
        },
        {
            "slug": "feedback-triage",
            "title": "Feedback triage playbook",
            "body": TRIAGE_BODY,
            "owner": PM_MANAGER,
            "reviewed_on": today - timedelta(days=12),
            "links": [],
        },
    ]


def _load_playbooks(session: Session, actor: Actor, targets: dict[str, str], today: Any) -> int:
    have = set(session.scalars(select(Playbook.slug)))
    added = 0
    for spec in _specs(targets, today):
        if spec["slug"] in have:
            continue
        values = {k: spec[k] for k in ("slug", "title", "body", "owner", "reviewed_on")}
        playbook = service.create_playbook(session, actor, values, links=spec["links"])
        if "v2" in spec:
            service.update_playbook(session, actor, playbook, {"body": spec["v2"]})
        added += 1
    return added


def _pm_template(session: Session, actor: Actor) -> OnboardingTemplate:
    template = session.scalar(select(OnboardingTemplate).where(OnboardingTemplate.role == "pm"))
    if template is not None:
        return template
    ids: dict[str, int] = dict(session.execute(select(Playbook.slug, Playbook.id)).all())
    steps = []
    for spec in PM_STEPS:
        step = {k: v for k, v in spec.items() if k != "playbook"}
        if spec.get("playbook") in ids:
            step["link"] = f"playbook:{ids[spec['playbook']]}"
        steps.append(step)
    return onboarding.create_template(
        session,
        actor,
        "pm",
        "Product manager onboarding",
        steps,
        "Your first six weeks as a PM at Ledgerly: people, numbers, processes.",
    )


def _load_onboarding(session: Session, actor: Actor) -> int:
    template = _pm_template(session, actor)
    person = session.scalar(select(User).where(User.email == NEW_PM))
    if person is None:
        return 0
    taken = select(OnboardingAssignment.id).where(
        OnboardingAssignment.template_id == template.id,
        OnboardingAssignment.person_id == person.id,
    )
    if session.scalar(taken) is not None:
        return 0
    assignment = onboarding.assign(session, actor, template, NEW_PM, PM_MANAGER)
    assignment.started_on = assignment.started_on - timedelta(days=9)
    for step in template.steps[:5]:
        onboarding.set_step_done(session, actor, assignment, step.id, True)
    return 1


def load_demo_playbooks(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the missing demo playbooks, the PM checklist and its assignment."""
    from pilothouse.launches.common import workspace_today

    result = DemoResult()
    if session.scalar(select(User.id).where(User.email == PM_MANAGER)) is None:
        result.notices.append("playbooks: skipped, the demo people are not there")
        return result
    today = workspace_today(runtime.settings.timezone)
    targets = _template_targets(session, actor, result)
    added = _load_playbooks(session, actor, targets, today)
    if added:
        result.added["playbooks"] = added
    if _load_onboarding(session, actor):
        result.added["onboarding checklists"] = 1
    return result
