"""How catalog metrics are named and linked on every page (``core.references``).

Metrics live in the catalog on disk (slugs such as ``card_delivery_contacts``), not in
the database, so the resolver reads the runtime's catalog. Without a runtime (a CLI
helper with only a session) the slug names itself and links to its page unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pilothouse.core.references import Found, ResolveContext, register_type

__all__ = ["METRIC_OBJECT_TYPE", "resolve_metrics"]

#: Links to a metric are ``ObjectRef("metric", "<slug>")``.
METRIC_OBJECT_TYPE = "metric"


def resolve_metrics(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Metrics by slug: their label and catalog page; slugs gone from the catalog are
    left out (shown as deleted)."""
    if context.runtime is None:
        return {slug: Found(slug, f"/metrics/{slug}") for slug in ids}
    catalog = context.runtime.metrics.catalog()
    out: dict[str, Found] = {}
    for slug in ids:
        if slug in catalog:
            metric = catalog.get(slug)
            detail = "certified" if metric.certified else ""
            out[slug] = Found(metric.label or metric.name, f"/metrics/{slug}", detail)
    return out


register_type(METRIC_OBJECT_TYPE, "Metric", resolve_metrics)
