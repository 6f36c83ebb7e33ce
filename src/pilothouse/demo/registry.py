"""The demo-data framework: an ordered list of steps, one or more per domain.

Each step is idempotent (loading twice adds nothing twice) and reports what it
added, so ``pilothouse demo load`` can be run on a workspace in use. A domain
adds its data by adding a :class:`DemoStep` to :func:`demo_steps`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime

__all__ = ["DemoResult", "DemoStep", "demo_steps", "load_demo"]


@dataclass
class DemoResult:
    """What a step added; ``notices`` are shown to the operator (for example a new password)."""

    added: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoStep:
    name: str
    description: str
    load: Callable[[Session, Actor, Runtime], DemoResult]


def demo_steps() -> list[DemoStep]:
    """Every demo step in the order it runs: each links to what the earlier ones loaded
    (launches ship roadmap items and link experiments, feedback themes link to items,
    decisions to all of them), and all rely on the people and areas of ``core``. Built
    on call, so domain modules can import this module without a cycle."""
    from pilothouse.decisions.demo import load_demo_decisions
    from pilothouse.demo.core_data import load_people_and_areas
    from pilothouse.experiments.demo import load_demo_experiments
    from pilothouse.feedback.demo import load_demo_feedback
    from pilothouse.launches.demo import load_demo_launches
    from pilothouse.metrics.demo import load_demo_events
    from pilothouse.ops.dashboards.demo import load_demo_dashboards
    from pilothouse.ops.health.demo import load_demo_ops
    from pilothouse.playbooks.demo import load_demo_playbooks
    from pilothouse.roadmap.demo import load_demo_roadmap
    from pilothouse.tools.demo import load_demo_tools

    return [
        DemoStep("core", "people, roles and Ledgerly's product areas", load_people_and_areas),
        DemoStep("events", "120 days of Ledgerly events, accounts, contacts", load_demo_events),
        DemoStep("experiments", "Ledgerly's A/B tests, analysed", load_demo_experiments),
        DemoStep("roadmap", "OKRs on catalog metrics and a scored roadmap", load_demo_roadmap),
        DemoStep("launches", "launches with their experiments and metrics", load_demo_launches),
        DemoStep("feedback", "1,510 customer messages, themes linked to items", load_demo_feedback),
        DemoStep("decisions", "decisions about items, launches and tests", load_demo_decisions),
        DemoStep("ops", "status history and weekly use for process health", load_demo_ops),
        DemoStep("dashboards", "the Product review dashboard", load_demo_dashboards),
        DemoStep("playbooks", "playbooks and a PM onboarding checklist", load_demo_playbooks),
        DemoStep("tools", "Ledgerly's tool stack: cost, seats, renewals", load_demo_tools),
    ]


def load_demo(
    runtime: Runtime, actor: Actor, on_step: Callable[[DemoStep], None] | None = None
) -> list[tuple[DemoStep, DemoResult]]:
    """Run every step, each in its own transaction, and return what each added."""
    results = []
    for step in demo_steps():
        if on_step is not None:
            on_step(step)
        with runtime.database.session() as session:
            results.append((step, step.load(session, actor, runtime)))
    return results
