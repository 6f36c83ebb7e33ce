"""Impact pages: the chain section of item and launch pages, “Shipped and measured”,
and the form that links a metric to an item."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.core.models import Role
from pilothouse.roadmap import items
from pilothouse.roadmap.impact.chain import ImpactChain
from pilothouse.roadmap.impact.linking import link_metric, metric_choices
from pilothouse.roadmap.impact.presenters import metric_row, money
from pilothouse.roadmap.impact.shipped import shipped_items
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = [
    "impact_context",
    "link_item_metric_form",
    "router",
    "shipped_page",
    "unlink_item_form",
]

router = APIRouter(prefix="/roadmap", include_in_schema=False)


def impact_context(runtime: Any, principal: Any, chain: ImpactChain, action: str) -> dict[str, Any]:
    """What ``roadmap/_impact.html`` needs, for an item's or a launch's page."""
    return {
        "impact": chain,
        "impact_rows": [metric_row(m) for m in chain.metrics],
        "money": money,
        "can_edit": principal.actor.role.allows(Role.editor),
        "metric_form_action": action,
        "metric_choices": metric_choices(runtime),
    }


@router.post("/items/{key}/metrics")
def link_item_metric_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    metric: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Link a catalog metric to the item (kind ``measures``): its impact is then estimated."""
    item = items.find_item(session, key)
    link_metric(session, principal.actor, runtime, items.item_ref(item), metric)
    return flash_redirect(
        f"/roadmap/items/{item.key}#impact", f"{item.key} is measured by {metric}."
    )


@router.post("/items/{key}/links/{link_id}/delete")
def unlink_item_form(
    key: str, link_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    """Remove one of the item's links (either direction), audited; back to the item."""
    item = items.find_item(session, key)
    items.unlink_item(session, principal.actor, item, link_id)
    return flash_redirect(f"/roadmap/items/{item.key}#links", "Link removed.")


def _rows(session: Session, runtime: Any) -> list[dict[str, Any]]:
    return [
        {"item": s, "metrics": [metric_row(m) for m in s.metrics]}
        for s in shipped_items(session, runtime)
    ]


@router.get("/shipped")
def shipped_page(
    request: Request, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Launched items with their GA day, evidence and measured impact per metric."""
    return render(
        request, "roadmap/shipped.html", {"rows": _rows(session, runtime), "money": money}
    )
