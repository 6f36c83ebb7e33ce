"""Keep a theme's derived fields (centroid, quotes, summary, keywords) true to its members.

Called after every change of membership, by people (merge, split, move) or by
synthesis (assignment), so the centroid that new items are compared with and
the quotes people read always describe the current members. A person's label,
description and keywords are never touched here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.feedback.embeddings import embedder, from_bytes, item_text, load_vectors, to_bytes
from pilothouse.feedback.models import FeedbackItem, FeedbackTheme, FeedbackThemeMember
from pilothouse.feedback.synthesis import MINILM, LabelConfig, SteeredTheme
from pilothouse.feedback.synthesis.embedders import normalize_rows
from pilothouse.feedback.synthesis.labels import ctfidf_keywords, make_label, pick_quotes, summarize

__all__ = ["members_of", "prototype", "refresh_themes", "relabel"]

LABELS = LabelConfig()


def members_of(session: Session, theme_id: int) -> list[int]:
    """Item ids in a theme, oldest first."""
    return list(
        session.scalars(
            select(FeedbackThemeMember.item_id)
            .where(FeedbackThemeMember.theme_id == theme_id)
            .order_by(FeedbackThemeMember.item_id)
        )
    )


def prototype(session: Session, theme: FeedbackTheme) -> np.ndarray:
    """A steered theme's vector: its own text embedded plus the mean of its examples."""
    model = embedder()
    steered = SteeredTheme(theme.id, theme.label, theme.description, tuple(theme.keywords or ()))
    vector = model.embed([steered.text()])[0]
    examples = load_vectors(session, model.model_id, theme.example_item_ids or [])
    if examples:
        vector = vector + normalize_rows(np.vstack(list(examples.values()))).mean(axis=0)
    return normalize_rows(vector[None, :])[0]


def refresh_themes(session: Session, theme_ids: Iterable[int]) -> None:
    """Recompute centroid, quotes and summary of each theme from its members."""
    for theme_id in sorted(set(theme_ids)):
        theme = session.get(FeedbackTheme, theme_id)
        if theme is not None:
            _refresh(session, theme)


def _refresh(session: Session, theme: FeedbackTheme) -> None:
    model_id = theme.model_id or MINILM.model_id
    ids = members_of(session, theme.id)
    vectors = load_vectors(session, model_id, ids)
    kept = [i for i in ids if i in vectors]
    if not kept:
        theme.quote_item_ids, theme.summary = [], "0 items."
        if not theme.steered:
            theme.centroid = None
        return
    matrix = normalize_rows(np.vstack([vectors[i] for i in kept]))
    mean = matrix.mean(axis=0)
    centroid = mean / max(float(np.linalg.norm(mean)), 1e-12)
    quotes = pick_quotes(matrix, np.arange(len(kept)), centroid, LABELS.quotes)
    texts = _texts(session, [kept[q] for q in quotes])
    theme.quote_item_ids = [kept[q] for q in quotes]
    theme.summary = summarize(texts, list(range(len(texts))), len(ids), LABELS)
    if theme.steered and theme.centroid is not None:
        return  # the steering prototype stays the point of comparison
    theme.centroid, theme.model_id = to_bytes(centroid), model_id


def _texts(session: Session, item_ids: Sequence[int]) -> list[str]:
    items = {
        i.id: i for i in session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids)))
    }
    return [item_text(items[i]) for i in item_ids if i in items]


def relabel(session: Session, themes: Sequence[FeedbackTheme]) -> None:
    """Fresh c-TF-IDF keywords for these themes against each other; labels only where not custom."""
    groups = [members_of(session, t.id) for t in themes]
    texts: list[str] = []
    labels: list[int] = []
    for index, ids in enumerate(groups):
        found = _texts(session, ids)
        texts += found
        labels += [index] * len(found)
    if not texts:
        return
    keywords = ctfidf_keywords(texts, np.asarray(labels), len(themes), LABELS.keywords)
    for theme, words in zip(themes, keywords, strict=True):
        if theme.label_is_custom or theme.steered:
            continue
        theme.keywords = list(words)
        theme.label = make_label(words, LABELS.label_terms)


def centroid_of(theme: FeedbackTheme) -> np.ndarray | None:
    return from_bytes(theme.centroid) if theme.centroid else None
