"""The five experiments of the Ledgerly demo, through the pipeline a user would use.

"Verification in one step" (days 20 → 40, shipped), "Delivery timeline in the app" (days
62 → 82, shipped), "Top-up retry prompt" (running since day 100) and two that did not
work, as most experiments do: "Transfer arrival estimate" (days 30 → 51, flat, decided
"iterate" nine days after the stop) and "Verification reminder e-mail" (days 100 → 114,
flat, rolled back four days after the stop). Their designs live in
``demo_definitions/experiments.yaml`` inside the package, and their exposures and
effects are part of the simulated product events of the ``events`` step
(:mod:`pilothouse.metrics.demo_simulation`), so nothing outside the installed package is
read. Each one is created through the registry with its owner, area, hypothesis and
metrics, started and stopped on its story days, analysed by the real analysis pipeline
(the snapshot is stored) and, when finished, decided through the registry. Loading twice
adds nothing twice (experiments are found by name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.models import User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.experiments import registry
from pilothouse.experiments.models import DecisionOutcome, Experiment, MetricRole
from pilothouse.metrics.demo import demo_start
from pilothouse.metrics.demo_simulation import DEMO_EXPERIMENTS, EXPOSURE_EVENT

__all__ = ["DEFINITIONS", "DemoExperiment", "demo_experiments", "load_demo_experiments"]

DEFINITIONS = Path(__file__).resolve().parent / "demo_definitions" / "experiments.yaml"


@dataclass(frozen=True)
class DemoExperiment:
    """One experiment of the demo file, checked against the simulation's plan."""

    name: str
    owner: str
    design: registry.ExperimentDesign
    start_day: int
    end_day: int | None
    analysis_days_after_end: int
    analysis: dict[str, Any]
    decision: dict[str, str] | None


def _design(raw: dict[str, Any]) -> registry.ExperimentDesign:
    plan = DEMO_EXPERIMENTS[raw["plan"]]
    return registry.ExperimentDesign(
        name=raw["name"],
        hypothesis=" ".join(raw["hypothesis"].split()),
        product_area=raw["product_area"],
        variations=[registry.VariationSpec(k, n, float(w)) for k, n, w in raw["variations"]],
        exposure={
            "kind": "event",
            "event": EXPOSURE_EVENT,
            "experiment_property": "experiment",
            "variation_property": "variation",
            "tracking_key": plan.tracking_key,
        },
        metrics=[
            registry.MetricChoice(m[0], MetricRole(m[1]), *(m[2:4] if len(m) > 2 else ()))
            for m in raw["metrics"]
        ],
    )


def demo_experiments(path: Path = DEFINITIONS) -> list[DemoExperiment]:
    """The experiments of the demo file; days must match the simulated exposures."""
    loaded = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["experiments"]:
        plan = DEMO_EXPERIMENTS[raw["plan"]]
        if (raw["start_day"], raw.get("end_day")) != (plan.start_day, plan.end_day):
            raise ValueError(f"{path.name}: {raw['name']!r} runs on other days than its events")
        loaded.append(
            DemoExperiment(
                name=raw["name"],
                owner=raw["owner"],
                design=_design(raw),
                start_day=raw["start_day"],
                end_day=raw.get("end_day"),
                analysis_days_after_end=int(raw.get("analysis_days_after_end", 0)),
                analysis=dict(raw.get("analysis") or {}),
                decision=raw.get("decision"),
            )
        )
    return loaded


def _person(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise ValueError(f"the demo person {email} is missing (the core step adds them)")
    return user


def _create(
    session: Session, runtime: Runtime, demo: DemoExperiment, start: dt.datetime
) -> Experiment:
    """Create, start and (when finished) stop the experiment as its owner, on its days."""
    owner = Actor.for_user(_person(session, demo.owner))
    analysis = dict(demo.analysis)
    if demo.end_day is not None and demo.analysis_days_after_end:
        end = start + dt.timedelta(days=demo.end_day + demo.analysis_days_after_end)
        analysis["end"] = end.date().isoformat()
    design = replace(demo.design, analysis=analysis)
    known = {m.name for m in runtime.metrics.catalog()}
    experiment = registry.create_experiment(session, owner, design, known_metrics=known)
    registry.start(session, owner, experiment)
    experiment.started_at = start + dt.timedelta(days=demo.start_day)
    if demo.end_day is not None:
        registry.stop(session, owner, experiment)
        experiment.ended_at = start + dt.timedelta(days=demo.end_day)
    return experiment


def _analyse(
    session: Session, runtime: Runtime, demo: DemoExperiment, start: dt.datetime
) -> str | None:
    """Create and analyse one experiment, and record its decision; a notice if it failed."""
    from pilothouse.experiments.analysis import service

    experiment = _create(session, runtime, demo, start)
    owner = Actor.for_user(_person(session, demo.owner))
    snapshot = service.analyze_experiment(session, runtime, owner, experiment)
    if not snapshot.succeeded:
        return f"{experiment.key}: the demo analysis failed: {snapshot.error}"
    if demo.decision is not None:
        decider = Actor.for_user(_person(session, demo.decision["by"]))
        rationale = " ".join(demo.decision["rationale"].split())
        outcome = DecisionOutcome(demo.decision["outcome"])
        decision = registry.decide(session, decider, experiment, outcome, rationale)
        decision.decided_at = start + dt.timedelta(days=int(demo.decision["day"]))
    return None


def load_demo_experiments(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Create the Ledgerly experiments, analyse them and decide the finished ones."""
    del actor  # each experiment is created and decided by its owner
    result = DemoResult()
    existing = set(session.scalars(select(Experiment.name)))
    start = demo_start(dt.datetime.now(dt.UTC))
    for demo in demo_experiments():
        if demo.name in existing:
            continue
        notice = _analyse(session, runtime, demo, start)
        result.added["analysed experiments"] = result.added.get("analysed experiments", 0) + 1
        if notice:
            result.notices.append(notice)
    return result
