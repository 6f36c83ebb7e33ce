"""The database side of the insights: gather plain facts, hand them to :mod:`insights`.

Filters (source, source kind, segment, plan, product area, date range) narrow the
items counted. The weekly series behind trend and spike detection always cover the
weeks before the range's end, so narrowing the dates changes the counts but not the
baseline a spike is measured against. Theme membership and labels come from the
themes service (:mod:`pilothouse.feedback.themes`); accounts from the item's account.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, case, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from pilothouse.accounts.models import CustomerAccount
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef, links_of
from pilothouse.core.models import Link
from pilothouse.feedback import insights, service, themes
from pilothouse.feedback.models import (
    FeedbackItem,
    FeedbackTheme,
    FeedbackThemeMember,
    SourceKind,
)

__all__ = [
    "THEME_OBJECT_TYPE",
    "InsightFilter",
    "Suggestion",
    "filter_from_params",
    "item_facts",
    "items_by_ids",
    "linked_roadmap_items",
    "segment_and_plan_choices",
    "spike_alerts",
    "suggest_roadmap_items",
    "theme_insights",
    "theme_ref",
    "theme_volume",
]

THEME_OBJECT_TYPE = themes.THEME_OBJECT_TYPE
HISTORY_WEEKS = 13


@dataclass(frozen=True)
class InsightFilter:
    """Which items count. ``until`` is exclusive; ``product_area`` is an id, slug or name."""

    source: str | None = None
    source_kind: SourceKind | None = None
    segment: str | None = None
    plan: str | None = None
    product_area: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def as_of(self) -> datetime:
        """The moment trend and spikes are measured at: the range's end, or now."""
        now = datetime.now(UTC)
        return min(self.until - timedelta(microseconds=1), now) if self.until else now


def _day(raw: str | None, field: str) -> datetime | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            f"{field}: a date (YYYY-MM-DD) expected, got {raw!r}",
            errors=[FieldError(field, "a date YYYY-MM-DD")],
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def filter_from_params(params: dict[str, str | None]) -> InsightFilter:
    """An :class:`InsightFilter` from query parameters (``start``/``end`` are inclusive days)."""
    kind = params.get("source_kind") or None
    try:
        source_kind = SourceKind(kind) if kind else None
    except ValueError:
        raise ValidationFailed(
            f"source_kind: unknown source kind {kind!r}",
            errors=[FieldError("source_kind", "unknown")],
        ) from None
    end = _day(params.get("end"), "end")
    return InsightFilter(
        source=params.get("source") or None,
        source_kind=source_kind,
        segment=params.get("segment") or None,
        plan=params.get("plan") or None,
        product_area=params.get("product_area") or None,
        since=_day(params.get("start"), "start"),
        until=end + timedelta(days=1) if end else None,
    )


def _fact(item: FeedbackItem, theme_id: int | None) -> insights.ItemFact:
    account = item.account
    return insights.ItemFact(
        item_id=item.id,
        theme_id=theme_id,
        created_at=item.created_at,
        account_id=item.account_id,
        arr_cents=account.arr_cents if account else None,
        sentiment=item.sentiment.value if item.sentiment else None,
        segment=account.segment if account else None,
        plan=account.plan if account else None,
    )


def item_facts(
    session: Session, where: InsightFilter, *, since: datetime | None = None
) -> list[insights.ItemFact]:
    """Facts of the items matching ``where`` (dates: ``since`` overrides ``where.since``)."""
    base = service.FeedbackFilter(
        source=where.source,
        source_kind=where.source_kind,
        product_area=where.product_area,
        since=since if since is not None else where.since,
        until=where.until,
    )
    columns = (
        FeedbackItem.id,
        FeedbackItem.created_at,
        FeedbackItem.account_id,
        FeedbackItem.sentiment,
        CustomerAccount.arr_cents,
        CustomerAccount.segment,
        CustomerAccount.plan,
    )
    query = (
        service.filtered_query(session, base)
        .with_only_columns(*columns)
        .select_from(FeedbackItem)
        .outerjoin(CustomerAccount, FeedbackItem.account_id == CustomerAccount.id)
    )
    if where.segment:
        query = query.where(CustomerAccount.segment == where.segment)
    if where.plan:
        query = query.where(CustomerAccount.plan == where.plan)
    rows = session.execute(query.order_by(FeedbackItem.id)).all()
    membership = themes.theme_of_items(session, [r[0] for r in rows]) if rows else {}
    return [
        insights.ItemFact(
            item_id=item_id,
            theme_id=membership.get(item_id, (None, ""))[0],
            created_at=created_at,
            account_id=account_id,
            arr_cents=arr_cents,
            sentiment=sentiment.value if sentiment else None,
            segment=segment,
            plan=plan,
        )
        for item_id, created_at, account_id, sentiment, arr_cents, segment, plan in rows
    ]


def items_by_ids(session: Session, item_ids: Sequence[int]) -> list[FeedbackItem]:
    """The items with these ids, in the order given (unknown ids left out), 500 per query."""
    found: dict[int, FeedbackItem] = {}
    wanted = list(dict.fromkeys(int(i) for i in item_ids))
    for start in range(0, len(wanted), 500):
        query = select(FeedbackItem).where(FeedbackItem.id.in_(wanted[start : start + 500]))
        found.update((item.id, item) for item in session.scalars(query).unique())
    return [found[i] for i in wanted if i in found]


def _infos(summaries: Sequence[themes.ThemeSummary]) -> list[insights.ThemeInfo]:
    return [insights.ThemeInfo(s.id, s.label, s.description, s.created_at) for s in summaries]


def _history_since(as_of: datetime) -> datetime:
    """The start of the weeks trend and spike detection look at."""
    first = insights.week_start(as_of) - timedelta(weeks=HISTORY_WEEKS - 1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def theme_insights(
    session: Session, where: InsightFilter, *, include_hidden: bool = False, sort: str = "volume"
) -> list[insights.ThemeStats]:
    """Every theme with its numbers under ``where``, ranked by ``sort``.

    Themes with no matching item are left out when any filter is set.
    """
    summaries = themes.list_themes(session, include_hidden=include_hidden)
    as_of = where.as_of
    history = item_facts(session, where, since=_history_since(as_of))
    stats = insights.theme_stats(
        item_facts(session, where), _infos(summaries), as_of, history=history
    )
    if where != InsightFilter():
        stats = [s for s in stats if s.item_count]
    return insights.rank_themes(stats, sort)


def spike_alerts(
    session: Session,
    *,
    limit: int = 5,
    as_of: datetime | None = None,
    max_age_seconds: float = 0.0,
) -> list[insights.ThemeStats]:
    """Themes whose current week is a significant spike, largest first (for the home page).

    ``as_of`` (default now) fixes which week is current: a check made just after
    midnight on a Monday asks about a week that has only just begun.

    The database counts the weeks the test needs (:func:`_weekly_theme_counts`); only
    a row per theme comes back. The answer is also kept per :func:`_feedback_version`
    (and day), so the home page does not count again while nothing changed. With
    ``max_age_seconds`` 0 the key is read from the database on every call, so web
    workers never disagree about the answer. Under load feedback arrives every few
    requests and moves the key on almost every view, so a view within
    ``max_age_seconds`` of the last check (the home page passes
    ``PILOTHOUSE_SPIKE_ALERTS_MAX_AGE_SECONDS``) takes the kept answer as it is: a
    spike is a week's news, and counting it again cost 7 ms on the demo workspace
    (``benchmarks/load.py``).
    """
    as_of = as_of or datetime.now(UTC)
    place = (str(session.get_bind().url), as_of.date(), limit)
    kept = _SPIKES_KEPT.get(place)
    if kept and max_age_seconds > 0 and _clock() - kept[0] < max_age_seconds:
        return list(kept[2])
    version = _feedback_version(session)
    answer = kept[2] if kept and kept[1] == version else _spike_alerts(session, as_of, limit)
    if len(_SPIKES_KEPT) >= 16:
        _SPIKES_KEPT.clear()
    _SPIKES_KEPT[place] = (_clock(), version, answer)
    return list(answer)


_clock = time.monotonic  # a test moves it instead of the process's clock
#: ``(database, day, limit)`` → when it was last checked, the feedback version then, and
#: the answer for that version.
_SPIKES_KEPT: dict[tuple[Any, ...], tuple[float, tuple[Any, ...], list[insights.ThemeStats]]] = {}


def _feedback_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever an item, a theme or a theme membership is added, edited or removed.

    One statement (a row per table, tagged so their order does not matter) rather than
    one per table: it runs on every home page view."""
    parts = [
        select(literal(n), func.count(), func.max(column)).select_from(column.class_)
        for n, column in enumerate(
            (FeedbackItem.updated_at, FeedbackThemeMember.assigned_at, FeedbackTheme.updated_at)
        )
    ]
    rows = sorted(session.execute(union_all(*parts)).all())
    return tuple(value for row in rows for value in row[1:])


def _spike_alerts(session: Session, as_of: datetime, limit: int) -> list[insights.ThemeStats]:
    infos = _visible_theme_infos(session)
    if not infos:
        return []
    weeks = insights.series_weeks(as_of)
    weekly, customers = _weekly_theme_counts(session, weeks)
    stats = insights.series_stats(infos, weekly, weeks, customer_counts=customers)
    spiking = [s for s in stats if s.spike is not None and s.spike.flagged]
    return sorted(spiking, key=lambda s: s.spike.q_value if s.spike else 1.0)[:limit]


def _visible_theme_infos(session: Session) -> list[insights.ThemeInfo]:
    """The labels of the themes not hidden (no counts: the spike test makes its own)."""
    rows = session.execute(
        select(FeedbackTheme.id, FeedbackTheme.label, FeedbackTheme.created_at)
        .where(FeedbackTheme.hidden.is_(False))
        .order_by(FeedbackTheme.id)
    )
    return [insights.ThemeInfo(theme_id, label, "", created) for theme_id, label, created in rows]


def _weekly_theme_counts(
    session: Session, weeks: Sequence[date]
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Items per theme per week, and distinct customers per theme, over ``weeks``.

    One grouped statement with a conditional sum per week: the database counts, so a
    workspace with a busy feedback inbox does not send every recent item to Python.
    Week bounds are bound as timestamps (Monday 00:00 UTC), which both SQLite and
    PostgreSQL compare exactly; the distinct count is exact on both.
    """
    bounds = [datetime(w.year, w.month, w.day, tzinfo=UTC) for w in weeks]
    bounds.append(bounds[-1] + timedelta(weeks=1))
    created = FeedbackItem.created_at
    per_week = [
        func.sum(case((and_(created >= low, created < high), 1), else_=0))
        for low, high in zip(bounds, bounds[1:], strict=False)
    ]
    query = (
        select(
            FeedbackThemeMember.theme_id, func.count(distinct(FeedbackItem.account_id)), *per_week
        )
        .join(FeedbackItem, FeedbackItem.id == FeedbackThemeMember.item_id)
        .where(FeedbackThemeMember.theme_id.is_not(None))
        .where(created >= bounds[0], created < bounds[-1])
        .group_by(FeedbackThemeMember.theme_id)
    )
    weekly: dict[int, list[int]] = {}
    customers: dict[int, int] = {}
    for theme_id, accounts, *counts in session.execute(query):
        weekly[theme_id] = [int(c or 0) for c in counts]
        customers[theme_id] = int(accounts)
    return weekly, customers


MAX_CHART_WEEKS = 156


def theme_volume(
    session: Session, theme_id: int, *, weeks: int = 26
) -> tuple[insights.ThemeStats, list[insights.ItemFact]]:
    """One theme's numbers over every item, with weekly volume for the chart.

    The chart covers at least ``weeks`` weeks, back to the theme's first item when
    that is older (up to three years).
    """
    summary = themes.get_theme(session, theme_id)
    facts = [
        _fact(i, theme_id) for i in items_by_ids(session, themes.theme_item_ids(session, theme_id))
    ]
    now = datetime.now(UTC)
    if facts:
        first = min(insights.week_start(f.created_at) for f in facts)
        weeks = max(weeks, (insights.week_start(now) - first).days // 7 + 1)
    info = insights.ThemeInfo(theme_id, summary.label)
    [stats] = insights.theme_stats(facts, [info], now, weeks=min(weeks, MAX_CHART_WEEKS))
    return stats, facts


def segment_and_plan_choices(session: Session) -> tuple[list[str], list[str]]:
    """The segments and plans accounts have, for the filter menus."""
    rows = session.execute(select(CustomerAccount.segment, CustomerAccount.plan).distinct())
    segments, plans = set(), set()
    for segment, plan in rows:
        if segment:
            segments.add(segment)
        if plan:
            plans.add(plan)
    return sorted(segments), sorted(plans)


# --- roadmap links -------------------------------------------------------------------------


def theme_ref(theme_id: int) -> ObjectRef:
    return ObjectRef(THEME_OBJECT_TYPE, str(theme_id))


def linked_roadmap_items(session: Session, theme_id: int) -> list[tuple[Link, Any]]:
    """The roadmap items the theme is linked to (core links), with the items."""
    from pilothouse.roadmap import items as roadmap_items

    out = []
    for link in links_of(session, theme_ref(theme_id)):
        if link.from_type == THEME_OBJECT_TYPE and link.to_type == roadmap_items.ITEM_OBJECT_TYPE:
            try:
                out.append((link, roadmap_items.find_item(session, link.to_id)))
            except NotFound:
                continue
    return out


@dataclass(frozen=True)
class Suggestion:
    item_id: int
    key: str
    title: str
    score: float


def _theme_vectors(session: Session, model: Any, theme_id: int, head: str) -> np.ndarray:
    """The theme's label/description vector and its items' stored vectors (embedded if missing)."""
    from pilothouse.feedback import embeddings

    ids = themes.theme_item_ids(session, theme_id)[:200]
    stored = embeddings.load_vectors(session, model.model_id, ids)
    missing = [i for i in ids if i not in stored][:64]
    texts = [embeddings.item_text(item) for item in items_by_ids(session, missing)]
    fresh = list(np.asarray(model.embed([head, *texts]), dtype=float))
    return np.vstack([*fresh, *(np.asarray(v, dtype=float) for v in stored.values())])


def suggest_roadmap_items(
    session: Session, theme_id: int, *, limit: int = 5, embedder: Any = None
) -> list[Suggestion]:
    """Roadmap items most similar to the theme, not yet linked, by cosine to its centroid.

    The centroid is the mean of the unit vectors of the theme's label, description
    and keywords and of its items (their stored vectors, from the same embedder
    synthesis uses); roadmap items are embedded as ``title. description``.
    """
    from pilothouse.feedback import embeddings
    from pilothouse.roadmap.listing import ItemFilter, filtered_items

    detail = themes.get_theme(session, theme_id)
    linked = {item.id for _, item in linked_roadmap_items(session, theme_id)}
    candidates = [c for c in filtered_items(session, ItemFilter()) if c.id not in linked]
    if not candidates:
        return []
    model = embedder or embeddings.embedder()
    head = ". ".join(p for p in (detail.label, detail.description, " ".join(detail.keywords)) if p)
    centroid = _theme_vectors(session, model, theme_id, head).mean(axis=0)
    texts = [f"{c.title}. {c.description}"[:1000] for c in candidates]
    vectors = np.asarray(model.embed(texts), dtype=float)
    ranked = insights.cosine_rank(centroid, vectors, [c.id for c in candidates], limit=limit)
    by_id = {c.id: c for c in candidates}
    return [Suggestion(i, by_id[i].key, by_id[i].title, score) for i, score in ranked]
