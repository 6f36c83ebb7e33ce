"""Keep a theme's derived fields (centroid, quotes, summary, keywords) true to its members.

Called after every change of membership, by people (merge, split, move) or by
synthesis (assignment), so the centroid that new items are compared with and
the quotes people read always describe the current members. A person's label,
description and keywords are never touched here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pilothouse.feedback.embeddings import embedder, from_bytes, item_text, load_vectors, to_bytes
from pilothouse.feedback.models import FeedbackItem, FeedbackTheme, FeedbackThemeMember
from pilothouse.feedback.synthesis import MINILM, LabelConfig, SteeredTheme
from pilothouse.feedback.synthesis.embedders import normalize_rows
from pilothouse.feedback.synthesis.labels import ctfidf_keywords, make_label, pick_quotes, summarize
from pilothouse.feedback.synthesis.models import ModelUnavailableError
from pilothouse.feedback.synthesis.phrases import PhraseLabel, phrase_labels

__all__ = ["members_of", "prototype", "recentre_for_model", "refresh_themes", "relabel"]

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


def recentre_for_model(session: Session, model_id: str) -> int:
    """Move themes made with another embedding model onto ``model_id``; returns how many.

    Centroids are only comparable with vectors of their own model, so after a change
    of model (issue 14.7: fp32 to int8, or back with ``PILOTHOUSE_FEEDBACK_EMBEDDING``)
    no new item fits any theme until this runs. Synthesis calls it once the members
    carry vectors of the new model: auto themes take their members' new mean,
    steered themes their prototype embedded again.
    """
    stale = session.scalars(
        select(FeedbackTheme).where(
            FeedbackTheme.centroid.is_not(None),
            or_(FeedbackTheme.model_id.is_(None), FeedbackTheme.model_id != model_id),
        )
    ).all()
    for theme in stale:
        theme.model_id = model_id
        if theme.steered:
            theme.centroid = to_bytes(prototype(session, theme))
        _refresh(session, theme)
    return len(stale)


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
    """Fresh keywords and key-phrase labels for these themes against each other.

    A person's label (``label_is_custom``) and a steered theme's words are never
    touched. Labels are key phrases (:mod:`..synthesis.phrases`) when the model
    that made the theme's centroid is at hand, else c-TF-IDF keywords.
    """
    groups = [_texts(session, members_of(session, t.id)) for t in themes]
    texts = [text for group in groups for text in group]
    if not texts:
        return
    labels = np.repeat(np.arange(len(groups)), [len(group) for group in groups])
    keywords = ctfidf_keywords(texts, labels, len(themes), LABELS.keywords)
    titles = _titles(themes, groups)
    for theme, words, title in zip(themes, keywords, titles, strict=True):
        if theme.label_is_custom or theme.steered:
            continue
        theme.keywords = list(words)
        theme.label = title.label if title else make_label(words, LABELS.label_terms)


def _titles(themes: Sequence[FeedbackTheme], groups: list[list[str]]) -> list[PhraseLabel | None]:
    """Key-phrase labels for themes whose centroid the loaded model made (else ``None``)."""
    try:
        model = embedder()
    except ModelUnavailableError:
        return [None] * len(themes)
    usable = [t.centroid is not None and t.model_id == model.model_id for t in themes]
    if not any(usable):
        return [None] * len(themes)
    centroids = np.zeros((len(themes), model.dimension), dtype=np.float32)
    for row, (theme, ok) in enumerate(zip(themes, usable, strict=True)):
        if ok and theme.centroid is not None:
            centroids[row] = from_bytes(theme.centroid)
    found = phrase_labels(groups, centroids, model, LABELS)
    return [title if ok else None for title, ok in zip(found, usable, strict=True)]


def centroid_of(theme: FeedbackTheme) -> np.ndarray | None:
    return from_bytes(theme.centroid) if theme.centroid else None
