"""Turning catalog metrics and query results into what the API, CLI and pages show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.metrics.definitions.model import Grain, Metric, MetricType, RollingSpec
from pilothouse.metrics.service import MetricsRegistry

__all__ = [
    "GRAINS",
    "date_range",
    "default_grain",
    "definition_source",
    "metric_summary",
    "parse_grain",
    "previous_range",
]

GRAINS = ("day", "week", "month", "total")
DEFAULT_DAYS = 30


def metric_summary(metric: Metric) -> dict[str, Any]:
    return {
        "name": metric.name,
        "label": metric.label or metric.name,
        "description": metric.description,
        "type": metric.type.value,
        "owner": metric.owner,
        "product_area": metric.product_area,
        "tags": list(metric.tags),
        "certified": metric.certified,
        "unit": metric.unit.value,
        "format": metric.format.value,
        "defined_at": str(metric.location) if metric.location else None,
    }


def definition_source(registry: MetricsRegistry, metric: Metric) -> str:
    """The YAML block that defines ``metric``, as written in its file (metrics as code)."""
    if metric.location is None or metric.location.line is None:
        return ""
    path = registry.folder / metric.location.file
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    start = metric.location.line - 1
    if start >= len(lines):
        return ""
    indent = len(lines[start]) - len(lines[start].lstrip(" -"))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        stripped = line.lstrip()
        current = len(line) - len(stripped)
        if stripped and (current < indent or (current <= indent and stripped.startswith("-"))):
            break
        if stripped.startswith("- name:") and current < indent:
            break
        block.append(line)
    while block and not block[-1].strip():
        block.pop()
    return "\n".join(block)


def default_grain(metric: Metric) -> str:
    """Rolling windows only make sense per day; everything else reads well by week."""
    return (
        "day"
        if isinstance(metric.spec, RollingSpec) or metric.type is MetricType.ROLLING
        else "week"
    )


def parse_grain(text: str | None, metric: Metric) -> Grain | None:
    value = text or default_grain(metric)
    if value not in GRAINS:
        raise ValidationFailed(
            f"grain must be one of {', '.join(GRAINS)}",
            errors=[FieldError("grain", f"unknown grain {value!r}")],
        )
    return None if value == "total" else Grain(value)


def date_range(
    start: dt.date | None, end: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """``[from, to]`` inclusive as people give it → ``[start, end)`` as queries take it."""
    last = end or today
    first = start or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed("'from' is after 'to'", errors=[FieldError("from", "after 'to'")])
    return first, last + dt.timedelta(days=1)


def previous_range(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before ``[start, end)``, for comparison."""
    length = end - start
    return start - length, start
