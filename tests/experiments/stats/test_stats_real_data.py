"""Known results of public A/B tests, from sufficient statistics computed here with csv/NumPy."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from stats_testkit import data_file, mean_stats, run

from pilothouse.experiments.stats import AnalysisConfig, SufficientStatistics


def _columns(name: str, *fields: str) -> dict[str, np.ndarray]:
    """Named columns of a public CSV file as string arrays (NumPy's C parser)."""
    path = data_file(name)
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = [header.index(field) for field in fields]
    table = np.loadtxt(
        path, delimiter=",", quotechar='"', skiprows=1, usecols=columns, dtype=str, ndmin=2
    )
    return {field: table[:, i] for i, field in enumerate(fields)}


def _proportion(flags: np.ndarray) -> SufficientStatistics:
    return SufficientStatistics(users=float(flags.size), main_sum=float(flags.sum()))


@pytest.fixture(scope="module")
def cookie_cats() -> dict[str, np.ndarray]:
    return _columns("cookie_cats.csv", "version", "retention_1", "retention_7")


def test_cookie_cats_sample_ratio_mismatch(cookie_cats):
    gate_30 = cookie_cats["version"] == "gate_30"
    arms = [_proportion(cookie_cats["retention_7"][mask] == "TRUE") for mask in (gate_30, ~gate_30)]
    result = run(arms, AnalysisConfig(weights=(0.5, 0.5)), kind="proportion")
    assert [v.users for v in result.variations] == [44700, 45489]
    assert result.srm_p_value == pytest.approx(0.0086, abs=0.0005)


def test_cookie_cats_gate_40_lowers_seven_day_retention(cookie_cats):
    gate_30 = cookie_cats["version"] == "gate_30"
    seven = [_proportion(cookie_cats["retention_7"][m] == "TRUE") for m in (gate_30, ~gate_30)]
    one = [_proportion(cookie_cats["retention_1"][m] == "TRUE") for m in (gate_30, ~gate_30)]
    retention_7 = run(seven, kind="proportion").variations
    assert round(retention_7[0].mean, 4) == 0.1902 and round(retention_7[1].mean, 4) == 0.1820
    assert retention_7[1].effect < 0 and retention_7[1].p_value < 0.01
    assert run(one, kind="proportion").variations[1].p_value > 0.05


def test_udacity_landing_page_is_not_significant_after_cleaning():
    data = _columns("ab_data.csv", "user_id", "group", "landing_page", "converted")
    user = data["user_id"].astype(np.int64)
    treatment = data["group"] == "treatment"
    new_page = data["landing_page"] == "new_page"
    converted = data["converted"] == "1"
    # Drop rows whose group and page disagree, then keep each user's first row.
    agree = treatment == new_page
    user, treatment, converted = user[agree], treatment[agree], converted[agree]
    _, first = np.unique(user, return_index=True)
    treatment, converted = treatment[first], converted[first]
    arms = [_proportion(converted[~treatment]), _proportion(converted[treatment])]
    result = run(arms, AnalysisConfig(weights=(0.5, 0.5)), kind="proportion")
    control, variant = result.variations
    assert control.users + variant.users == 290_584
    assert round(100 * control.mean, 2) == 12.04 and round(100 * variant.mean, 2) == 11.88
    assert 0.15 < variant.p_value < 0.25
    assert result.srm_p_value > 0.05


def test_hillstrom_email_lifts_visits_and_cuped_uses_the_history():
    data = _columns("hillstrom.csv", "segment", "visit", "spend", "history")
    visit, spend = data["visit"].astype(float), data["spend"].astype(float)
    history = data["history"].astype(float)
    arms = ("No E-Mail", "Mens E-Mail", "Womens E-Mail")
    masks = [data["segment"] == segment for segment in arms]
    visits = run([mean_stats(visit[m], history[m]) for m in masks], kind="proportion", cuped=True)
    assert [round(v.mean, 4) for v in visits.variations] == [0.1062, 0.1828, 0.1514]
    assert all(v.p_value < 1e-20 for v in visits.variations[1:])
    spend_arms = [mean_stats(spend[m], history[m]) for m in masks]
    plain = run(spend_arms).variations[1]
    cuped = run(spend_arms, cuped=True).variations[1]
    assert cuped.ci[1] - cuped.ci[0] < plain.ci[1] - plain.ci[0]
    assert cuped.effect == pytest.approx(plain.effect, rel=0.02)
    assert cuped.p_value < 0.001
