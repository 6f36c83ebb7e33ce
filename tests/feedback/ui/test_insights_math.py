"""The pure insights: trend, ranking, the spike test and BH, against SciPy and by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from pilothouse.feedback.insights import (
    ItemFact,
    SpikeConfig,
    ThemeInfo,
    benjamini_hochberg,
    cosine_rank,
    detect_spikes,
    rank_themes,
    spike_p_value,
    theme_stats,
    trend_ratio,
    week_start,
    weekly_counts,
)

AS_OF = datetime(2026, 3, 18, 12, tzinfo=UTC)  # a Wednesday


def test_weeks_are_iso_weeks_in_utc() -> None:
    assert week_start(AS_OF) == date(2026, 3, 16)
    assert week_start(datetime(2026, 3, 15, 23, 59, tzinfo=UTC)) == date(2026, 3, 9)
    moments = [AS_OF, AS_OF - timedelta(days=7), AS_OF - timedelta(days=70), AS_OF]
    assert weekly_counts(moments, date(2026, 3, 16), 3) == [0, 1, 2]


def test_trend_ratio_by_hand() -> None:
    # recent 4 weeks: 12 items, baseline 8 weeks: 8 items; half an item spread over the
    # 12 weeks adds 1/6 to the recent and 1/3 to the baseline -> (12 1/6 / 4) / (8 1/3 / 8)
    ratio, direction = trend_ratio([1] * 8 + [3] * 4)
    assert ratio == pytest.approx((73 / 6 / 4) / (25 / 3 / 8)) and direction == "rising"
    assert trend_ratio([0] * 12) == (1.0, "steady")  # no items: no trend
    assert trend_ratio([2] * 12)[1] == "steady"
    assert trend_ratio([3] * 8 + [0] * 4) == (pytest.approx((1 / 6 / 4) / (73 / 3 / 8)), "falling")
    assert trend_ratio([0] * 11 + [2])[1] == "steady"  # too few items to call it


def test_spike_p_value_matches_scipy_binomtest_and_hand() -> None:
    # 12 this week, 16 over the 8 weeks before: exact conditional test
    ref = stats.binomtest(12, 28, 1 / 9, alternative="greater").pvalue
    assert spike_p_value(12, 16, 8) == pytest.approx(ref, rel=1e-12)
    # by hand: P(X >= 2), X ~ Bin(2, 1/2) = 1/4
    assert spike_p_value(2, 0, 1) == pytest.approx(0.25)
    # an empty baseline: P(X >= 5 | T = 5) = (1/9)^5
    assert spike_p_value(5, 0, 8) == pytest.approx((1 / 9) ** 5)
    assert spike_p_value(0, 10, 8) == 1.0


def test_benjamini_hochberg_matches_scipy() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.2]
    assert benjamini_hochberg(p) == pytest.approx(list(stats.false_discovery_control(p)))
    # by hand, m = 3: sorted 0.01, 0.02, 0.9 -> 0.03, 0.03, 0.9
    assert benjamini_hochberg([0.02, 0.9, 0.01]) == pytest.approx([0.03, 0.9, 0.03])
    assert benjamini_hochberg([]) == []


def test_detect_spikes_flags_only_a_real_rise() -> None:
    weekly = {
        1: [4, 5, 3, 4, 6, 4, 5, 4, 18],
        2: [4, 5, 3, 4, 6, 4, 5, 4, 6],
        3: [0] * 8 + [3],  # far above an empty baseline, but under min_count
        4: [1] * 5,  # too little history to test
    }
    found = detect_spikes(weekly, SpikeConfig())
    assert set(found) == {1, 2, 3}
    assert found[1].flagged and not found[2].flagged and not found[3].flagged
    assert found[3].q_value < 0.05  # significant, yet 3 items are not a spike to report
    assert found[1].baseline_mean == pytest.approx(35 / 8)
    assert found[1].p_value == pytest.approx(stats.binom.sf(17, 53, 1 / 9))
    reference = stats.false_discovery_control([found[i].p_value for i in (1, 2, 3)])
    assert [found[i].q_value for i in (1, 2, 3)] == pytest.approx(list(reference))


def _simulate(rng: np.random.Generator, rates: np.ndarray, spike: float) -> np.ndarray:
    weeks = rng.poisson(np.repeat(rates[:, None], 9, axis=1))
    weeks[0, -1] = rng.poisson(rates[0] * spike)
    return weeks


def test_simulation_false_flags_at_most_alpha_and_a_3x_spike_is_found() -> None:
    rng = np.random.default_rng(20261125)
    rates = rng.uniform(3, 12, size=20)
    config = SpikeConfig(alpha=0.05)
    runs, false_runs, detected = 600, 0, 0
    for _ in range(runs):
        null = _simulate(rng, rates, 1.0)
        flags = detect_spikes({i: list(r) for i, r in enumerate(null)}, config)
        false_runs += any(s.flagged for s in flags.values())
        spiked = _simulate(rng, rates, 3.0)
        found = detect_spikes({i: list(r) for i, r in enumerate(spiked)}, config)
        detected += bool(found.get(0) and found[0].flagged)
    # Under the global null BH controls the family-wise rate at alpha (the exact test is
    # conservative, being discrete): seeded, this run flags in 3.8% of 600 runs.
    assert false_runs / runs <= 0.05
    assert detected / runs >= 0.7  # 77% of the 3x spikes (rate ~6.2/week) are found


def _facts() -> list[ItemFact]:
    week = timedelta(days=7)
    facts = []
    for i in range(6):  # theme 1: 6 items, 2 accounts (one twice), rising
        acct = 10 if i % 2 else 11
        facts.append(
            ItemFact(
                i,
                1,
                AS_OF - week * (i % 2),
                acct,
                100_00 if acct == 10 else 50_00,
                "negative" if i < 4 else "positive",
                "enterprise",
                "pro",
            )
        )
    for i in range(6, 9):  # theme 2: 3 items, 3 accounts, old
        facts.append(ItemFact(i, 2, AS_OF - week * 9, 20 + i, 1_000_00, None, "smb", None))
    facts.append(ItemFact(99, None, AS_OF, None))
    return facts


def test_theme_stats_count_each_account_once_and_rank() -> None:
    themes = [ThemeInfo(1, "Exports"), ThemeInfo(2, "Billing"), ThemeInfo(3, "Empty")]
    by_id = {s.theme_id: s for s in theme_stats(_facts(), themes, AS_OF)}
    one = by_id[1]
    assert (one.item_count, one.customer_count, one.arr_cents) == (6, 2, 150_00)
    assert one.sentiment == {"negative": 4, "positive": 2} and one.negative_share == pytest.approx(
        4 / 6
    )
    assert one.segments == {"enterprise": 6} and one.plans == {"pro": 6}
    assert sum(one.weekly) == 6 and one.weekly[-1] == 3 and one.direction == "rising"
    assert by_id[2].arr_cents == 3_000_00 and by_id[2].plans == {"unknown": 3}
    assert by_id[3].item_count == 0 and by_id[3].negative_share is None
    stats_list = list(by_id.values())
    assert [s.theme_id for s in rank_themes(stats_list, "volume")] == [1, 2, 3]
    assert [s.theme_id for s in rank_themes(stats_list, "customers")] == [2, 1, 3]
    assert [s.theme_id for s in rank_themes(stats_list, "arr")] == [2, 1, 3]
    assert rank_themes(stats_list, "trend")[0].theme_id == 1
    with pytest.raises(ValueError, match="sort by"):
        rank_themes(stats_list, "size")


def test_cosine_rank() -> None:
    candidates = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [0.0, 0.0]])
    ranked = cosine_rank(np.array([0.0, 1.0]), candidates, [7, 8, 9, 10], limit=3)
    assert [i for i, _ in ranked] == [8, 9, 7]
    assert ranked[0][1] == pytest.approx(1.0) and ranked[1][1] == pytest.approx(math.sqrt(0.5))
    assert cosine_rank(np.ones(2), np.empty((0, 2)), []) == []
