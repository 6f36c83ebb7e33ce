"""Exporting feedback as CSV or JSON, one row per item.

The first columns are fixed (``EXPORT_COLUMNS``). ``theme_id`` and ``theme`` are
the item's theme (empty when it is in none, or before synthesis has run);
``sentiment`` and ``duplicate_of`` are filled by synthesis or by people.
Themes export separately (:func:`theme_rows`, ``THEME_COLUMNS``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.accounts.models import CustomerAccount
from pilothouse.core.models import ProductArea
from pilothouse.feedback.models import FeedbackItem, FeedbackTheme, FeedbackThemeMember
from pilothouse.feedback.service import FeedbackFilter, filtered_query

__all__ = [
    "EXPORT_COLUMNS",
    "THEME_COLUMNS",
    "export_rows",
    "theme_rows",
    "themes_to_csv",
    "to_csv",
    "to_json",
]

EXPORT_COLUMNS = (
    "id",
    "external_id",
    "source",
    "created_at",
    "text",
    "theme_id",
    "theme",
    "sentiment",
    "duplicate_of",
    "source_kind",
    "title",
    "status",
    "account",
    "account_name",
    "rating",
    "nps_score",
    "language",
    "product_area",
    "tags",
    "url",
)


def export_rows(session: Session, where: FeedbackFilter | None = None) -> Iterator[dict[str, Any]]:
    """Every matching item as a plain row, oldest first, read in batches."""
    query = filtered_query(session, where or FeedbackFilter()).order_by(FeedbackItem.id)
    accounts: dict[int, CustomerAccount] = {}
    areas = {a.id: a.name for a in session.scalars(select(ProductArea))}
    placed = {
        item_id: (theme_id, label)
        for item_id, theme_id, label in session.execute(
            select(FeedbackThemeMember.item_id, FeedbackTheme.id, FeedbackTheme.label).join(
                FeedbackTheme, FeedbackTheme.id == FeedbackThemeMember.theme_id
            )
        )
    }
    for item in session.scalars(query.execution_options(yield_per=1000)):
        account = None
        if item.account_id is not None:
            account = accounts.get(item.account_id) or session.get(CustomerAccount, item.account_id)
            if account is not None:
                accounts[item.account_id] = account
        yield {
            "id": item.id,
            "external_id": item.external_id,
            "source": item.source_name,
            "created_at": item.created_at.isoformat(),
            "text": item.text,
            "theme_id": placed[item.id][0] if item.id in placed else None,
            "theme": placed[item.id][1] if item.id in placed else None,
            "sentiment": item.sentiment.value if item.sentiment else None,
            "duplicate_of": item.duplicate_of_id,
            "source_kind": item.source_kind.value,
            "title": item.title,
            "status": item.status.value,
            "account": account.external_id if account else None,
            "account_name": account.name if account else None,
            "rating": item.rating,
            "nps_score": item.nps_score,
            "language": item.language,
            "product_area": areas.get(item.product_area_id) if item.product_area_id else None,
            "tags": list(item.tags or []),
            "url": item.url,
        }


def to_csv(rows: Iterator[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "tags": ",".join(row["tags"])})
    return out.getvalue()


def to_json(rows: Iterator[dict[str, Any]]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=2)


THEME_COLUMNS = (
    "id",
    "label",
    "description",
    "keywords",
    "summary",
    "item_count",
    "customer_count",
    "arr_cents",
    "negative_share",
    "hidden",
    "steered",
    "created_at",
    "updated_at",
)


def theme_rows(session: Session, *, include_hidden: bool = True) -> list[dict[str, Any]]:
    """Every theme as a plain row, most items first."""
    from pilothouse.feedback.themes import list_themes

    return [
        {
            "id": t.id,
            "label": t.label,
            "description": t.description,
            "keywords": list(t.keywords),
            "summary": t.summary,
            "item_count": t.item_count,
            "customer_count": t.customer_count,
            "arr_cents": t.arr_cents,
            "negative_share": t.negative_share,
            "hidden": t.hidden,
            "steered": t.steered,
            "created_at": t.created_at.isoformat(),
            "updated_at": t.updated_at.isoformat(),
        }
        for t in list_themes(session, include_hidden=include_hidden)
    ]


def themes_to_csv(rows: list[dict[str, Any]]) -> str:
    """Themes as CSV; keywords joined with ``"; "``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=THEME_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "keywords": "; ".join(row["keywords"])})
    return out.getvalue()
