"""Finding decisions: text search plus filters, the same on SQLite and PostgreSQL.

Search is deliberately portable rather than clever: every decision keeps a
``search_text`` column (title, context, options with pros and cons, the choice,
rationale and tags, case-folded and without accents; see
:func:`~pilothouse.decisions.common.normalise`). A query is split into words and a
decision matches when it contains every word (``LIKE '%word%'``, with ``%`` and
``_`` escaped). That is a full scan, which is fine for the thousands of decisions a
product organisation writes; ranking and stemming would need each database's own
full-text engine and are left out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, lazyload

from pilothouse.core.db import LIKE_ESCAPE, like_literal
from pilothouse.core.links import ObjectRef
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.decisions.common import invalid, normalise, resolve_area, resolve_user
from pilothouse.decisions.linking import decisions_about
from pilothouse.decisions.models import Decision, DecisionStatus, DecisionTag

__all__ = [
    "DecisionFilter",
    "decision_query",
    "list_decisions",
    "recent_decisions",
    "search_words",
]

MAX_WORDS = 10


@dataclass(frozen=True)
class DecisionFilter:
    """Each given field narrows the list; people and areas may be ids, e-mails, slugs."""

    q: str | None = None
    status: DecisionStatus | None = None
    product_area: str | None = None
    tag: str | None = None
    decided_by: str | None = None
    decided_from: date | None = None
    decided_to: date | None = None
    linked: ObjectRef | None = None


def search_words(q: str | None) -> list[str]:
    """The normalised words of a query; at most :data:`MAX_WORDS`."""
    words = normalise(q or "").split()
    if len(words) > MAX_WORDS:
        raise invalid("q", f"at most {MAX_WORDS} words")
    return words


def decision_query(session: Session, where: DecisionFilter) -> Select[Any]:  # noqa: C901
    """The SELECT of the decisions matching ``where``."""
    query = select(Decision)
    for word in search_words(where.q):
        query = query.where(
            Decision.search_text.like(f"%{like_literal(word)}%", escape=LIKE_ESCAPE)
        )
    if where.status is not None:
        query = query.where(Decision.status == where.status)
    if where.product_area:
        query = query.where(Decision.product_area_id == resolve_area(session, where.product_area))
    if where.tag:
        tagged = select(DecisionTag.decision_id).where(
            func.lower(DecisionTag.tag) == where.tag.strip().lower()
        )
        query = query.where(Decision.id.in_(tagged))
    if where.decided_by:
        user = resolve_user(session, where.decided_by, "decided_by")
        query = query.where(Decision.decided_by_id == (user.id if user else None))
    if where.decided_from is not None:
        query = query.where(Decision.decided_on >= where.decided_from)
    if where.decided_to is not None:
        query = query.where(Decision.decided_on <= where.decided_to)
    if where.decided_from and where.decided_to and where.decided_from > where.decided_to:
        raise invalid("decided_to", "must not be before decided_from")
    if where.linked is not None:
        ids = [d.id for d in decisions_about(session, where.linked, brief=True)]
        query = query.where(Decision.id.in_(ids))
    return query


def list_decisions(session: Session, where: DecisionFilter, page: PageRequest) -> Page[Decision]:
    """One page of matching decisions, newest first."""
    query = decision_query(session, where)
    return paginate(session, query, Decision.id, PageRequest(page.limit, page.cursor, True))


def recent_decisions(session: Session, limit: int) -> list[Decision]:
    """The ``limit`` decided decisions with the latest decision day (then the newest), for
    a list of titles and days: none of their people, areas, tags or consulted rows are
    loaded unless asked for.

    The home page used to load the 50 newest decided decisions with all of those and
    sort them by day in Python, which also missed a recent day on an older decision.
    """
    query = (
        select(Decision)
        .where(Decision.status == DecisionStatus.decided)
        .order_by(Decision.decided_on.desc().nulls_last(), Decision.id.desc())
        .limit(limit)
        .options(lazyload("*"))
    )
    return list(session.scalars(query))
