"""Process-health figures against the hand-worked fixture (tests/ops/health_fixture.py),
on SQLite and PostgreSQL: every figure unfiltered, by quarter and by area, the trend,
and the items behind each number, including an item moved backwards, reopened and
deleted. Percentiles are compared with numpy's nearest-rank method."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pilothouse.core.errors import ValidationFailed
from pilothouse.core.runtime import Runtime
from pilothouse.ops.health.percentiles import nearest_rank
from pilothouse.ops.health.service import HealthFilter, health_report, parse_filter
from tests.ops.health_fixture import EXPECTED, NOW, build


def test_nearest_rank_matches_numpy_inverted_cdf() -> None:
    rng = random.Random(7)
    for _ in range(300):
        values = [
            rng.choice([rng.random() * 90, float(rng.randint(0, 20))])
            for _ in range(rng.randint(1, 40))
        ]
        for p in (0, 10, 30, 50, 85, 90, 100):
            expected = float(np.percentile(values, p, method="inverted_cdf"))
            assert nearest_rank(values, p) == pytest.approx(expected)
    assert nearest_rank([], 50) is None
    with pytest.raises(ValueError):
        nearest_rank([1.0], 101)


@pytest.fixture
def ids(runtime: Runtime) -> dict[str, int]:
    with runtime.database.session() as session:
        return build(session)


def _report(runtime: Runtime, where: HealthFilter = HealthFilter()):  # type: ignore[no-untyped-def]
    with runtime.database.session(reading=True) as session:
        return health_report(session, "UTC", where, NOW)


@pytest.mark.usefixtures("ids")
def test_every_figure_equals_the_hand_worked_value(runtime: Runtime) -> None:
    report = _report(runtime)
    got = {r.figure.key: (r.summary.value, r.summary.p85, r.summary.n) for r in report.figures}
    assert set(got) == set(EXPECTED)
    for key, (value, p85, n) in EXPECTED.items():
        assert got[key][2] == n, key
        assert got[key][0] == pytest.approx(value), key
        assert got[key][1] == (pytest.approx(p85) if p85 is not None else None), key
    assert report.quarters == ["2026-Q1", "2026-Q2"]


def test_drill_down_lists_the_items_behind_each_number(
    runtime: Runtime, ids: dict[str, int]
) -> None:
    report = _report(runtime)
    cycle = report.find("cycle_time")
    assert [(s.ref_id, s.value) for s in cycle.samples] == [
        (str(ids["reopened"]), 64.0), (str(ids["backwards"]), 30.0), (str(ids["straight"]), 19.0)
    ]  # fmt: skip
    behind = {key: {s.ref_id for s in report.find(key).samples} for key in EXPECTED}
    assert str(ids["deleted"]) not in set().union(*behind.values())  # deleted: nowhere
    assert str(ids["open"]) not in behind["cycle_time"]
    assert str(ids["reopened_open"]) not in behind["cycle_time"]  # reopened, not done again
    assert behind["untriaged_backlog"] == {str(ids["f3"]), str(ids["f4"])}
    assert behind["feedback_lead_time"] == {
        str(ids["straight"]), str(ids["backwards"]), str(ids["reopened"])
    }  # fmt: skip
    on_time = {s.ref_id: s.note for s in report.find("launch_on_time").samples}
    assert on_time[str(ids["l2"])] == "6 days late" and on_time[str(ids["l1"])] == "on time"
    backlog = {s.ref_id: s.value for s in report.find("untriaged_backlog").samples}
    assert backlog == {str(ids["f3"]): 10.0, str(ids["f4"]): 100.0}
    with pytest.raises(Exception, match="no process-health figure"):
        report.find("nonsense")


def test_quarter_and_area_filters(runtime: Runtime, ids: dict[str, int]) -> None:
    q1 = _report(runtime, HealthFilter("2026-Q1"))
    assert q1.find("cycle_time").summary.value == 19 and q1.find("cycle_time").summary.p85 == 30
    assert q1.find("launch_on_time").summary.value == 1.0
    assert q1.find("experiment_velocity").summary.value == 1.0  # 3 starts / 3 months
    q2 = _report(runtime, HealthFilter("2026-Q2"))
    assert q2.find("cycle_time").summary.value == 64
    assert q2.find("experiment_velocity").summary.value == pytest.approx(1 / 3)
    growth = _report(runtime, HealthFilter(None, ids["area"], "growth"))
    assert growth.find("cycle_time").summary.n == 2  # straight and backwards
    assert growth.find("launch_on_time").summary.value == 1.0  # HL-1 and HL-4
    assert growth.find("untriaged_backlog").summary.value == 1  # f3


@pytest.mark.usefixtures("ids")
def test_trends_by_quarter_and_month(runtime: Runtime) -> None:
    report = _report(runtime)
    cycle = [(t.period, t.value, t.n) for t in report.find("cycle_time").trend]
    assert cycle == [("2026-Q1", 19.0, 2), ("2026-Q2", 64.0, 1)]
    velocity = [(t.period, t.value) for t in report.find("experiment_velocity").trend]
    assert velocity == [("2026-01", 1.0), ("2026-02", 2.0), ("2026-04", 1.0)]
    on_time = [(t.period, t.value) for t in report.find("launch_on_time").trend]
    assert on_time == [("2026-Q1", 1.0), ("2026-Q2", 0.0)]


def test_filters_are_checked(runtime: Runtime, ids: dict[str, int]) -> None:
    with runtime.database.session(reading=True) as session:
        assert parse_filter(session, "2026-Q3", "growth") == HealthFilter(
            "2026-Q3", ids["area"], "growth"
        )
        assert parse_filter(session, " ", None) == HealthFilter()
        with pytest.raises(ValidationFailed) as bad:
            parse_filter(session, "2026-Q5", None)
        assert bad.value.errors[0].field == "quarter"
        with pytest.raises(ValidationFailed) as missing:
            parse_filter(session, None, "nowhere")
        assert missing.value.errors[0].field == "area"
