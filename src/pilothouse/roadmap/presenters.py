"""Turning roadmap objects into their API shapes; shared by the API and, later, the pages."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import object_session

from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap.board import effective_horizon
from pilothouse.roadmap.expressions import FormulaError
from pilothouse.roadmap.items import parent_of
from pilothouse.roadmap.models import NUMERIC_INPUTS, Objective, RoadmapItem
from pilothouse.roadmap.objectives import progress_of
from pilothouse.roadmap.schemas import (
    ExternalRefRead,
    FormulaProblem,
    FormulaRead,
    ItemRead,
    KeyResultRead,
    ObjectiveRead,
    RankedItem,
    StatusBrief,
)
from pilothouse.roadmap.scoring import ScoreDefinition, ScoredItem

__all__ = ["formula_problem", "formula_read", "item_read", "objective_read", "ranked_item"]


def item_read(item: RoadmapItem) -> ItemRead:
    session = object_session(item)
    parent = parent_of(session, item) if session is not None else item.parent
    return ItemRead(
        id=item.id,
        key=item.key,
        kind=item.kind,
        title=item.title,
        description=item.description,
        status=StatusBrief.model_validate(item.status),
        parent=parent.key if parent else None,
        owner_id=item.owner_id,
        product_area_id=item.product_area_id,
        tags=item.tags,
        objectives=sorted(row.objective.key for row in item.objective_rows),
        target_quarter=item.target_quarter,
        start_date=item.start_date,
        target_date=item.target_date,
        fields=custom_fields.values_of(item),
        external_refs=[ExternalRefRead.model_validate(r) for r in item.external_refs],
        horizon=effective_horizon(item),
        board_rank=item.board_rank,
        created_at=item.created_at,
        updated_at=item.updated_at,
        **{name: getattr(item, name) for name in NUMERIC_INPUTS},
    )


def objective_read(objective: Objective, values: Mapping[str, float | None]) -> ObjectiveRead:
    """``values`` are current metric values by slug (see ``objectives.metric_values``)."""
    results = []
    for kr in objective.key_results:
        progress = progress_of(kr, values)
        results.append(
            KeyResultRead(
                id=kr.id,
                title=kr.title,
                metric_slug=kr.metric_slug,
                baseline_value=kr.baseline_value,
                target_value=kr.target_value,
                current_value=progress.current_value,
                manual_value=kr.current_value,
                current_source=progress.source,
                progress=progress.progress,
                unit=kr.unit,
                position=kr.position,
            )
        )
    known = [r.progress for r in results if r.progress is not None]
    return ObjectiveRead(
        id=objective.id,
        key=objective.key,
        title=objective.title,
        description=objective.description,
        status=objective.status,
        period=objective.period,
        owner_id=objective.owner_id,
        product_area_id=objective.product_area_id,
        progress=round(sum(known) / len(known), 4) if known else None,
        key_results=results,
        created_at=objective.created_at,
        updated_at=objective.updated_at,
    )


def formula_read(definition: ScoreDefinition) -> FormulaRead:
    return FormulaRead(
        key=definition.key,
        name=definition.name,
        expression=definition.expression,
        description=definition.description,
        builtin=definition.builtin,
    )


def formula_problem(error: FormulaError | None) -> FormulaProblem | None:
    if error is None:
        return None
    return FormulaProblem(message=str(error), field=error.field, position=error.position)


def ranked_item(entry: ScoredItem) -> RankedItem:
    return RankedItem(
        rank=entry.rank,
        key=entry.item.key,
        title=entry.item.title,
        kind=entry.item.kind,
        status=entry.item.status.key,
        score=entry.score,
        inputs=entry.inputs,
        evidence=entry.evidence,
        error=formula_problem(entry.error),
    )
