"""The weekly review as Markdown and as e-mail HTML (charts as ``cid:`` images).

Both read one :class:`~pilothouse.reports.review.WeeklyReview`; links are made
absolute with the installation's public URL, since e-mail and pasted Markdown leave the
app. Numbers are shown the way the metric catalog says (percent, cents, seconds).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pilothouse.core.references import Reference
from pilothouse.reports.metric_moves import MetricMove
from pilothouse.reports.review import WeeklyReview

__all__ = [
    "change_text",
    "chart_cid",
    "decision_text",
    "experiment_text",
    "format_value",
    "section_rows",
    "to_email_html",
    "to_markdown",
]

TEMPLATES = Path(__file__).resolve().parent / "templates" / "reports"


def format_value(value: float | None, fmt: str) -> str:
    """``12.5%`` for a percent metric, ``$1,234`` for cents, ``1.2 min`` for seconds.

    Example:
        >>> format_value(0.125, "percent"), format_value(123456, "currency_cents")
        ('12.5%', '$1,235')
    """
    if value is None:
        return "—"
    if fmt == "percent":
        return f"{value * 100:.1f}%"
    if fmt == "currency_cents":
        return f"${value / 100:,.0f}"
    if fmt == "duration_seconds":
        return f"{value / 60:.1f} min" if abs(value) >= 60 else f"{value:.0f} s"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def change_text(move: MetricMove) -> str:
    """``+4.2%`` week over week, or ``—`` without a base week."""
    change = move.change
    return "—" if change is None else f"{change * 100:+.1f}%"


def chart_cid(move: MetricMove) -> str:
    """The Content-ID the e-mail's HTML references a metric's chart by."""
    return f"chart-{move.metric.replace('_', '-')}@pilothouse"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")


def _link(ref: Reference | None, base: str, fallback: str = "") -> str:
    if ref is None:
        return _md(fallback)
    return f"[{_md(ref.label)}]({base}{ref.url})" if ref.url else _md(ref.label)


def _metrics_md(review: WeeklyReview, base: str) -> list[str]:
    lines = ["## Metric movements", ""]
    if not review.metrics:
        return [*lines, "No certified metrics.", ""]
    lines += ["| Metric | This week | Last week | Change | Variation |", "|---|---|---|---|---|"]
    for m in review.metrics:
        lines.append(
            f"| {_link(m.reference, base, m.label)} | {format_value(m.this_week, m.format)} | "
            f"{format_value(m.last_week, m.format)} | {change_text(m)} | {_md(m.verdict_text)} |"
        )
    return [*lines, ""]


def _list_md(title: str, rows: list[tuple[Reference, str]], base: str, empty: str) -> list[str]:
    lines = [f"### {title}", ""]
    if not rows:
        return [*lines, empty, ""]
    return [*lines, *(f"- {_link(ref, base)} — {_md(text)}" for ref, text in rows), ""]


def experiment_text(entry: Any) -> str:
    text = f"{entry.primary_metric or 'primary metric'}: {entry.result}"
    return text + (f"; decision: {entry.decision}" if entry.decision else "; not decided yet")


def decision_text(entry: Any) -> str:
    who = f", {entry.decided_by}" if entry.decided_by else ""
    return f"{entry.chosen or 'decided'} ({entry.decided_on}{who})"


Rows = list[tuple[Reference, str]]


def section_rows(review: WeeklyReview) -> list[tuple[str, list[tuple[str, Rows, str]]]]:
    """The list sections as ``(heading, [(title, [(reference, text)], when empty)])``:
    one shape for Markdown and e-mail."""
    started = [(e.experiment, experiment_text(e)) for e in review.experiments_started]
    finished = [(e.experiment, experiment_text(e)) for e in review.experiments_finished]
    top = [(t.theme, f"{t.items} items from {t.customers} customers, {t.direction}")
           for t in review.themes_top]  # fmt: skip
    spikes = [(t.theme, f"{t.items} items, ×{t.spike:.1f} its usual week")
              for t in review.themes_spiking if t.spike]  # fmt: skip
    return [
        ("Experiments", [("Started", started, "None started."),
                         ("Finished", finished, "None finished.")]),
        ("Launches", [
            ("Shipped", [(x.launch, x.note) for x in review.launches_shipped], "None."),
            ("Upcoming (next 2 weeks)",
             [(x.launch, x.note) for x in review.launches_upcoming], "None."),
            ("Overdue", [(x.launch, x.note) for x in review.launches_overdue], "None."),
        ]),
        ("Feedback", [("Top themes", top, "No themed feedback."),
                      ("Spiking themes", spikes, "No theme is spiking.")]),
        ("Decisions", [("Made this week",
                        [(d.decision, decision_text(d)) for d in review.decisions],
                        "No decisions recorded.")]),
    ]  # fmt: skip


def _sections_md(review: WeeklyReview, base: str) -> list[str]:
    lines: list[str] = []
    for heading, parts in section_rows(review):
        lines += [f"## {heading}", ""]
        if heading == "Feedback":
            lines += [f"{review.feedback_items} feedback items this week.", ""]
        for title, rows, empty in parts:
            lines += _list_md(title, rows, base, empty)
    return lines


def to_markdown(review: WeeklyReview, base: str = "") -> str:
    """The whole review as CommonMark (GitHub tables), links absolute to ``base``."""
    head = [f"# {review.title}", "", f"[Open in Pilothouse]({base}{review.url})", ""]
    return "\n".join(head + _metrics_md(review, base) + _sections_md(review, base)).rstrip() + "\n"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["value"] = format_value
    env.globals.update(
        change_text=change_text,
        chart_cid=chart_cid,
        experiment=experiment_text,
        decision=decision_text,
    )
    return env


def to_email_html(review: WeeklyReview, base: str, unsubscribe_url: str | None = None) -> str:
    """The review for mail clients: inline styles, charts as ``<img src="cid:...">``."""
    template = _environment().get_template("email.html")
    return template.render(
        review=review, base=base, sections=section_rows(review), unsubscribe_url=unsubscribe_url
    )
