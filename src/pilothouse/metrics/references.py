"""How catalog metrics are named and linked on every page (``core.references``).

Metrics live in the catalog on disk (slugs such as ``card_delivery_contacts``), not in
the database, so the resolver reads the runtime's catalog. Without a runtime (a CLI
helper with only a session) the slug names itself and links to its page unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.links import ObjectRef, links_of
from pilothouse.core.references import (
    Found,
    Reference,
    ResolveContext,
    group_links,
    register_type,
    usages_of,
)

__all__ = ["METRIC_OBJECT_TYPE", "metric_backlinks", "resolve_metrics"]

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


register_type(METRIC_OBJECT_TYPE, "Metric", resolve_metrics, reads_runtime=True)


def metric_backlinks(
    session: Session, runtime: Any, slug: str
) -> list[tuple[str, list[Reference]]]:
    """What points at the metric, for its page: the roadmap items and launches it measures
    (``measures`` links), decisions about it, and the experiments that use it."""
    ref = ObjectRef(METRIC_OBJECT_TYPE, slug)
    linked = group_links(session, links_of(session, ref), {(ref.type, ref.id)}, runtime)
    groups = [(heading, [entry.reference for entry in entries]) for heading, entries in linked]
    return groups + usages_of(session, ref, runtime)
