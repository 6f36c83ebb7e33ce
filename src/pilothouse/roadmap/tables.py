"""Rows of the ranked table (and of the share page): items ranked by a formula, with the
chosen columns turned into display text. Shared by the pages and the share link, so
what a stakeholder sees is computed exactly like what the team sees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.models import ProductArea, User
from pilothouse.roadmap import board, scoring
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap.evidence import EVIDENCE_NAMES, evidence_for
from pilothouse.roadmap.models import NUMERIC_INPUTS, RoadmapItem
from pilothouse.roadmap.scoring import ScoreDefinition

__all__ = ["Names", "TableRow", "cell", "number", "table_rows"]


def number(value: Any) -> str:
    """``1000`` → ``1000``, ``0.5`` → ``0.5``, ``400.0`` → ``400``; None → empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else f"{value:.3e}"
    return str(value)


class Names:
    """People's and product areas' names by id, each looked up once per page."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._people: dict[int, str] = {}
        self._areas: dict[int, str] = {}

    def person(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self._people:
            user = self.session.get(User, user_id)
            self._people[user_id] = user.name if user else f"#{user_id}"
        return self._people[user_id]

    def area(self, area_id: int | None) -> str:
        if area_id is None:
            return ""
        if area_id not in self._areas:
            area = self.session.get(ProductArea, area_id)
            self._areas[area_id] = area.name if area else f"#{area_id}"
        return self._areas[area_id]


@dataclass
class TableRow:
    item: RoadmapItem
    rank: int | None
    score: float | None
    error: str | None
    inputs: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)


def cell(item: RoadmapItem, key: str, names: Names) -> str:  # noqa: C901
    """The display text of item column ``key`` (not the score columns)."""
    if key == "kind":
        return item.kind.value
    if key == "status":
        return item.status.name
    if key == "horizon":
        horizon = board.effective_horizon(item)
        return horizon.value.capitalize() if horizon else "closed"
    if key == "owner":
        return names.person(item.owner_id)
    if key == "product_area":
        return names.area(item.product_area_id)
    if key == "objectives":
        return ", ".join(sorted(row.objective.key for row in item.objective_rows))
    if key == "tags":
        return ", ".join(item.tags)
    if key in ("start_date", "target_date"):
        value = getattr(item, key)
        return value.isoformat() if value else ""
    if key in NUMERIC_INPUTS:
        return number(getattr(item, key))
    if key.startswith("field:"):
        value = custom_fields.values_of(item).get(key.partition(":")[2])
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, float | int):
            return number(value)
        return "" if value is None else str(value)
    value = getattr(item, key, None)
    return "" if value is None else str(value)


def table_rows(
    session: Session,
    items: Sequence[RoadmapItem],
    definition: ScoreDefinition,
    columns: Sequence[str],
) -> list[TableRow]:
    """Items ranked by ``definition`` (unscored last), with a display text per column."""
    ranked = scoring.rank_items(session, items, definition)
    wants_evidence = any(c in EVIDENCE_NAMES for c in columns)
    evidence = evidence_for(session, items) if wants_evidence else {}
    names = Names(session)
    rows = []
    for entry in ranked:
        found = evidence[entry.item.id].as_dict() if wants_evidence else {}
        row = TableRow(
            item=entry.item,
            rank=entry.rank,
            score=entry.score,
            error=str(entry.error) if entry.error else None,
            inputs=entry.inputs,
            evidence=found,
        )
        for key in columns:
            if key == "rank":
                row.cells[key] = str(entry.rank) if entry.rank is not None else "—"
            elif key == "score":
                row.cells[key] = number(entry.score) if entry.score is not None else "—"
            elif key == "customer_arr_cents":
                row.cells[key] = f"{found.get(key, 0) / 100:,.2f}"
            elif key in EVIDENCE_NAMES:
                row.cells[key] = str(found.get(key, 0))
            else:
                row.cells[key] = cell(entry.item, key, names)
        rows.append(row)
    return rows
