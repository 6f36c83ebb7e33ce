"""Process health as plain dicts (the API, the CLI's JSON) and display text."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pilothouse.core.links import ObjectRef
from pilothouse.core.references import Reference, resolve
from pilothouse.ops.health.figures import Kind, quarter_of
from pilothouse.ops.health.service import FigureReport, HealthFilter, HealthReport

__all__ = [
    "VALUE_COLUMN",
    "figure_dict",
    "figure_url",
    "filter_query",
    "format_value",
    "report_dict",
    "sample_rows",
]


#: The drill-down table's value column per kind of figure.
VALUE_COLUMN = {
    Kind.duration: "Days",
    Kind.rate: "Counts",
    Kind.count: "Age in days",
    Kind.per_month: "Started",
    Kind.mean: "Count",
    Kind.per_week: "Active weeks",
}


def filter_query(where: HealthFilter) -> str:
    """``?quarter=..&area=..`` for the filter, or ``""``."""
    params = {k: v for k, v in (("quarter", where.quarter), ("area", where.area_slug)) if v}
    return f"?{urlencode(params)}" if params else ""


def figure_url(key: str, where: HealthFilter) -> str:
    return f"/ops/health/{key}{filter_query(where)}"


def format_value(report: FigureReport, value: float | None = None) -> str:
    """The figure's number for people: ``12.5 days``, ``67%``, ``3``, ``1.3 per month``."""
    value = report.summary.value if value is None else value
    if value is None:
        return "–"
    kind = report.figure.kind
    if kind is Kind.duration:
        return f"{value:.1f} days"
    if kind is Kind.rate:
        return f"{value * 100:.0f}%"
    if kind is Kind.count:
        return f"{value:.0f}"
    return f"{value:.1f} {report.figure.unit}"


def figure_dict(report: FigureReport, where: HealthFilter) -> dict[str, Any]:
    return {
        "key": report.figure.key,
        "title": report.figure.title,
        "group": report.group,
        "kind": report.figure.kind.value,
        "unit": report.figure.unit,
        "value": report.summary.value,
        "p85": report.summary.p85,
        "n": report.summary.n,
        "trend": [{"period": t.period, "value": t.value, "n": t.n} for t in report.trend],
        "url": figure_url(report.figure.key, where),
    }


def report_dict(report: HealthReport) -> dict[str, Any]:
    return {
        "filter": {"quarter": report.filter.quarter, "area": report.filter.area_slug},
        "timezone": report.timezone,
        "quarters": report.quarters,
        "figures": [figure_dict(f, report.filter) for f in report.figures],
    }


def sample_rows(
    session: Session, report: FigureReport, timezone: str, runtime: Any = None
) -> list[tuple[Reference, dict[str, Any]]]:
    """Each sample with its object resolved to a name and page (deleted ones marked)."""
    refs = resolve(session, [ObjectRef(s.ref_type, s.ref_id) for s in report.samples], runtime)
    zone = ZoneInfo(timezone)
    rows = []
    for sample in report.samples:
        ref = refs[ObjectRef(sample.ref_type, sample.ref_id)]
        rows.append(
            (
                ref,
                {
                    "type": sample.ref_type,
                    "id": sample.ref_id,
                    "name": ref.label,
                    "url": ref.url,
                    "deleted": ref.deleted,
                    "value": sample.value,
                    "period": quarter_of(sample.at, zone),
                    "note": sample.note,
                },
            )
        )
    return rows
