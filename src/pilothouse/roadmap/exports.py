"""Exporting items as CSV or JSON.

The CSV has the columns of a plain CSV import (people by e-mail, areas by slug,
parents and objectives by key, custom fields as ``field:<key>``), so an exported
file edited in a spreadsheet imports back as an update of the same items. The
JSON adds every external ticket and the score under each formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import ProductArea, User
from pilothouse.roadmap import fields as custom_fields
from pilothouse.roadmap import scoring
from pilothouse.roadmap.importers import CSV_FIELDS
from pilothouse.roadmap.models import NUMERIC_INPUTS, FieldType, RoadmapItem
from pilothouse.roadmap.statuses import list_statuses

__all__ = ["export_csv", "export_json", "export_rows"]


def _lookups(session: Session) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    emails = {row[0]: row[1] for row in session.execute(select(User.id, User.email))}
    area_slugs = {
        row[0]: row[1] for row in session.execute(select(ProductArea.id, ProductArea.slug))
    }
    keys = {row[0]: row[1] for row in session.execute(select(RoadmapItem.id, RoadmapItem.key))}
    return emails, area_slugs, keys


def export_rows(
    session: Session, items: Sequence[RoadmapItem]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The CSV columns and one flat row per item."""
    emails, areas, keys = _lookups(session)
    statuses = {s.id: s.key for s in list_statuses(session)}
    defined = custom_fields.list_fields(session)
    columns = [*CSV_FIELDS, *(f"field:{f.key}" for f in defined)]
    rows = []
    for item in items:
        row: dict[str, Any] = {
            "key": item.key,
            "kind": item.kind.value,
            "title": item.title,
            "description": item.description,
            "status": statuses.get(item.status_id, ""),
            "owner": emails.get(item.owner_id or 0, ""),
            "product_area": areas.get(item.product_area_id or 0, ""),
            "parent": keys.get(item.parent_id or 0, ""),
            "tags": "; ".join(item.tags),
            "objectives": "; ".join(sorted(r.objective.key for r in item.objective_rows)),
            "target_quarter": item.target_quarter or "",
            "start_date": item.start_date.isoformat() if item.start_date else "",
            "target_date": item.target_date.isoformat() if item.target_date else "",
        }
        for name in NUMERIC_INPUTS:
            value = getattr(item, name)
            row[name] = "" if value is None else f"{value:g}"
        if item.external_refs:
            first = item.external_refs[0]
            row.update(
                external_system=first.system,
                external_key=first.external_key,
                external_url=first.url,
            )
        values = custom_fields.values_of(item)
        for definition in defined:
            value = values.get(definition.key)
            if definition.type is FieldType.multi_select and value:
                value = ", ".join(value)
            elif definition.type is FieldType.user and value:
                value = emails.get(value, value)
            elif definition.type is FieldType.number and value is not None:
                value = f"{value:g}"
            row[f"field:{definition.key}"] = "" if value is None else value
        rows.append(row)
    return columns, rows


def export_csv(session: Session, items: Sequence[RoadmapItem]) -> str:
    columns, rows = export_rows(session, items)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def export_json(session: Session, items: Sequence[RoadmapItem]) -> list[dict[str, Any]]:
    """Items as JSON-ready dicts: the CSV values typed, plus tickets and scores."""
    _columns, rows = export_rows(session, items)
    scores: dict[int, dict[str, float | None]] = {item.id: {} for item in items}
    for definition in scoring.list_formulas(session):
        try:
            for entry in scoring.score_items(session, items, definition):
                scores[entry.item.id][definition.key] = entry.score
        except ValidationFailed:  # a broken custom formula leaves its column empty
            continue
    result = []
    for item, row in zip(items, rows, strict=True):
        plain = {k: v for k, v in row.items() if not k.startswith(("field:", "external_"))}
        plain["tags"] = item.tags
        plain["objectives"] = sorted(r.objective.key for r in item.objective_rows)
        for name in NUMERIC_INPUTS:
            plain[name] = getattr(item, name)
        plain["fields"] = custom_fields.values_of(item)
        plain["external_refs"] = [
            {"system": r.system, "key": r.external_key, "url": r.url} for r in item.external_refs
        ]
        plain["scores"] = scores[item.id]
        plain["created_at"] = item.created_at.isoformat()
        plain["updated_at"] = item.updated_at.isoformat()
        result.append(plain)
    return result
