"""One synthesis run: vectors and texts in, themes with labels and quotes out.

This is the function the ``synthesize`` job and CLI call. It takes the stored
embeddings (computed once per item and model, never here) and the texts, and
returns plain results: nothing is written anywhere. Empty and tiny corpora are
results with an ``error_code``, not exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pilothouse.feedback.synthesis import codes
from pilothouse.feedback.synthesis.clustering import cluster
from pilothouse.feedback.synthesis.config import SynthesisConfig
from pilothouse.feedback.synthesis.embedders import Embedder, normalize_rows
from pilothouse.feedback.synthesis.graph import Neighbours
from pilothouse.feedback.synthesis.labels import (
    ctfidf_keywords,
    make_label,
    pick_quotes,
    summarize,
)
from pilothouse.feedback.synthesis.phrases import PhraseLabel, phrase_labels
from pilothouse.feedback.synthesis.results import SynthesisResult, Theme

__all__ = ["build_themes", "synthesize"]


def _check(texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise ValueError(
            f"vectors must be (len(texts), d); got {vectors.shape} for {len(texts)} texts"
        )
    return normalize_rows(vectors)


def build_themes(
    texts: Sequence[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    config: SynthesisConfig,
    phrases: Embedder | None = None,
) -> tuple[Theme, ...]:
    """Describe each group of a partition: label, keywords, quotes, summary, centroid.

    Args:
        texts: Texts of the items in ``labels``.
        vectors: Their unit vectors.
        labels: Group ``0..k-1`` per item.
        config: Label settings.
        phrases: The model that made ``vectors``; with it, labels are key
            phrases (:mod:`.phrases`), without it the c-TF-IDF keywords.
    """
    n_themes = int(labels.max()) + 1 if labels.size else 0
    keywords = ctfidf_keywords(texts, labels, n_themes, config.labels.keywords)
    groups = [np.flatnonzero(labels == t) for t in range(n_themes)]
    centroids = [_centroid(vectors[members]) for members in groups]
    titles = _titles(texts, groups, centroids, phrases, config)
    themes = []
    for t, (members, centroid) in enumerate(zip(groups, centroids, strict=True)):
        quotes = pick_quotes(vectors, members, centroid, config.labels.quotes)
        title = titles[t]
        themes.append(
            Theme(
                index=t,
                label=title.label if title else make_label(keywords[t], config.labels.label_terms),
                keywords=keywords[t],
                items=tuple(int(i) for i in members),
                quotes=quotes,
                summary=summarize(texts, quotes, members.size, config.labels),
                cohesion=float((vectors[members] @ centroid).mean()),
                centroid=centroid.astype(np.float32),
            )
        )
    return tuple(themes)


def _titles(
    texts: Sequence[str],
    groups: list[np.ndarray],
    centroids: list[np.ndarray],
    phrases: Embedder | None,
    config: SynthesisConfig,
) -> list[PhraseLabel | None]:
    """Key-phrase labels when the model is at hand (``None`` each: use the keywords)."""
    if phrases is None or not groups:
        return [None] * len(groups)
    members = [[texts[int(i)] for i in group] for group in groups]
    return phrase_labels(members, np.vstack(centroids), phrases, config.labels)


def _centroid(rows: np.ndarray) -> np.ndarray:
    mean = rows.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


def synthesize(
    texts: Sequence[str],
    vectors: np.ndarray,
    config: SynthesisConfig | None = None,
    known: Neighbours | None = None,
    phrases: Embedder | None = None,
) -> SynthesisResult:
    """Find themes in a corpus with an automatically chosen number of themes.

    Args:
        texts: Item texts (title and body joined by the caller).
        vectors: ``(len(texts), d)`` embeddings of those texts.
        config: Clustering and label settings, and the minimum corpus size.
        known: Nearest neighbours of ``vectors`` found before (used when every
            text is usable, so the rows are the same).
        phrases: The embedder that made ``vectors``, to label themes with key
            phrases; ``None`` labels them with c-TF-IDF keywords.

    Returns:
        Themes (largest first) and each item's theme index (-1: none), with
        ``error_code`` ``EMPTY_CORPUS``/``TOO_FEW_ITEMS`` (no themes),
        ``NO_STRUCTURE`` (one theme) or ``None``.

    Raises:
        ValueError: ``vectors`` does not have one row per text.
    """
    config = config or SynthesisConfig()
    vectors = _check(texts, vectors)
    usable = np.array([bool(t and t.strip()) for t in texts], dtype=bool)
    unassigned = tuple(-1 for _ in texts)
    if not usable.any():
        return SynthesisResult((), unassigned, codes.EMPTY_CORPUS)
    if usable.sum() < max(2, config.min_items):
        return SynthesisResult((), unassigned, codes.TOO_FEW_ITEMS)
    index = np.flatnonzero(usable)
    same_rows = index.size == len(texts)
    partition = cluster(vectors[index], config.clustering, known if same_rows else None)
    kept = [texts[int(i)] for i in index]
    local = build_themes(kept, vectors[index], partition.labels, config, phrases)
    themes = tuple(_reindex(theme, index) for theme in local)
    assignments = np.full(len(texts), -1, dtype=np.int64)
    assignments[index] = partition.labels
    code = codes.NO_STRUCTURE if len(themes) == 1 else None
    return SynthesisResult(
        themes,
        tuple(int(a) for a in assignments),
        code,
        partition.resolution,
        partition.silhouette,
    )


def _reindex(theme: Theme, index: np.ndarray) -> Theme:
    """Map a theme's item positions from the usable subset back to the input."""
    return Theme(
        index=theme.index,
        label=theme.label,
        keywords=theme.keywords,
        items=tuple(int(index[i]) for i in theme.items),
        quotes=tuple(int(index[i]) for i in theme.quotes),
        summary=theme.summary,
        cohesion=theme.cohesion,
        centroid=theme.centroid,
    )
