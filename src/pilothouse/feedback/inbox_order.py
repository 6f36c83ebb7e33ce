"""The inbox order: newest feedback first by the date the customer gave it.

Imports bring old tickets in after new ones, so the insert order (``id``) is not the
order a person reads an inbox in. This lists by ``created_at`` descending with ``id``
as the tie-break, so items given in the same second keep one stable order, and pages
with a keyset cursor over that pair (no OFFSET: a page deep in a large inbox costs
the same as the first).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from pilothouse.core.errors import BadRequest, FieldError
from pilothouse.core.pagination import Page
from pilothouse.feedback.models import FeedbackItem
from pilothouse.feedback.service import FeedbackFilter, filtered_query

__all__ = ["decode_cursor", "encode_cursor", "list_inbox"]


def encode_cursor(item: FeedbackItem) -> str:
    raw = json.dumps({"at": item.created_at.isoformat(), "id": item.id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (received, id) of the last item of the previous page; a clear 400 otherwise."""
    try:
        data: Any = json.loads(
            base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode())
        )
        at, last_id = datetime.fromisoformat(data["at"]), data["id"]
        if not isinstance(last_id, int) or at.tzinfo is None:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise BadRequest(
            "the cursor is not one this list returned",
            errors=[FieldError("cursor", "invalid or from another list")],
        ) from None
    return at, last_id


def list_inbox(
    session: Session,
    where: FeedbackFilter | None = None,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[FeedbackItem]:
    """One page of feedback matching ``where``, newest received first, ties by id."""
    query = filtered_query(session, where or FeedbackFilter())
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                FeedbackItem.created_at < at,
                and_(FeedbackItem.created_at == at, FeedbackItem.id < last_id),
            )
        )
    query = query.order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc())
    rows = list(session.scalars(query.limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1]) if more else None)
