"""The impact chain as JSON: ``GET /api/v1/roadmap/items/{key}/impact`` and ``…/shipped``."""

from __future__ import annotations

from fastapi import APIRouter

from pilothouse.roadmap import items
from pilothouse.roadmap.impact.chain import item_chain
from pilothouse.roadmap.impact.presenters import (
    evidence_read,
    impact_read,
    metric_impact_read,
    reference_read,
)
from pilothouse.roadmap.impact.schemas import ImpactRead, ShippedItemRead, ShippedList
from pilothouse.roadmap.impact.shipped import shipped_items
from pilothouse.web.deps import RuntimeDep, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(tags=["roadmap"])


@router.get(
    "/items/{key}/impact",
    response_model=ImpactRead,
    summary="An item's chain: evidence, launches, experiments and measured impact",
)
def get_item_impact(
    key: str, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> ImpactRead:
    return impact_read(item_chain(session, runtime, items.find_item(session, key)))


@router.get(
    "/shipped",
    response_model=ShippedList,
    summary="Launched items with their evidence and measured impact",
)
def list_shipped(_principal: Viewer, session: SessionDep, runtime: RuntimeDep) -> ShippedList:
    found = [
        ShippedItemRead(
            item=reference_read(s.item),
            ga_date=s.ga_date,
            evidence=evidence_read(s.evidence),
            metrics=[metric_impact_read(m) for m in s.metrics],
        )
        for s in shipped_items(session, runtime)
    ]
    return ShippedList(items=found, count=len(found))
