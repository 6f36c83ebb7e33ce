"""Demo launches of Ledgerly: two templates and six launches in different stages.

"Card delivery tracking" went GA on day 85 and "One-step identity verification" on
day 45 of the story (all gates passed, release notes published), "Biometric sign-in"
on day 34, four days after its planned date; "Instant top-ups"
is in its beta stage (GA planned day 141); "Spending limits per card" was planned
for day 115 and waits for the head of product's approval (overdue). Each launch
ships its roadmap item and links to its experiment and metrics (docs/demo.md).

Dates are relative to the workspace's today, so the calendar and the overdue items
look alive whenever the demo is loaded. Idempotent: templates and launches are found
again by name, so a reload adds nothing twice and leaves edits alone. Walking a
launch through its gates uses the real services, approvals by the named approvers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.models import User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.launches import blueprints, checklists, gates, launching, release_notes
from pilothouse.launches.common import workspace_today
from pilothouse.launches.demo_links import link_launch
from pilothouse.launches.models import ApprovalDecision, Launch, LaunchTemplate
from pilothouse.roadmap.listing import ItemFilter, filtered_items

__all__ = ["LAUNCHES", "DemoLaunch", "load_demo_launches"]

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


@dataclass(frozen=True)
class DemoLaunch:
    """One demo launch. ``ga_day`` is the story's day (0 = 120 days ago, 120 = today);
    ``passes`` is how many stages it has gone through; ``waiting_for`` is the approver
    whose approval the current gate still waits for (the others approved)."""

    name: str
    template: str
    features: tuple[str, ...]
    area: str
    owner: str
    ga_day: int
    passes: int
    experiment: str | None = None
    metrics: tuple[str, ...] = ()
    waiting_for: str | None = None
    late_days: int = 0  # GA came this many days after the planned ``ga_day``


STORY_DAYS = 120  # the demo's today is day 120 (metrics.demo.DEMO_DAYS)
LAUNCHES: list[DemoLaunch] = [
    DemoLaunch(
        "Card delivery tracking",
        "Standard feature launch",
        ("Card delivery tracking",),
        "Cards",
        "kenji.watanabe",
        85,
        3,
        "Delivery timeline in the app",
        ("card_delivery_contacts", "card_activation_rate"),
    ),
    DemoLaunch(
        "One-step identity verification",
        "Standard feature launch",
        ("One-step identity verification",),
        "Onboarding & Verification",
        "daniel.okafor",
        45,
        3,
        "Verification in one step",
        ("activation_rate",),
    ),
    DemoLaunch(
        "Instant top-ups",
        "Standard feature launch",
        ("Instant top-ups with Apple Pay and Google Pay",),
        "Top-ups & Balance",
        "sofia.lindqvist",
        141,
        2,
        "Top-up retry prompt",
        ("top_up_success_rate",),
    ),
    DemoLaunch(
        "Spending limits per card",
        "Standard feature launch",
        ("Spending limits per card",),
        "Spend Management",
        "hannah.goldberg",
        115,
        2,
        metrics=("card_spend",),
        waiting_for=HEAD,
    ),
    DemoLaunch(
        "Receipt capture in the mobile app",
        "Beta programme",
        ("Receipt capture in the mobile app",),
        "Mobile Apps",
        "lucas.moreau",
        170,
        0,
    ),
    DemoLaunch(
        "Biometric sign-in",
        "Standard feature launch",
        ("Biometric sign-in",),
        "Mobile Apps",
        "lucas.moreau",
        30,
        3,
        metrics=("weekly_active_accounts",),
        late_days=4,  # app-store review held the release: GA on day 34
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


def _partial_progress(
    session: Session, actor: Actor, launch: Launch, waiting_for: str | None
) -> None:
    """In the current stage, show a launch half-way through its gate. Without
    ``waiting_for``: tick off the first item and let one approver approve (the rest
    overdue or pending). With it: every required item done and every approver but
    ``waiting_for`` approved, so the gate waits for that one person."""
    stage = launch.stage
    if stage is None or not stage.items:
        return
    todo = [i for i in stage.items if i.required] if waiting_for else stage.items[:1]
    for item in todo:
        checklists.set_done(session, actor, launch, item, True)
    for gate in stage.gates[:1]:
        approvals = gate.approvals[:1] if waiting_for is None else gate.approvals
        for approval in approvals:
            if approval.approver.email == waiting_for:
                continue
            approver = Actor.for_user(approval.approver)
            gates.decide(session, approver, launch, gate, ApprovalDecision.approved, "Ready.")


def _finish(session: Session, actor: Actor, launch: Launch) -> None:
    """Tick off the GA stage (the demo's launches went GA over 30 days ago, so the adoption
    review is done too) and publish the release notes."""
    for item in launch.stages[-1].items:
        checklists.set_done(session, actor, launch, item, True)
    release_notes.save_draft(session, actor, launch, release_notes.generate_draft(session, launch))
    release_notes.publish(session, actor, launch)


def _on_day(day: date, now: datetime) -> datetime:
    """10:00 UTC on ``day``, or ``now`` if that is still to come."""
    return min(datetime.combine(day, time(10), tzinfo=UTC), now)


def _backdate(launch: Launch, late_days: int = 0) -> None:
    """Put the walk through the gates on the story's days instead of the load's minute:
    each passed stage passed on its due date, the next entered then, GA on the target
    date (``late_days`` after it for a late launch). The demo's launches happened before
    the demo existed; the impact view measures around ``launched_at``, and the calendar
    and history should agree with it."""
    now = utcnow()
    first = launch.stages[0]
    first.entered_at = _on_day(first.due_date - timedelta(days=21), now)
    launch.created_at = first.entered_at
    for stage, following in zip(launch.stages, launch.stages[1:], strict=False):
        if stage.passed_at is None:
            break
        stage.passed_at = _on_day(stage.due_date, now)
        following.entered_at = stage.passed_at
    if launch.launched_at is not None:
        launch.launched_at = _on_day(launch.target_date + timedelta(days=late_days), now)
        launch.stages[-2].passed_at = launch.stages[-1].entered_at = launch.launched_at
        if launch.notes_published_at is not None:
            launch.notes_published_at = launch.launched_at


#: Hours a ready gate waited for its last approver, picked per gate in turn: most
#: gates are approved the same or the next working day, a few wait most of a week.
GATE_WAIT_HOURS = (4, 26, 7, 50, 2, 20, 96, 5, 30, 140)


def _backdate_work(launch: Launch) -> None:
    """Put the checklist ticks and approvals on the story's days too, so process health
    (docs/ops-health.md) sees a real team's rhythm, not the load's minute: in a passed
    stage the required items are done one after another until the gate is ready, and
    the approvers approve within hours to a few days (:data:`GATE_WAIT_HOURS`); in the
    current stage the done items and approvals fall in the days after it began; the GA
    stage's items are ticked on their due days."""
    now = utcnow()
    for stage in launch.stages:
        if stage.entered_at is None:
            continue
        end = stage.passed_at or now - timedelta(hours=3)
        if end <= stage.entered_at:
            continue
        wait = timedelta(hours=GATE_WAIT_HOURS[((launch.id or 0) * 3 + stage.position) % 10])
        ready = max(stage.entered_at + (end - stage.entered_at) / 2, end - wait)
        done = [i for i in stage.items if i.done_at is not None]
        for number, item in enumerate(done, start=1):
            item.done_at = stage.entered_at + (ready - stage.entered_at) * number / len(done)
            if not stage.gates:  # GA: the announcement on GA day, the review a month on
                item.done_at = min(max(_on_day(item.due_date, now), stage.entered_at), end)
        for gate in stage.gates:
            decided = [a for a in gate.approvals if a.decided_at is not None]
            for number, approval in enumerate(decided, start=1):
                approval.decided_at = ready + (end - ready) * number / (len(decided) + 1)
                if stage.passed_at is not None and number == len(decided):
                    approval.decided_at = end - timedelta(minutes=20)


def _load_templates(session: Session, actor: Actor, result: DemoResult) -> None:
    names = {t.name for t in session.scalars(select(LaunchTemplate))}
    for spec in (STANDARD, BETA_PROGRAMME):
        if spec["name"] not in names:
            blueprints.create_template(session, actor, spec)
            result.added["launch templates"] = result.added.get("launch templates", 0) + 1


def _create(
    session: Session, actor: Actor, spec: DemoLaunch, people: dict[str, User], today: date
) -> Launch:
    owner = people.get(spec.owner)
    values = {
        "template": spec.template,
        "name": spec.name,
        "target_date": today + timedelta(days=spec.ga_day - STORY_DAYS),
        "product_area": spec.area,
        "owner": owner.id if owner else None,
        "features": _feature_keys(session, list(spec.features)),
        "owners": {"PM": owner.id} if owner else {},
    }
    launch = launching.create_launch(session, actor, values)
    for _ in range(spec.passes):
        _pass_stage(session, actor, launch)
    if launch.current_stage < len(launch.stages) - 1:
        _partial_progress(session, actor, launch, spec.waiting_for)
    else:
        _finish(session, actor, launch)
    _backdate(launch, spec.late_days)
    _backdate_work(launch)
    session.flush()
    return launch


def load_demo_launches(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the demo launch templates and launches that are missing, and link every demo
    launch to its experiment and metrics (again on reload, once the experiments exist)."""
    result = DemoResult()
    people = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
    if not {OPS.split("@")[0], HEAD.split("@")[0], SUPPORT.split("@")[0]} <= set(people):
        result.notices.append("launches: the demo people are missing; skipped")
        return result
    _load_templates(session, actor, result)
    today = workspace_today(runtime.settings.timezone)
    existing = {launch.name: launch for launch in session.scalars(select(Launch))}
    for spec in LAUNCHES:
        if spec.name not in existing:
            existing[spec.name] = _create(session, actor, spec, people, today)
            result.added["launches"] = result.added.get("launches", 0) + 1
        links = link_launch(session, actor, existing[spec.name], spec.experiment, spec.metrics)
        for name, count in links.added.items():
            result.added[name] = result.added.get(name, 0) + count
        result.notices += links.notices
    return result
