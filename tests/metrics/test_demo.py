"""The demo's events tell Ledgerly's story in numbers (docs/demo.md), through the catalog.

The ``core`` and ``events`` steps are loaded once per backend (accounts and contacts
go to the app database; events to the embedded DuckDB store; tests/support/
demo_events.py), and each test reads its own module's copy: every catalog metric is
queried the way the explorer and the impact view do, and the story's effects are
checked on the daily series: activation lifts after one-step verification (day 45),
card-delivery contacts fall by about 40% after delivery tracking (day 85), top-up
failures rise over the last 30 days, weekdays are busier than weekends.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import pilothouse
from pilothouse.accounts.models import Contact, CustomerAccount
from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.experiments import demo as experiments_demo
from pilothouse.metrics import demo
from pilothouse.metrics.demo_simulation import DEMO_DAYS, simulate
from pilothouse.metrics.service import SeriesRequest, run_series
from tests.support.demo_events import LoadedEvents, events_copy

CLI = Actor.command_line()


@pytest.fixture(scope="module")
def loaded(
    backend: str, database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedEvents]:
    """The loaded steps for the tests that only read them (one copy per backend)."""
    copy = events_copy(backend, database_factory, tmp_path_factory, f"demo-read-{backend}")
    yield copy
    copy.close()


@pytest.fixture
def reloaded(
    backend: str, database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedEvents]:
    """A copy of its own for the test that loads the steps again (a write, if broken)."""
    copy = events_copy(backend, database_factory, tmp_path_factory, f"demo-reload-{backend}")
    yield copy
    copy.close()


def _load(runtime: Runtime, now: dt.datetime) -> dict[str, int]:
    with runtime.database.session() as session:
        load_people_and_areas(session, CLI, runtime)
        return demo.load_demo_events(session, CLI, runtime, now=now).added


def _daily(loaded: LoadedEvents, metric: str) -> dict[int, float]:
    """Day of the demo period → value (days without rows are absent)."""
    start = demo.demo_start(loaded.loaded_at).date()
    end = start + dt.timedelta(days=DEMO_DAYS + 1)
    result = run_series(loaded.runtime, SeriesRequest(metric, start, end))
    return {
        (row["period_start"] - start).days: float(row["value"] or 0) for row in result.as_dicts()
    }


def _mean(series: dict[int, float], first: int, last: int) -> float:
    return statistics.fmean(series.get(day, 0.0) for day in range(first, last))


def test_demo_events_tell_the_ledgerly_story(reloaded: LoadedEvents) -> None:
    added = reloaded.added  # what loading the steps into the template added
    assert added["product events"] > 100_000 and added["metric definition files"] == 5
    # Idempotent: same seed, same message ids, files kept. The same ``now``: a load
    # seconds later adds the events simulated in between (this test failed once so).
    assert _load(reloaded.runtime, reloaded.loaded_at) == {}
    delivery = _daily(reloaded, "card_delivery_contacts")
    before, after = _mean(delivery, 30, 62), _mean(delivery, 90, DEMO_DAYS)
    assert 0.4 < after / before < 0.75  # about 40% fewer after delivery tracking (day 85)
    activation = _daily(reloaded, "activation_rate")
    assert _mean(activation, 50, 100) > _mean(activation, 0, 19) + 0.1  # one-step, day 45
    success = _daily(reloaded, "top_up_success_rate")
    assert _mean(success, 105, DEMO_DAYS) < _mean(success, 30, 85) - 0.02
    failed = _daily(reloaded, "top_ups_failed")
    assert _mean(failed, 90, DEMO_DAYS) > 2 * _mean(failed, 30, 85)
    assert 0.02 < _mean(_daily(reloaded, "support_contact_rate"), 90, DEMO_DAYS) < 0.08
    assert 0.97 < _mean(_daily(reloaded, "transfer_completion_rate"), 0, DEMO_DAYS) <= 1.0
    opens = _daily(reloaded, "app_opens")
    start = demo.demo_start(reloaded.loaded_at)
    weekday = [v for d, v in opens.items() if (start + dt.timedelta(days=d)).weekday() < 5]
    weekend = [v for d, v in opens.items() if (start + dt.timedelta(days=d)).weekday() >= 5]
    assert statistics.fmean(weekday) > 1.5 * statistics.fmean(weekend)


def test_every_demo_metric_computes_on_the_demo_data(loaded: LoadedEvents) -> None:
    catalog = loaded.runtime.metrics.catalog()
    assert len(catalog) == 22
    for metric in catalog:
        series = _daily(loaded, metric.name)
        assert len(series) >= 90 and sum(series.values()) > 0, metric.name
    today = dt.date.today()
    total = SeriesRequest("card_spend", today - dt.timedelta(days=200), today, grain=None)
    spend = run_series(loaded.runtime, total)
    assert isinstance(spend.as_dicts()[0]["value"], int)  # money is integer cents


def test_demo_accounts_and_contacts_come_through_ingestion(loaded: LoadedEvents) -> None:
    with loaded.runtime.database.session() as session:
        plans = dict(
            session.execute(
                select(CustomerAccount.plan, func.count()).group_by(CustomerAccount.plan)
            ).all()
        )
        assert set(plans) == {"free", "grow", "scale", "enterprise"}
        assert plans["free"] > plans["grow"] > plans["scale"] > plans["enterprise"] > 10
        accounts = list(session.scalars(select(CustomerAccount)))
        assert {a.segment for a in accounts} == {"SMB", "mid-market", "enterprise"}
        assert all(isinstance(a.arr_cents, int) for a in accounts)
        assert all(a.arr_cents == 0 for a in accounts if a.plan == "free")
        assert min(a.arr_cents for a in accounts if a.plan == "enterprise") >= 1_500_000
        contacts = list(session.scalars(select(Contact)))
        assert len(contacts) > len(accounts)
        assert all(c.account_id and c.email and c.name for c in contacts)
        assert {c.traits["role"] for c in contacts} == {"finance_admin", "card_holder"}
        assert len({c.email for c in contacts}) == len(contacts)


def test_the_simulation_is_seeded_and_stops_at_now() -> None:
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    now = start + dt.timedelta(days=DEMO_DAYS, hours=9)
    first, second = simulate(start, now), simulate(start, now)
    assert [e.message_id for e in first.events] == [e.message_id for e in second.events]
    assert first.events[-1] == second.events[-1]
    assert max(e.timestamp for e in first.events) < now
    assert min(e.timestamp for e in first.events) >= start - dt.timedelta(seconds=10)
    assert simulate(start, now, seed=1).events[0] != first.events[0]


def test_the_demo_reads_only_files_shipped_in_the_wheel() -> None:
    """The demo definitions live in the package, and the wheel takes the whole package
    (hatch includes every file under ``packages`` that git does not ignore)."""
    package = Path(pilothouse.__file__).resolve().parent
    for path in (demo.DEFINITIONS, experiments_demo.DEFINITIONS):
        assert path.resolve().is_relative_to(package) and path.exists()
    root = package.parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert config["targets"]["wheel"]["packages"] == ["src/pilothouse"]
    assert not {"exclude", "only-include", "artifacts"} & (set(config) | set(config["targets"]))
    ignored = (root / ".gitignore").read_text().split()
    assert not [p for p in ignored if p.endswith((".yaml", ".yml", ".csv")) or "demo" in p]
