"""“Shipped and measured”: every launched roadmap item with its evidence and measured impact.

An item counts as shipped when a launch that ships it has launched; its GA day is the
earliest such launch's. Launches are read through the launches service (imported when
used: that domain sits above the roadmap), evidence for all items in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.links import ObjectRef
from pilothouse.core.pagination import PageRequest
from pilothouse.core.references import Reference, resolve
from pilothouse.roadmap import items as roadmap_items
from pilothouse.roadmap.evidence import evidence_sources
from pilothouse.roadmap.impact import chain
from pilothouse.roadmap.impact.measure import MetricImpact, measure_metric

__all__ = ["MAX_LAUNCHES", "ShippedItem", "shipped_items"]

#: Launched launches read for the page (newest first); older ones are left out.
MAX_LAUNCHES = 200


@dataclass(frozen=True)
class ShippedItem:
    item: Reference
    ga_date: date
    launches: tuple[Reference, ...]
    evidence: chain.EvidenceView
    metrics: tuple[MetricImpact, ...]


def _first_ga(session: Session, timezone: str) -> dict[int, tuple[date, list[Any]]]:
    """``{item id: (earliest GA, launches)}`` of items shipped by a launched launch."""
    from pilothouse.launches.launching import features_of, list_launches
    from pilothouse.launches.models import LaunchStatus

    page = PageRequest(limit=MAX_LAUNCHES, newest_first=True)
    launched = list_launches(session, page, status=[LaunchStatus.launched]).items
    found: dict[int, tuple[date, list[Any]]] = {}
    for launch in launched:
        ga = chain.launch_ga(launch, timezone)
        for item in features_of(session, launch):
            first, launches = found.get(item.id, (ga, []))
            found[item.id] = (min(first, ga), [*launches, launch])
    return found


def _row(
    session: Session, runtime: Any, item: Any, shipped: tuple[date, list[Any]], found: Any
) -> ShippedItem:
    ga, launches = shipped
    refs = [ObjectRef("roadmap_item", str(item.id))]
    refs += [ObjectRef("launch", str(launch.id)) for launch in launches]
    slugs = chain.measured_metrics(session, refs)
    named = resolve(session, refs + [ObjectRef("metric", s) for s in slugs], runtime)
    today = chain.today_in(runtime)
    return ShippedItem(
        item=named[refs[0]],
        ga_date=ga,
        launches=tuple(named[r] for r in refs[1:]),
        evidence=chain.evidence_view(session, found),
        metrics=tuple(
            measure_metric(runtime, named[ObjectRef("metric", s)], ga, today) for s in slugs
        ),
    )


def shipped_items(session: Session, runtime: Any) -> list[ShippedItem]:
    """Launched items, most recent GA first, each with evidence and measured metrics."""
    shipped = _first_ga(session, runtime.settings.timezone)
    found = [roadmap_items.find_item(session, item_id) for item_id in shipped]
    sources = evidence_sources(session, found) if found else {}
    rows = [_row(session, runtime, i, shipped[i.id], sources[i.id]) for i in found]
    return sorted(rows, key=lambda r: (r.ga_date, r.item.label), reverse=True)
