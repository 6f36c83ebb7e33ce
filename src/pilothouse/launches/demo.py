"""Demo launches: two templates and four launches in different stages, on demo features.

Dates are relative to the workspace's today, so the calendar and the overdue items
look alive whenever the demo is loaded. Idempotent: templates and launches are found
again by name, so a reload adds nothing twice and leaves edits alone. Walking a
launch through its gates uses the real services, approvals by the named approvers.
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
from pilothouse.launches import blueprints, checklists, gates, launching, release_notes
from pilothouse.launches.common import workspace_today
from pilothouse.launches.models import ApprovalDecision, Launch, LaunchTemplate
from pilothouse.roadmap.listing import ItemFilter, filtered_items

__all__ = ["load_demo_launches"]

_EX = "@pilothouse.example"
OPS = f"priya.natarajan{_EX}"
HEAD = f"admin{_EX}"
SUPPORT = f"grace.liu{_EX}"


def _item(title: str, role: str, offset: int, required: bool = True) -> dict[str, Any]:
    return {"title": title, "owner_role": role, "offset_days": offset, "required": required}


STANDARD: dict[str, Any] = {
    "name": "Standard feature launch",
    "description": "Discovery to GA for a feature most customers will notice.",
    "stages": [
        {
            "name": "Discovery",
            "offset_days": -60,
            "items": [
                _item("Problem statement and success metric agreed", "PM", -75),
                _item("Five customer interviews summarised", "PM", -65),
                _item("Competitive scan", "PMM", -62, False),
            ],
            "gates": [{"name": "Discovery review", "approvers": [OPS]}],
        },
        {
            "name": "Build",
            "offset_days": -30,
            "items": [
                _item("Designs signed off", "Design", -50),
                _item("Tracking plan implemented", "Engineering", -35),
                _item("Security review", "Engineering", -32, False),
            ],
            "gates": [{"name": "Beta readiness", "approvers": [OPS, HEAD]}],
        },
        {
            "name": "Beta",
            "offset_days": -7,
            "items": [
                _item("Beta customers enrolled", "PM", -28),
                _item("Help-centre article drafted", "Docs", -14),
                _item("Support team briefed", "Support", -10),
                _item("Pricing page updated", "PMM", -7, False),
            ],
            "gates": [{"name": "GA go/no-go", "approvers": [OPS, HEAD, SUPPORT]}],
        },
        {
            "name": "GA",
            "offset_days": 0,
            "items": [
                _item("Announcement published", "PMM", 0),
                _item("In-app release note shown", "PM", 0),
                _item("Adoption reviewed after 30 days", "PM", 30, False),
            ],
        },
    ],
}

BETA_PROGRAMME: dict[str, Any] = {
    "name": "Beta programme",
    "description": "A staged beta for risky or technical launches (connectors, migrations).",
    "stages": [
        {
            "name": "Recruit",
            "offset_days": -45,
            "items": [
                _item("Beta criteria written", "PM", -60),
                _item("Ten design partners signed", "CSM", -45),
            ],
            "gates": [{"name": "Private beta start", "approvers": [OPS]}],
        },
        {
            "name": "Private beta",
            "offset_days": -21,
            "items": [
                _item("Weekly feedback calls held", "PM", -25),
                _item("Known issues page", "Docs", -21, False),
            ],
            "gates": [{"name": "Public beta start", "approvers": [OPS, SUPPORT]}],
        },
        {
            "name": "Public beta",
            "offset_days": -7,
            "items": [_item("Beta banner and opt-in live", "Engineering", -14)],
            "gates": [{"name": "GA go/no-go", "approvers": [OPS, HEAD]}],
        },
        {
            "name": "GA",
            "offset_days": 0,
            "items": [_item("Changelog and announcement", "PMM", 0)],
        },
    ],
}

#: (name, template, feature titles, area, owner, GA in days from today, stages to pass)
LAUNCHES: list[tuple[str, str, list[str], str, str, int, int]] = [
    (
        "Onboarding checklist",
        "Standard feature launch",
        ["Onboarding checklist"],
        "Onboarding & Activation",
        "daniel.okafor",
        -12,
        3,
    ),
    (
        "Scheduled report e-mails",
        "Standard feature launch",
        ["Scheduled report e-mails", "Excel export with formatting"],
        "Analytics & Reporting",
        "kenji.watanabe",
        10,
        2,
    ),
    (
        "Sample dashboards on sign-up",
        "Standard feature launch",
        ["Sample dashboards on sign-up"],
        "Onboarding & Activation",
        "daniel.okafor",
        40,
        1,
    ),
    (
        "Snowflake connector",
        "Beta programme",
        ["Snowflake connector"],
        "Integrations",
        "amara.mensah",
        55,
        0,
    ),
]


def _feature_keys(session: Session, titles: list[str]) -> list[str]:
    keys = []
    for title in titles:
        found = filtered_items(session, ItemFilter(search=title))
        keys += [i.key for i in found if i.title == title][:1]
    return keys


def _pass_stage(session: Session, actor: Actor, launch: Launch) -> None:
    """Finish the current stage's required items, approve its gates, and advance."""
    stage = launch.stage
    assert stage is not None
    for item in stage.items:
        if item.required:
            checklists.set_done(session, actor, launch, item, True)
    for gate in stage.gates:
        for approval in gate.approvals:
            approver = Actor.for_user(approval.approver)
            gates.decide(session, approver, launch, gate, ApprovalDecision.approved, "Looks good.")
    gates.advance(session, actor, launch)


def _partial_progress(session: Session, actor: Actor, launch: Launch) -> None:
    """In the current stage, tick off the first item and let one approver approve, so the
    page shows a launch half-way through its gate (with the rest overdue or pending)."""
    stage = launch.stage
    if stage is None or not stage.items:
        return
    checklists.set_done(session, actor, launch, stage.items[0], True)
    for gate in stage.gates[:1]:
        first = gate.approvals[0]
        gates.decide(
            session, Actor.for_user(first.approver), launch, gate, ApprovalDecision.approved, ""
        )


def _load_templates(session: Session, actor: Actor, result: DemoResult) -> None:
    names = {t.name for t in session.scalars(select(LaunchTemplate))}
    for spec in (STANDARD, BETA_PROGRAMME):
        if spec["name"] not in names:
            blueprints.create_template(session, actor, spec)
            result.added["launch templates"] = result.added.get("launch templates", 0) + 1


def load_demo_launches(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the demo launch templates and launches that are missing."""
    result = DemoResult()
    people = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
    if not {OPS.split("@")[0], HEAD.split("@")[0], SUPPORT.split("@")[0]} <= set(people):
        result.notices.append("launches: the demo people are missing; skipped")
        return result
    _load_templates(session, actor, result)
    today = workspace_today(runtime.settings.timezone)
    existing = {launch.name for launch in session.scalars(select(Launch))}
    for name, template, titles, area, owner, ga_in, passes in LAUNCHES:
        if name in existing:
            continue
        values = {
            "template": template,
            "name": name,
            "target_date": today + timedelta(days=ga_in),
            "product_area": area,
            "owner": people[owner].id if owner in people else None,
            "features": _feature_keys(session, titles),
            "owners": {"PM": people[owner].id} if owner in people else {},
        }
        launch = launching.create_launch(session, actor, values)
        for _ in range(passes):
            _pass_stage(session, actor, launch)
        if launch.current_stage < len(launch.stages) - 1:
            _partial_progress(session, actor, launch)
        else:
            for item in launch.stages[-1].items:
                if item.required:
                    checklists.set_done(session, actor, launch, item, True)
            release_notes.save_draft(
                session, actor, launch, release_notes.generate_draft(session, launch)
            )
            release_notes.publish(session, actor, launch)
        result.added["launches"] = result.added.get("launches", 0) + 1
    return result
