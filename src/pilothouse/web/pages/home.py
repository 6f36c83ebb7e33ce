"""The home page: what needs the signed-in person's attention, each entry a named link.

Blocks, in the order a product manager acts on them: launch gates waiting for their
approval, experiments ready to decide, launches running late, feedback themes that
spike, their own open roadmap items, and the latest decisions. Every block reads its
domain through that domain's service functions, never its tables, and says in words
what to do when it is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.core.pagination import PageRequest
from pilothouse.decisions.search import recent_decisions
from pilothouse.experiments.models import Experiment, ExperimentStatus
from pilothouse.experiments.registry import list_experiments
from pilothouse.feedback.insights_queries import spike_alerts
from pilothouse.launches.attention import gates_waiting_for, late_launches
from pilothouse.launches.common import workspace_today
from pilothouse.roadmap import RoadmapItem, StatusCategory
from pilothouse.roadmap.listing import ItemFilter, filtered_items
from pilothouse.web.deps import RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import render

__all__ = ["ReadyExperiment", "attention", "router"]

router = APIRouter(include_in_schema=False)

#: How many entries a block shows before "see all".
BLOCK_LIMIT = 8
OPEN_CATEGORIES = (
    StatusCategory.backlog,
    StatusCategory.discovery,
    StatusCategory.planned,
    StatusCategory.in_progress,
)


@dataclass(frozen=True)
class ReadyExperiment:
    """A stopped experiment without a decision; ``mine`` when the viewer owns it."""

    experiment: Experiment
    mine: bool


def _ready_experiments(session: Session, user_id: int) -> list[ReadyExperiment]:
    """Stopped and undecided (deciding moves an experiment on to *decided*); the viewer's
    own first, then the longest-waiting."""
    stopped = list_experiments(session, PageRequest(limit=100), status=ExperimentStatus.stopped)
    ready = [ReadyExperiment(e, e.owner_id == user_id) for e in stopped.items if e.decision is None]
    ready.sort(key=lambda r: (not r.mine, r.experiment.ended_at or r.experiment.updated_at))
    return ready


def _my_items(session: Session, user_id: int) -> list[RoadmapItem]:
    """Open items the viewer owns: furthest along the workflow first, then by target date."""
    where = ItemFilter(owner=str(user_id), category=OPEN_CATEGORIES)
    items = filtered_items(session, where, brief=True)  # key, title, status and dates
    items.sort(key=lambda i: (-i.status.position, i.target_date or date.max, i.key))
    return items


def attention(
    session: Session, user_id: int, today: date, *, spikes_max_age: float = 0.0
) -> dict[str, Any]:
    """Every block of the home page for person ``user_id`` on ``today`` (workspace date).

    ``spikes_max_age``: seconds a kept spike-alert answer is shown without checking
    whether feedback changed (``PILOTHOUSE_SPIKE_ALERTS_MAX_AGE_SECONDS``)."""
    return {
        "gates": gates_waiting_for(session, user_id),
        "ready": _ready_experiments(session, user_id),
        "late": late_launches(session, today),
        "spikes": spike_alerts(session, max_age_seconds=spikes_max_age),
        "my_items": _my_items(session, user_id),
        "decisions": recent_decisions(session, 5),
        "today": today,
        "limit": BLOCK_LIMIT,
    }


@router.get("/")
def home(request: Request, principal: Viewer, session: SessionDep, runtime: RuntimeDep) -> Response:
    today = workspace_today(runtime.settings.timezone)
    blocks = attention(
        session,
        principal.user.id,
        today,
        spikes_max_age=runtime.settings.spike_alerts_max_age_seconds,
    )
    return render(request, "home.html", blocks)
