"""Key results bound to catalog metrics: names checked when saved, read leniently, shown rounded.

A key result names a metric of the metrics catalog (``activation_rate``). The name is
checked against the catalog when the key result is saved (API and forms): an unknown
name is refused with a 422 on ``metric_slug`` and the closest catalog name as a
suggestion, and a name that differs only by ``-``/``_`` or case is stored as the
catalog spells it. Names saved before that check (``activation-rate``) still resolve
when read, by the same rule, so existing workspaces keep their values without a
migration.

The catalog and the values come through the metrics service
(``catalog_metric_formats``, ``current_metric_values``), imported when needed so the
roadmap works without the metrics layer. A percent metric's value (a share, 0.632) is
given in percent points (63.2), the scale key-result targets are written in (70 for
70 %).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pilothouse.core.errors import ValidationFailed
from pilothouse.roadmap.common import invalid

__all__ = [
    "METRICS_SERVICE",
    "MetricCatalog",
    "current_values",
    "format_value",
    "metric_catalog",
]

METRICS_SERVICE = "pilothouse.metrics.service"


def _service() -> ModuleType | None:
    try:
        return importlib.import_module(METRICS_SERVICE)
    except ModuleNotFoundError as exc:
        if exc.name == METRICS_SERVICE:
            return None
        raise


def _normal(name: str) -> str:
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class MetricCatalog:
    """The catalog's metric names with their display format (``percent``, ``number``...)."""

    formats: Mapping[str, str]
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, name: str) -> str:
        """The label of the metric ``name`` refers to, else the name as written."""
        found = self.resolve(name)
        return self.labels.get(found, found) if found else name

    def resolve(self, name: str) -> str | None:
        """The catalog name ``name`` refers to (exact, else ignoring ``-``/``_`` and case)."""
        if name in self.formats:
            return name
        wanted = _normal(name)
        return next((n for n in sorted(self.formats) if _normal(n) == wanted), None)

    def suggestion(self, name: str) -> str | None:
        """The catalog name closest to ``name``, if any is reasonably close."""
        by_normal = {_normal(n): n for n in self.formats}
        close = difflib.get_close_matches(_normal(name), list(by_normal), n=1, cutoff=0.6)
        return by_normal[close[0]] if close else None

    def check(self, name: str, field: str) -> str:
        """The catalog spelling of ``name``; unknown → 422 on ``field`` with a suggestion."""
        found = self.resolve(name)
        if found is not None:
            return found
        raise self.unknown(name, field)

    def unknown(self, name: str, field: str) -> ValidationFailed:
        if not self.formats:
            return invalid(field, f"no metric {name!r}: the metric catalog is empty")
        hint = self.suggestion(name)
        tail = f"; did you mean {hint!r}?" if hint else "; see /metrics for the catalog"
        return invalid(field, f"no metric {name!r} in the catalog{tail}")


def metric_catalog(runtime: Any) -> MetricCatalog | None:
    """The catalog's names and formats; None when the metrics layer is not installed."""
    service = _service()
    provider = getattr(service, "catalog_metric_formats", None) if service else None
    if provider is None:
        return None
    labels = getattr(service, "catalog_metric_labels", None)
    return MetricCatalog(provider(runtime), labels(runtime) if labels is not None else {})


def current_values(runtime: Any, names: Sequence[str]) -> dict[str, float | None]:
    """Current value per key-result metric name as stored (lenient: ``activation-rate`` works).

    Percent metrics come back in percent points; unknown names map to None.
    """
    service = _service()
    catalog = metric_catalog(runtime)
    provider = getattr(service, "current_metric_values", None) if service else None
    if not names or catalog is None or provider is None:
        return {}
    resolved = {name: catalog.resolve(name) for name in names}
    wanted = sorted({n for n in resolved.values() if n is not None})
    measured: Mapping[str, float | None] = provider(runtime, wanted) if wanted else {}
    values: dict[str, float | None] = {}
    for name, canonical in resolved.items():
        value = measured.get(canonical) if canonical else None
        if value is not None and catalog.formats.get(canonical or "") == "percent":
            value *= 100
        values[name] = value
    return values


def _plain(value: float) -> str:
    """Rounded for reading: 12,345 · 123.4 · 12.35 · 0.0123 (never 0.6320000001)."""
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    if size >= 1 or size == 0:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def format_value(value: float | None, unit: str = "", metric_format: str | None = None) -> str:
    """A key-result value as people read it: ``63.2%``, ``1,250 users``, ``—`` when unknown."""
    if value is None:
        return "—"
    if metric_format == "percent" or unit.strip() == "%":
        return f"{value:.1f}%"
    if metric_format == "currency_cents":
        return f"{value / 100:,.2f}" + (f" {unit}" if unit else "")
    return _plain(value) + (f" {unit}" if unit else "")
