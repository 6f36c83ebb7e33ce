"""The home page: what is in the workspace and what changed lately."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from pilothouse.core.models import Event, ProductArea, User
from pilothouse.feedback.insights_queries import spike_alerts
from pilothouse.web.deps import SessionDep, Viewer
from pilothouse.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, principal: Viewer, session: SessionDep) -> Response:
    counts = {
        "people": session.scalar(select(func.count()).select_from(User).where(User.is_active)),
        "areas": session.scalar(select(func.count()).select_from(ProductArea)),
    }
    my_areas = list(
        session.scalars(
            select(ProductArea)
            .where(ProductArea.owner_id == principal.user.id)
            .order_by(ProductArea.name)
        )
    )
    recent = list(
        session.scalars(
            select(Event)
            .where(Event.object_type == "product_area")
            .order_by(Event.id.desc())
            .limit(8)
        )
    )
    context = {"counts": counts, "my_areas": my_areas, "recent": recent}
    context["feedback_spikes"] = spike_alerts(session)  # themes rising above their baseline
    return render(request, "home.html", context)
