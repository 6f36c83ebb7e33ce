"""Cursor pagination for every list: stable under inserts, no offsets.

A cursor is an opaque, URL-safe encoding of the last row's id and the sort
direction. Lists are ordered by id, so a page never repeats or skips a row
when rows are added meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pilothouse.core.errors import BadRequest, FieldError

__all__ = ["Page", "PageRequest", "paginate"]

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None = None
    newest_first: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode(last_id: int, newest_first: bool) -> str:
    raw = json.dumps({"after": last_id, "desc": newest_first}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, newest_first: bool) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
        last_id = data["after"]
        if not isinstance(last_id, int) or data.get("desc") != newest_first:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise BadRequest(
            "the cursor is not one this list returned",
            errors=[FieldError("cursor", "invalid or from another list")],
        ) from None
    return last_id


def paginate(
    session: Session, query: Select[Any], id_column: InstrumentedAttribute[int], page: PageRequest
) -> Page[Any]:
    """Run ``query`` for one page ordered by ``id_column``; scalar rows come back."""
    if page.cursor:
        last_id = _decode(page.cursor, page.newest_first)
        query = query.where(id_column < last_id if page.newest_first else id_column > last_id)
    query = query.order_by(id_column.desc() if page.newest_first else id_column.asc())
    rows = list(session.scalars(query.limit(page.limit + 1)).unique())
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = _encode(getattr(rows[-1], "id"), page.newest_first) if has_more else None  # noqa: B009
    return Page(items=rows, next_cursor=cursor)
