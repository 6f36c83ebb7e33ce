"""Linking a catalog metric to a roadmap item or a launch (kind ``measures``).

The metric must be in the catalog (checked through the metrics domain's registry on the
runtime): a typo would otherwise leave an impact row that can never be measured. The
link is a core link, audited by ``core.links.add_link``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.links import ObjectRef, add_link
from pilothouse.core.models import Link
from pilothouse.roadmap.impact.chain import MEASURES_KIND

__all__ = ["link_metric", "metric_choices"]


def metric_choices(runtime: Any) -> list[tuple[str, str]]:
    """``(slug, label)`` of every catalog metric, by label, for a form's select."""
    catalog = runtime.metrics.catalog()
    found = [(m.name, m.label or m.name) for m in catalog]
    return sorted(found, key=lambda pair: pair[1].lower())


def link_metric(session: Session, actor: Actor, runtime: Any, source: ObjectRef, slug: str) -> Link:
    """Link ``source`` (an item or launch) to catalog metric ``slug`` as what measures it.

    Raises:
        ValidationFailed: ``metric`` is empty or names no metric in the catalog.
    """
    slug = (slug or "").strip()
    if not slug:
        raise ValidationFailed("choose a metric", errors=[FieldError("metric", "required")])
    if slug not in runtime.metrics.catalog():
        raise ValidationFailed(
            f"no metric {slug!r} in the catalog",
            errors=[FieldError("metric", "not in the metric catalog")],
        )
    return add_link(session, actor, source, ObjectRef("metric", slug), MEASURES_KIND)
