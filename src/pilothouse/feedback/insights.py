"""Insights over themes: ranking, trend and spike detection (pure: plain data in and out).

Nothing here touches the database or the web; :mod:`pilothouse.feedback.insights_queries`
gathers the plain :class:`ItemFact` rows and this module does the arithmetic, so the
numbers are testable against SciPy and hand-computed values.

Weeks are ISO weeks (Monday 00:00 UTC). For each theme we count items per week over
``recent_weeks + baseline_weeks`` weeks ending with the week of ``as_of``.

**Trend.** The rate ratio of the last ``recent_weeks`` (default 4, ``r``) to the
``baseline_weeks`` (default 8, ``b``) before them, with half an item spread evenly
over all ``r + b`` weeks added, so that an empty baseline gives a finite number and
a theme with no items at all a ratio of 1::

    trend = ((recent + 0.5 r/(r+b)) / r) / ((baseline + 0.5 b/(r+b)) / b)

A theme is ``rising`` when ``trend >= 1.5`` with at least 3 recent items, ``falling``
when ``trend <= 2/3`` with at least 3 baseline items, otherwise ``steady``.
Sorting by trend uses ``log2(trend)`` (symmetric: a doubling and a halving are +1 and -1).

**Spikes.** The current week's count ``x`` is compared with the ``B`` items of the
``N`` previous weeks. Under "no change" both are Poisson with the same weekly rate,
and conditionally on ``T = x + B`` the current week's share is
``Binomial(T, 1/(N+1))`` — the exact test for comparing two Poisson rates (it
accounts for the baseline being estimated, unlike ``poisson.sf(x - 1, B/N)``, which
treats the baseline mean as known and flags too often). The one-sided p-value is
``P(X >= x) = binom.sf(x - 1, T, 1/(N+1))``. The p-values of all themes are adjusted
with Benjamini–Hochberg, and a theme is a spike when its adjusted value is at most
``alpha``, it has at least ``min_count`` items this week and more than its baseline mean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

__all__ = [
    "SORT_KEYS",
    "ItemFact",
    "Spike",
    "SpikeConfig",
    "ThemeInfo",
    "ThemeStats",
    "TrendConfig",
    "benjamini_hochberg",
    "cosine_rank",
    "detect_spikes",
    "import_statistics",
    "rank_themes",
    "series_stats",
    "series_weeks",
    "spike_p_value",
    "theme_stats",
    "trend_ratio",
    "week_start",
    "weekly_counts",
]

SORT_KEYS = ("volume", "customers", "arr", "trend")


@dataclass(frozen=True)
class ItemFact:
    """One feedback item as the insights need it."""

    item_id: int
    theme_id: int | None
    created_at: datetime
    account_id: int | None = None
    arr_cents: int | None = None
    sentiment: str | None = None
    segment: str | None = None
    plan: str | None = None


@dataclass(frozen=True)
class ThemeInfo:
    """The label side of a theme (from the themes service)."""

    theme_id: int
    label: str
    description: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class TrendConfig:
    recent_weeks: int = 4
    baseline_weeks: int = 8
    rising: float = 1.5
    min_items: int = 3


@dataclass(frozen=True)
class SpikeConfig:
    """How a spike is found: ``baseline_weeks`` before the current week, BH at ``alpha``."""

    baseline_weeks: int = 8
    alpha: float = 0.05
    min_count: int = 5


@dataclass
class ThemeStats:
    """What the insights list and the report show for one theme."""

    theme_id: int
    label: str
    item_count: int = 0
    customer_count: int = 0
    arr_cents: int = 0
    sentiment: dict[str, int] = field(default_factory=dict)
    segments: dict[str, int] = field(default_factory=dict)
    plans: dict[str, int] = field(default_factory=dict)
    weeks: list[date] = field(default_factory=list)
    weekly: list[int] = field(default_factory=list)
    trend: float = 1.0
    direction: str = "steady"
    spike: Spike | None = None
    created_at: datetime | None = None

    @property
    def trend_score(self) -> float:
        """``log2`` of the trend ratio: +1 is a doubling, -1 a halving."""
        return math.log2(self.trend)

    @property
    def negative_share(self) -> float | None:
        rated = sum(self.sentiment.values())
        return self.sentiment.get("negative", 0) / rated if rated else None


@dataclass(frozen=True)
class Spike:
    theme_id: int
    count: int
    baseline_mean: float
    p_value: float
    q_value: float
    flagged: bool

    @property
    def ratio(self) -> float:
        """This week's count over the baseline's weekly mean (inf with an empty baseline)."""
        return self.count / self.baseline_mean if self.baseline_mean else math.inf


def week_start(moment: datetime | date) -> date:
    """The Monday (UTC) of the ISO week ``moment`` falls in."""
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
    return moment - timedelta(days=moment.weekday())


def weekly_counts(moments: Iterable[datetime], last_week: date, weeks: int) -> list[int]:
    """Items per week for the ``weeks`` weeks ending with ``last_week`` (oldest first)."""
    first = last_week - timedelta(weeks=weeks - 1)
    counts = [0] * weeks
    for moment in moments:
        index = (week_start(moment) - first).days // 7
        if 0 <= index < weeks:
            counts[index] += 1
    return counts


def trend_ratio(weekly: Sequence[int], config: TrendConfig = TrendConfig()) -> tuple[float, str]:
    """The recent-to-baseline rate ratio of a weekly series (oldest first) and its direction.

    Example:
        >>> trend_ratio([1] * 8 + [3] * 4)
        (2.92, 'rising')
        >>> trend_ratio([0] * 12)
        (1.0, 'steady')
    """
    r, b = config.recent_weeks, config.baseline_weeks
    recent = sum(weekly[-r:])
    baseline = sum(weekly[-(r + b) : -r])
    prior = 0.5 / (r + b)  # half an item spread over the r + b weeks
    ratio = ((recent + prior * r) / r) / ((baseline + prior * b) / b)
    ratio = round(ratio, 12)  # 1.0 exactly for a theme with no items
    if ratio >= config.rising and recent >= config.min_items:
        return ratio, "rising"
    if ratio <= 1 / config.rising and baseline >= config.min_items:
        return ratio, "falling"
    return ratio, "steady"


def _tally(values: Iterable[str | None]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        key = value or "unknown"
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _by_theme(facts: Iterable[ItemFact]) -> dict[int, list[ItemFact]]:
    out: dict[int, list[ItemFact]] = {}
    for fact in facts:
        if fact.theme_id is not None:
            out.setdefault(fact.theme_id, []).append(fact)
    return out


def _one_theme(
    info: ThemeInfo,
    facts: list[ItemFact],
    history: list[ItemFact],
    weeks: list[date],
    trend: TrendConfig,
) -> ThemeStats:
    arr_by_account = {f.account_id: f.arr_cents or 0 for f in facts if f.account_id is not None}
    weekly = weekly_counts((f.created_at for f in history), weeks[-1], len(weeks))
    ratio, direction = trend_ratio(weekly, trend)
    return ThemeStats(
        theme_id=info.theme_id,
        label=info.label,
        item_count=len(facts),
        customer_count=len(arr_by_account),
        arr_cents=sum(arr_by_account.values()),
        sentiment=_tally(f.sentiment for f in facts if f.sentiment),
        segments=_tally(f.segment for f in facts),
        plans=_tally(f.plan for f in facts),
        weeks=weeks,
        weekly=weekly,
        trend=ratio,
        direction=direction,
        created_at=info.created_at,
    )


def series_weeks(
    as_of: datetime,
    *,
    trend: TrendConfig = TrendConfig(),
    spikes: SpikeConfig = SpikeConfig(),
    weeks: int | None = None,
) -> list[date]:
    """The Mondays of the weeks a theme's series covers, oldest first, ending with ``as_of``'s.

    At least what trend and spike detection need, or ``weeks`` when that is longer.
    """
    span = max(trend.recent_weeks + trend.baseline_weeks, spikes.baseline_weeks + 1, weeks or 0)
    last = week_start(as_of)
    return [last - timedelta(weeks=span - 1 - i) for i in range(span)]


def series_stats(
    themes: Iterable[ThemeInfo],
    weekly: Mapping[int, Sequence[int]],
    weeks: list[date],
    *,
    customer_counts: Mapping[int, int] | None = None,
    trend: TrendConfig = TrendConfig(),
    spikes: SpikeConfig = SpikeConfig(),
) -> list[ThemeStats]:
    """Trend and spike per theme from weekly counts already made (by the database).

    The same arithmetic as :func:`theme_stats` without item facts: for the spike alerts,
    whose counts are taken in SQL so that the cost does not grow with every item in
    Python. An item count is the series' total, customers are what the caller counted;
    the mix stays empty.
    """
    out = []
    for info in themes:
        series = list(weekly.get(info.theme_id, [0] * len(weeks)))
        ratio, direction = trend_ratio(series, trend)
        out.append(
            ThemeStats(
                theme_id=info.theme_id,
                label=info.label,
                item_count=sum(series),
                customer_count=(customer_counts or {}).get(info.theme_id, 0),
                weeks=weeks,
                weekly=series,
                trend=ratio,
                direction=direction,
                created_at=info.created_at,
            )
        )
    found = detect_spikes({s.theme_id: s.weekly for s in out}, spikes)
    for entry in out:
        entry.spike = found.get(entry.theme_id)
    return out


def theme_stats(
    facts: Iterable[ItemFact],
    themes: Iterable[ThemeInfo],
    as_of: datetime,
    *,
    trend: TrendConfig = TrendConfig(),
    spikes: SpikeConfig = SpikeConfig(),
    history: Iterable[ItemFact] | None = None,
    weeks: int | None = None,
) -> list[ThemeStats]:
    """Volume, distinct customers, their ARR (each account once), mix, trend and spike per theme.

    Every theme in ``themes`` gets an entry (possibly empty); facts of other themes are ignored.

    Args:
        history: the facts the weekly series (trend, spikes) are counted from, when they
            differ from ``facts`` (a date range narrows the counts but not the baseline).
        weeks: how many weeks the series covers (at least what trend and spikes need).
    """
    by_theme = _by_theme(facts)
    series = _by_theme(history) if history is not None else by_theme
    week_list = series_weeks(as_of, trend=trend, spikes=spikes, weeks=weeks)
    out = [
        _one_theme(t, by_theme.get(t.theme_id, []), series.get(t.theme_id, []), week_list, trend)
        for t in themes
    ]
    found = detect_spikes({s.theme_id: s.weekly for s in out}, spikes)
    for entry in out:
        entry.spike = found.get(entry.theme_id)
    return out


def rank_themes(entries: Iterable[ThemeStats], by: str = "volume") -> list[ThemeStats]:
    """Themes best first by ``volume``, ``customers``, ``arr`` or ``trend``; ties: volume, label."""
    keys = {
        "volume": lambda s: (s.item_count,),
        "customers": lambda s: (s.customer_count, s.arr_cents),
        "arr": lambda s: (s.arr_cents, s.customer_count),
        "trend": lambda s: (s.trend_score,),
    }
    if by not in keys:
        raise ValueError(f"sort by one of {', '.join(SORT_KEYS)}, not {by!r}")
    primary = keys[by]
    return sorted(entries, key=lambda s: (*(-v for v in primary(s)), -s.item_count, s.label))


def import_statistics() -> None:
    """Import what :func:`spike_p_value` imports on first use (``scipy.stats``, about
    0.6 s): for a served process warming up before its first home page needs it."""
    from scipy import stats  # noqa: F401


def spike_p_value(count: int, baseline_total: int, baseline_weeks: int) -> float:
    """One-sided exact p-value that this week's rate exceeds the baseline's.

    ``P(X >= count)`` for ``X ~ Binomial(count + baseline_total, 1 / (baseline_weeks + 1))``.
    """
    if count <= 0:
        return 1.0
    total = count + baseline_total
    from scipy import stats  # here: scipy.stats is a second of the app's start-up

    return float(stats.binom.sf(count - 1, total, 1.0 / (baseline_weeks + 1)))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (step-up; monotone; capped at 1).

    ``q_(i) = min_{j >= i} p_(j) * m / j`` over the p-values sorted ascending.
    """
    m = len(p_values)
    if m == 0:
        return []
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return [float(v) for v in out]


def detect_spikes(
    weekly: Mapping[int, Sequence[int]], config: SpikeConfig = SpikeConfig()
) -> dict[int, Spike]:
    """Test each theme's last week against its ``baseline_weeks`` before; BH across themes.

    Every theme with enough history counts in the Benjamini–Hochberg family, and only
    those with at least ``min_count`` items this week may be flagged. (Leaving the quiet
    themes out of the family instead would pick the family by the very counts being
    tested, and flag slightly more often than ``alpha`` when nothing changed.)

    Args:
        weekly: theme id → weekly counts, oldest first, the current week last; a series
            shorter than ``baseline_weeks + 1`` is not tested.

    Returns:
        The tested themes by id; ``flagged`` marks spikes.
    """
    tested: list[tuple[int, int, int]] = []
    for theme_id, series in weekly.items():
        if len(series) < config.baseline_weeks + 1:
            continue
        baseline = int(sum(series[-(config.baseline_weeks + 1) : -1]))
        tested.append((theme_id, int(series[-1]), baseline))
    p_values = [spike_p_value(x, b, config.baseline_weeks) for _, x, b in tested]
    q_values = benjamini_hochberg(p_values)
    out: dict[int, Spike] = {}
    for (theme_id, count, baseline), p, q in zip(tested, p_values, q_values, strict=True):
        mean = baseline / config.baseline_weeks
        flagged = q <= config.alpha and count >= config.min_count and count > mean
        out[theme_id] = Spike(theme_id, count, mean, p, q, flagged)
    return out


def cosine_rank(
    centroid: np.ndarray, candidates: np.ndarray, ids: Sequence[int], *, limit: int = 5
) -> list[tuple[int, float]]:
    """Candidate ids by cosine similarity to ``centroid``, most similar first.

    Rows of ``candidates`` need not be normalised; zero rows score 0.
    """
    if len(ids) == 0:
        return []
    matrix = np.asarray(candidates, dtype=float)
    norms = np.linalg.norm(matrix, axis=1)
    center = np.asarray(centroid, dtype=float)
    center_norm = float(np.linalg.norm(center)) or 1.0
    scores = (matrix @ center) / (np.where(norms == 0, 1.0, norms) * center_norm)
    order = np.argsort(-scores, kind="stable")[:limit]
    return [(int(ids[i]), float(scores[i])) for i in order]
