"""Process health on the Ledgerly demo: every figure has believable numbers (ranges a
product team would recognise, not zero and not years), the ops step is idempotent, and
the page and a drill-down render for a signed-in person."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.actor import Actor
from pilothouse.ops.health.demo import load_demo_ops
from pilothouse.ops.health.service import HealthFilter, health_report
from pilothouse.web.app import create_app
from tests.reports.test_review_demo import Loaded, _admin, demo  # noqa: F401  (fixture)
from tests.support.accounts import sign_in

pytestmark = pytest.mark.slow

#: figure → (lowest, highest) believable value for the demo.
RANGES = {
    "cycle_time": (30, 200),
    "stage_time_planned": (5, 60),
    "stage_time_in_progress": (5, 90),
    "feedback_lead_time": (7, 150),
    "evidence_share": (0.1, 0.9),
    "launch_on_time": (0.5, 1.0),
    "decisions_per_launch": (0.5, 5),
    "experiment_velocity": (0.2, 5),
    "stop_to_decision": (0, 14),
    "wau": (3, 20),
    "wau_editor": (1, 15),
}


def test_every_figure_is_believable_on_the_demo(demo: Loaded) -> None:  # noqa: F811
    runtime, _ = demo
    with runtime.database.session(reading=True) as session:
        report = health_report(session, runtime.settings.timezone, HealthFilter())
    values = {r.figure.key: r.summary for r in report.figures}
    for key, (low, high) in RANGES.items():
        value = values[key].value
        assert value is not None and low <= value <= high, (key, value)
    assert values["cycle_time"].n >= 3 and values["untriaged_backlog"].n > 100
    assert len(report.quarters) >= 2
    with runtime.database.session() as session:
        again = load_demo_ops(session, Actor.command_line(), runtime)
    assert again.added == {"status history events": 0, "days of use": 0}


def test_the_demo_page_and_a_drill_down_render(demo: Loaded) -> None:  # noqa: F811
    runtime, password = demo
    with TestClient(create_app(runtime=runtime, migrate=False)) as client:
        sign_in(client, _admin(password))
        page = client.get("/ops/health")
        assert page.status_code == 200 and "No history yet" not in _between(page.text)
        drill = client.get("/ops/health/cycle_time")
        assert drill.status_code == 200 and drill.text.count('data-testid="health-item"') >= 3


def _between(text: str) -> Any:
    """The roadmap and launches sections, where every figure has history in the demo."""
    return text.split("<h2>Feedback</h2>")[0]
