"""How feedback objects are named and linked on every page (``core.references``).

A feedback item is named by the start of its text (there is no title); a theme by
its label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import func, select

from pilothouse.core.reference_types import numeric_ids
from pilothouse.core.references import Found, ResolveContext, register_type
from pilothouse.feedback.models import FeedbackItem, FeedbackTheme

__all__ = ["SNIPPET_CHARS", "resolve_feedback", "resolve_themes"]

#: How much of a feedback item's text names it.
SNIPPET_CHARS = 80


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def resolve_feedback(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Feedback items by id: “#12 The card never arrived…”, linked to the item."""
    query = select(FeedbackItem.id, func.substr(FeedbackItem.text, 1, 200)).where(
        FeedbackItem.id.in_(numeric_ids(ids))
    )
    return {
        str(i): Found(f"#{i} {_snippet(text or '')}", f"/feedback/items/{i}", "")
        for i, text in context.session.execute(query)
    }


def resolve_themes(context: ResolveContext, ids: Sequence[str]) -> Mapping[str, Found]:
    """Feedback themes by id: their label, linked to the theme page."""
    query = select(FeedbackTheme.id, FeedbackTheme.label).where(
        FeedbackTheme.id.in_(numeric_ids(ids))
    )
    return {
        str(i): Found(label, f"/feedback/themes/{i}") for i, label in context.session.execute(query)
    }


register_type("feedback_item", "Feedback", resolve_feedback)
register_type("feedback_theme", "Feedback theme", resolve_themes)
