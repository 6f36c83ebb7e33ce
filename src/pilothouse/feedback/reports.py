"""The voice-of-customer report for a date range, as data, Markdown and standalone HTML.

:func:`build_report` gathers the top themes of the range (items, distinct customers,
their ARR, trend, sentiment mix and two or three quotes each), the themes spiking in
the range's last week and the themes created in the range. :func:`to_markdown`,
:func:`to_html` and :func:`to_json` render the same :class:`VocReport`, so the three
formats never disagree. The HTML needs nothing from the network (styles inline).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.feedback import insights, insights_queries, themes
from pilothouse.feedback.models import FeedbackItem

__all__ = [
    "MAX_DAYS",
    "QuoteView",
    "ThemeSection",
    "VocReport",
    "build_report",
    "check_range",
    "format_cents",
    "to_html",
    "to_json",
    "to_markdown",
]

MAX_DAYS = 366 * 3
QUOTES_PER_THEME = 3
TEMPLATES = Path(__file__).resolve().parent / "templates" / "feedback"


@dataclass(frozen=True)
class QuoteView:
    item_id: int
    text: str
    account: str | None
    sentiment: str | None
    created_at: datetime


@dataclass(frozen=True)
class ThemeSection:
    theme_id: int
    label: str
    item_count: int
    customer_count: int
    arr_cents: int
    trend: float
    direction: str
    sentiment: dict[str, int]
    quotes: list[QuoteView] = field(default_factory=list)
    spike: insights.Spike | None = None


@dataclass(frozen=True)
class VocReport:
    start: date
    end: date
    generated_at: datetime
    item_count: int
    customer_count: int
    themed_share: float | None
    themes: list[ThemeSection]
    spikes: list[ThemeSection]
    new_themes: list[ThemeSection]
    filters: dict[str, str] = field(default_factory=dict)


def format_cents(cents: int) -> str:
    """``$12,345`` from integer cents (whole dollars: a report reads at a glance).

    Example:
        >>> format_cents(1_250_050)
        '$12,501'
    """
    return f"${(cents + 50) // 100:,}"


def check_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(
            "end: the range ends before it starts", errors=[FieldError("end", "before start")]
        )
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed(
            f"end: at most {MAX_DAYS} days a report", errors=[FieldError("end", "range too long")]
        )


def _quote(item: FeedbackItem) -> QuoteView:
    account = item.account.name or item.account.external_id if item.account else None
    text = " ".join((item.text or "").split())
    return QuoteView(
        item_id=item.id,
        text=text if len(text) <= 400 else text[:399] + "…",
        account=account,
        sentiment=item.sentiment.value if item.sentiment else None,
        created_at=item.created_at,
    )


def _quotes(session: Session, theme_id: int, in_range: set[int]) -> list[QuoteView]:
    """Up to three quotes from the range: the theme's chosen quotes first, then the newest."""
    detail = themes.get_theme(session, theme_id)
    preferred = [getattr(q, "id", q) for q in detail.quotes]
    ordered = [i for i in preferred if i in in_range]
    ordered += sorted(in_range - set(ordered), reverse=True)
    out = []
    for item_id in ordered[:QUOTES_PER_THEME]:
        item = session.get(FeedbackItem, item_id)
        if item is not None:
            out.append(_quote(item))
    return out


def _section(stats: insights.ThemeStats, quotes: list[QuoteView]) -> ThemeSection:
    return ThemeSection(
        theme_id=stats.theme_id,
        label=stats.label,
        item_count=stats.item_count,
        customer_count=stats.customer_count,
        arr_cents=stats.arr_cents,
        trend=stats.trend,
        direction=stats.direction,
        sentiment=stats.sentiment,
        quotes=quotes,
        spike=stats.spike if stats.spike and stats.spike.flagged else None,
    )


def build_report(
    session: Session,
    start: date,
    end: date,
    *,
    where: insights_queries.InsightFilter | None = None,
    top: int = 10,
) -> VocReport:
    """The report for the days ``start`` to ``end`` (inclusive, UTC).

    Args:
        where: further filters (source, segment, plan, product area); its dates are replaced.
        top: how many themes the report details.
    """
    check_range(start, end)
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    scope = replace(where or insights_queries.InsightFilter(), since=since, until=until)
    facts = insights_queries.item_facts(session, scope)
    members: dict[int, set[int]] = {}
    for fact in facts:
        if fact.theme_id is not None:
            members.setdefault(fact.theme_id, set()).add(fact.item_id)
    ranked = [s for s in insights_queries.theme_insights(session, scope) if s.item_count]
    sections = {
        s.theme_id: _section(s, _quotes(session, s.theme_id, members.get(s.theme_id, set())))
        for s in ranked[:top]
    }

    def section(stats: insights.ThemeStats) -> ThemeSection:
        return sections.get(stats.theme_id) or _section(stats, [])

    created = {t.id for t in themes.list_themes(session) if since <= t.created_at < until}
    return VocReport(
        start=start,
        end=end,
        generated_at=datetime.now(UTC),
        item_count=len(facts),
        customer_count=len({f.account_id for f in facts if f.account_id is not None}),
        themed_share=_share(facts),
        themes=[sections[s.theme_id] for s in ranked[:top]],
        spikes=[section(s) for s in ranked if s.spike is not None and s.spike.flagged],
        new_themes=[section(s) for s in ranked if s.theme_id in created],
        filters={k: str(v) for k, v in _filters(scope).items()},
    )


def _share(facts: list[insights.ItemFact]) -> float | None:
    return sum(1 for f in facts if f.theme_id is not None) / len(facts) if facts else None


def _filters(where: insights_queries.InsightFilter) -> dict[str, Any]:
    names = ("source", "source_kind", "segment", "plan", "product_area")
    return {n: getattr(where, n) for n in names if getattr(where, n)}


# --- rendering -----------------------------------------------------------------------------


def _mix(sentiment: dict[str, int]) -> str:
    total = sum(sentiment.values())
    if not total:
        return "not analysed"
    return ", ".join(f"{round(100 * n / total)}% {name}" for name, n in sentiment.items())


def _trend(section: ThemeSection) -> str:
    return f"{section.direction} (×{section.trend:.1f})"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_theme(index: int, section: ThemeSection) -> list[str]:
    lines = [
        f"### {index}. {_md_cell(section.label)}",
        "",
        f"{section.item_count} items from {section.customer_count} customers "
        f"({format_cents(section.arr_cents)} ARR) · trend {_trend(section)} · "
        f"sentiment {_mix(section.sentiment)}",
        "",
    ]
    for quote in section.quotes:
        who = f" — {quote.account}" if quote.account else ""
        lines += [f"> {quote.text}{who} (#{quote.item_id})", ""]
    return lines


def to_markdown(report: VocReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    share = report.themed_share
    lines = [
        f"# Voice of the customer: {report.start} to {report.end}",
        "",
        f"{report.item_count} feedback items from {report.customer_count} customers"
        + (f"; {round(100 * share)}% in themes." if share is not None else "."),
        "",
    ]
    if report.filters:
        lines += ["Filters: " + ", ".join(f"{k} = {v}" for k, v in report.filters.items()), ""]
    lines += [
        "## Top themes",
        "",
        "| # | Theme | Items | Customers | ARR | Trend | Sentiment |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for i, s in enumerate(report.themes, 1):
        lines.append(
            f"| {i} | {_md_cell(s.label)} | {s.item_count} | {s.customer_count} | "
            f"{format_cents(s.arr_cents)} | {_trend(s)} | {_mix(s.sentiment)} |"
        )
    if not report.themes:
        lines.append("| | No themed feedback in this range. | | | | | |")
    lines += ["", "## Spikes", ""]
    lines += [
        f"- **{_md_cell(s.label)}**: {s.spike.count} items in the last week, "
        f"baseline {s.spike.baseline_mean:.1f}/week (q = {s.spike.q_value:.3g})"
        for s in report.spikes
        if s.spike
    ] or ["No theme spiked in the last week of the range."]
    lines += ["", "## New themes", ""]
    lines += [f"- **{_md_cell(s.label)}**: {s.item_count} items" for s in report.new_themes] or [
        "No new themes in this range."
    ]
    lines += ["", "## Themes in detail", ""]
    for i, s in enumerate(report.themes, 1):
        lines += _md_theme(i, s)
    lines.append(f"_Generated by Pilothouse at {report.generated_at:%Y-%m-%d %H:%M} UTC._")
    return "\n".join(lines) + "\n"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    env.filters["cents"] = format_cents
    env.filters["mix"] = _mix
    env.filters["trend"] = _trend
    return env


def to_html(report: VocReport) -> str:
    """The report as one standalone HTML page (inline styles; no scripts, fonts or images)."""
    return _environment().get_template("voc_report.html").render(report=report)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def to_json(report: VocReport) -> dict[str, Any]:
    """The report as JSON-ready data (dates ISO 8601, money in integer cents)."""
    data: dict[str, Any] = _plain(report)
    return data
