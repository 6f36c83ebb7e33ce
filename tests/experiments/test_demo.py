"""The five Ledgerly experiments of the demo: created, analysed and decided for real.

After the ``core`` and ``events`` steps (a copy of them loaded once per backend:
tests/support/demo_events.py), the ``experiments`` step creates each
experiment through the registry (as its owner, in its area, on its story days),
analyses it with the real pipeline on the simulated exposures and stores the
snapshot; the four finished ones are decided: two "ship", and two flat ones "iterate"
and "roll back". The results must point the way the story says, with no sample-ratio
mismatch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import demo
from pilothouse.experiments.analysis.service import latest_results
from pilothouse.experiments.models import Experiment, ExperimentStatus
from pilothouse.metrics.demo import demo_start
from tests.support.demo_events import events_copy

CLI = Actor.command_line()

#: name → (key, status, owner, area, start day, end day, primary metric)
EXPECTED = {
    "Verification in one step": (
        "EXP-1", "decided", "daniel.okafor", "onboarding-verification", 20, 40, "activation_rate",
    ),
    "Delivery timeline in the app": (
        "EXP-2", "decided", "kenji.watanabe", "cards", 62, 82, "card_activation_rate",
    ),
    "Top-up retry prompt": (
        "EXP-3", "running", "sofia.lindqvist", "top-ups-balance", 100, None, "top_up_success_rate",
    ),
    "Transfer arrival estimate": (
        "EXP-4", "decided", "amara.mensah", "payments-transfers", 30, 51, "transfers_sent",
    ),
    "Verification reminder e-mail": (
        "EXP-5", "decided", "daniel.okafor", "onboarding-verification", 100, 114,
        "verification_rate",
    ),
}  # fmt: skip
#: Shipped on a lift that about 70 units an arm do not always show at 95%: loaded on a
#: Tuesday or a Thursday (day 0 a Monday or a Wednesday) activation reads +18% to +21%
#: relative at p 0.15-0.16, "inconclusive"; on the other five weekdays "better" at
#: p 0.003-0.037 (docs/demo.md). Left for the simulation to fix: any change to who
#: activates moves every later simulated event, and the other stories with them.
UNDERPOWERED = {"Verification in one step"}
#: name → (outcome, story day decided) of the finished ones: two wins and two that did
#: not work (flat results), decided 1, 1, 9 and 4 days after the stop.
DECIDED = {
    "Verification in one step": ("ship", 41),
    "Delivery timeline in the app": ("ship", 83),
    "Transfer arrival estimate": ("iterate", 60),
    "Verification reminder e-mail": ("roll_back", 118),
}


def _treatment(results: dict, metric: str) -> dict:  # type: ignore[type-arg]
    [row] = [m for m in results["metrics"] if m["metric"] == metric]
    assert row.get("error") is None, row
    return row["variations"][1]


@pytest.fixture
def runtime(
    backend: str, database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    """A copy of the loaded ``core`` and ``events`` steps, the experiments step's input."""
    loaded = events_copy(backend, database_factory, tmp_path_factory, f"experiments-{backend}")
    yield loaded.runtime
    loaded.close()


def test_demo_experiments_are_created_analysed_and_decided(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        added = demo.load_demo_experiments(session, CLI, runtime)
        assert added.added == {"analysed experiments": 5} and added.notices == []
    start = demo_start(dt.datetime.now(dt.UTC))
    with runtime.database.session() as session:
        experiments = {e.name: e for e in session.scalars(select(Experiment))}
        assert set(experiments) == set(EXPECTED)
        for name, (key, status, owner, area, first, last, primary) in EXPECTED.items():
            experiment = experiments[name]
            assert (experiment.key, experiment.status.value) == (key, status)
            assert experiment.owner is not None and experiment.owner.email.startswith(owner)
            assert experiment.product_area is not None and experiment.product_area.slug == area
            assert experiment.hypothesis and experiment.started_at == start + dt.timedelta(first)
            ended = None if last is None else start + dt.timedelta(last)
            assert experiment.ended_at == ended
            results = latest_results(session, experiment).results
            assert results["srm"]["warning"] is False
            treatment = _treatment(results, primary)
            outcome, day = DECIDED.get(name, ("ship", None))
            if name in UNDERPOWERED:  # positive, but not always past the 5% line
                assert treatment["effect"] > 0.1 and treatment["p_value"] < 0.25, (name, treatment)
                assert treatment["status"] in ("better", "inconclusive"), (name, treatment)
            elif outcome == "ship":  # the winners (and the running one so far) did better
                assert treatment["status"] == "better" and treatment["effect"] > 0, name
            else:  # the ones that did not work read flat, as their decisions say (on
                # every load weekday: p 0.06 to 0.98, effects -12% to +10% relative)
                assert treatment["status"] == "inconclusive", (name, treatment)
                assert abs(treatment["effect"]) < 0.25, (name, treatment)
            if status == "decided":
                assert experiment.decision is not None
                assert experiment.decision.outcome.value == outcome
                assert experiment.decision.decided_by_label.startswith(owner)
                assert experiment.decision.decided_at == start + dt.timedelta(day)
        delivery = latest_results(session, experiments["Delivery timeline in the app"]).results
        control = delivery["metrics"][0]["variations"][0]
        lift = _treatment(delivery, "card_activation_rate")["mean"] - control["mean"]
        assert 0.015 < lift < 0.08  # "about +4 points" (2.3 to 5.2 over start weekdays)
        contacts = _treatment(delivery, "card_delivery_contacts")
        assert contacts["effect"] < -0.2 and contacts["status"] == "better"  # fewer is better
        assert experiments["Top-up retry prompt"].status is ExperimentStatus.running
    with runtime.database.session() as session:
        assert demo.load_demo_experiments(session, CLI, runtime).added == {}


def test_experiment_days_must_match_the_simulated_exposures(tmp_path: Path) -> None:
    text = demo.DEFINITIONS.read_text()
    assert [e.name for e in demo.demo_experiments()] == list(EXPECTED)
    broken = tmp_path / "experiments.yaml"
    broken.write_text(text.replace("start_day: 62", "start_day: 60"))
    with pytest.raises(ValueError, match="'Delivery timeline in the app' runs on other days"):
        demo.demo_experiments(broken)
