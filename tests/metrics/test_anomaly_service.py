"""Anomaly checks of catalog metrics on the demo's event store (real DuckDB).

The demo's card-delivery contacts fall by about 40% from day 85 (delivery tracking
ships, docs/demo.md; cards ordered before the launch still bring contacts, so the
drop shows about a week later). At about 25 contacts a day it is about two daily
standard deviations: the check at high sensitivity must flag it, down, within two
weeks of the launch, while the weeks before the delivery experiment (day 62; it lowers
contacts too, and a partner-bank incident on day 73 is a real anomaly) stay nearly quiet.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import demo
from pilothouse.metrics.anomaly import AnomalyConfig, DayCheck
from pilothouse.metrics.anomaly_job import (
    ANOMALY_EVENT,
    _episode_recorded,
    _record,
    check_certified_metrics,
)
from pilothouse.metrics.anomaly_service import check_metric, daily_values
from pilothouse.metrics.service import settling_days
from tests.support.demo_events import LoadedEvents, events_copy

#: The series come from the embedded DuckDB store whichever app database is used; the
#: only app-database write, the audit event, is record_change's (tested on both), so
#: the slow demo load runs once, on SQLite.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
GA_DAY = 85
EXPERIMENT_DAY = 62


@pytest.fixture
def demo_events(
    backend: str, database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedEvents]:
    """A copy of the demo's ``core`` and ``events`` steps (tests/support/demo_events.py)."""
    loaded = events_copy(backend, database_factory, tmp_path_factory, f"anomaly-{backend}")
    yield loaded
    loaded.close()


@SQLITE_ONLY
def test_the_drop_after_delivery_tracking_is_flagged_down(demo_events: LoadedEvents) -> None:
    runtime = demo_events.runtime
    start = demo.demo_start(demo_events.loaded_at).date()
    checks = check_metric(
        runtime,
        "card_delivery_contacts",
        days=GA_DAY + 14,
        today=start + dt.timedelta(days=GA_DAY + 14),
        config=AnomalyConfig(sensitivity="high"),
    )
    by_day = {(check.day - start).days: check for check in checks}
    assert min(by_day) < EXPERIMENT_DAY - 10  # enough judged days before any change
    after = [by_day[d] for d in range(GA_DAY, GA_DAY + 14)]
    assert any(check.anomalous for check in after)
    assert {check.direction for check in after if check.anomalous} == {"down"}
    quiet = [by_day[d] for d in by_day if d < EXPERIMENT_DAY]
    assert len(quiet) >= 10 and sum(check.anomalous for check in quiet) <= 2

    # The daily job records each anomaly of a certified metric once, as a domain event
    # that automation rules can route; running it again for the same days adds nothing.
    first = min(check.day for check in after if check.anomalous)
    next_morning = first + dt.timedelta(days=1)
    recorded = check_certified_metrics(runtime, today=next_morning, sensitivity="high")
    assert {"metric": "card_delivery_contacts", "day": first.isoformat(), "direction": "down"} in (
        recorded["anomalies"]
    )
    again = check_certified_metrics(runtime, today=next_morning, sensitivity="high")
    assert again["anomalies"] == [] and again["checked"] == recorded["checked"] >= 5
    with runtime.database.session() as session:
        events = list(session.scalars(select(Event).where(Event.name == ANOMALY_EVENT)))
    assert len(events) == len(recorded["anomalies"])
    delivery = [e for e in events if e.object_id == "card_delivery_contacts"]
    assert {e.changes["direction"]["after"] for e in delivery} == {"down"}

    # Conversions settle after their window; counts when the day ends; ratios as their
    # slowest part (the demo catalog's definitions: 14 days, 7 days, 3 days).
    assert settling_days(runtime, "card_activation_rate") == 14
    assert settling_days(runtime, "activation_rate") == 7
    assert settling_days(runtime, "card_delivery_contacts") == 0
    assert settling_days(runtime, "support_contact_rate") == 0

    # Before the first day with data the metric did not exist: missing, not zero.
    far_past = dt.date(2001, 1, 1)
    days, values = daily_values(
        runtime, "card_delivery_contacts", far_past, far_past + dt.timedelta(days=2), "embedded"
    )
    assert days == [far_past + dt.timedelta(days=i) for i in range(3)]
    assert all(math.isnan(value) for value in values)


def test_the_cli_refuses_an_unknown_sensitivity_naming_the_option() -> None:
    from typer.testing import CliRunner

    from pilothouse.cli.main import app

    result = CliRunner().invoke(app, ["metrics", "anomalies", "x", "--sensitivity", "extreme"])
    assert result.exit_code == 1
    assert "--sensitivity" in result.output and "low, medium, high" in result.output


def _day(day: dt.date, anomalous: bool, direction: str | None) -> DayCheck:
    return DayCheck(day, 10.0, 5.0, 1.0, 5.0 if anomalous else 0.1, anomalous, direction)


def test_a_shift_that_persists_is_reported_once(runtime: Runtime) -> None:
    """Days flagged one after the other in one direction are one episode: once its first
    day is recorded, the job stays quiet until the metric is back to normal."""
    d = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(5)]
    _record(runtime, "signups", "Sign-ups", _day(d[1], True, "down"))
    same_run = [_day(d[0], False, None), _day(d[1], True, "down"), _day(d[2], True, "down")]
    assert _episode_recorded(runtime, "signups", [*same_run, _day(d[3], True, "down")])
    # a new direction, or a normal day in between, starts a new episode
    assert not _episode_recorded(runtime, "signups", [*same_run, _day(d[3], True, "up")])
    broken = [*same_run, _day(d[3], False, None), _day(d[4], True, "down")]
    assert not _episode_recorded(runtime, "signups", broken)
    assert not _episode_recorded(runtime, "other_metric", same_run)
