"""Read functions for process health (``ops``): when experiments started, stopped and
were decided, and how. ``ops`` reads experiments only through this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pilothouse.experiments.models import Experiment

__all__ = ["ExperimentFacts", "experiment_facts"]


@dataclass(frozen=True)
class ExperimentFacts:
    id: int
    key: str
    area_id: int | None
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    decided_at: datetime | None


def experiment_facts(session: Session) -> list[ExperimentFacts]:
    """Every experiment that still exists, oldest first."""
    query = select(Experiment).options(selectinload(Experiment.decision)).order_by(Experiment.id)
    out = []
    for experiment in session.scalars(query):
        decision = experiment.decision
        out.append(
            ExperimentFacts(
                id=experiment.id,
                key=experiment.key,
                area_id=experiment.product_area_id,
                status=experiment.status.value,
                started_at=experiment.started_at,
                ended_at=experiment.ended_at,
                outcome=decision.outcome.value if decision else None,
                decided_at=decision.decided_at if decision else None,
            )
        )
    return out
