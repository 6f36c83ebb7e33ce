"""Incremental assignment of new items, and steered themes.

A new item is placed by cosine to each theme's centroid, a matrix product
over a few hundred rows that takes microseconds; embedding the item (a few
milliseconds on MiniLM) dominates, so one item is assigned well inside the
100 ms budget and no re-run of the clustering is needed.

Steered themes are how a team maps feedback onto its own taxonomy: each theme
is given a name, optionally a description, keywords and a few example items.
Its prototype is the normalised sum of the embedded name text (weighted by
``name_weight``) and the mean of its examples; items go to the nearest
prototype. Curated themes (after renames, merges and moves) are indexed the
same way from their members' vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pilothouse.feedback.synthesis import codes
from pilothouse.feedback.synthesis.config import AssignConfig, SteeringConfig
from pilothouse.feedback.synthesis.embedders import normalize_rows
from pilothouse.feedback.synthesis.results import Assignment, SynthesisResult

__all__ = ["SteeredTheme", "ThemeIndex", "steered_index"]

Key = str | int


@dataclass(frozen=True)
class SteeredTheme:
    """A theme defined by people.

    Attributes:
        key: The theme's id or slug, returned in assignments.
        name: Its name, e.g. ``"Late flight"``.
        description: Optional sentence describing what belongs in it.
        keywords: Optional terms that signal it.
        examples: Example item texts (a handful is enough).
    """

    key: Key
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        """The theme's own text: name, description and keywords."""
        parts = [self.name, self.description, ", ".join(self.keywords)]
        return ". ".join(p for p in parts if p)


class ThemeIndex:
    """Theme centroids to assign items to.

    Args:
        keys: Theme keys, one per row of ``centroids``.
        centroids: ``(len(keys), d)`` vectors (normalised here).
        config: The similarity floor.
    """

    def __init__(
        self, keys: Sequence[Key], centroids: np.ndarray, config: AssignConfig | None = None
    ) -> None:
        self.keys = tuple(keys)
        matrix = np.asarray(centroids, dtype=np.float32)
        self.centroids = normalize_rows(matrix.reshape(len(self.keys), matrix.shape[-1]))
        self.config = config or AssignConfig()

    @classmethod
    def from_members(
        cls,
        vectors: np.ndarray,
        members: Mapping[Key, Sequence[int]],
        config: AssignConfig | None = None,
    ) -> ThemeIndex:
        """Index curated themes from their member items' vectors (empty themes skipped)."""
        keys = [k for k, rows in members.items() if len(rows)]
        rows = [normalize_rows(vectors[list(members[k])]).mean(axis=0) for k in keys]
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        return cls(keys, np.vstack(rows) if rows else np.zeros((0, dim)), config)

    @classmethod
    def from_result(cls, result: SynthesisResult, config: AssignConfig | None = None) -> ThemeIndex:
        """Index the themes of a synthesis run, keyed by theme index."""
        keys = [t.index for t in result.themes]
        centroids = [t.centroid for t in result.themes]
        return cls(keys, np.vstack(centroids) if centroids else np.zeros((0, 1)), config)

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine of each vector to each theme, ``(n, themes)``."""
        return np.asarray(normalize_rows(np.atleast_2d(vectors)) @ self.centroids.T)

    def assign(self, vector: np.ndarray) -> Assignment:
        """Assign one item; ``theme`` is ``None`` below the similarity floor."""
        return self.assign_many(np.atleast_2d(vector))[0]

    def assign_many(self, vectors: np.ndarray) -> list[Assignment]:
        """Assign several items at once."""
        if not self.keys:
            return [Assignment(None, 0.0, None, codes.NO_THEMES) for _ in range(len(vectors))]
        sims = self.scores(vectors)
        order = np.argsort(-sims, axis=1)[:, :2]
        out = []
        for row, (first, *rest) in zip(sims, order, strict=True):
            best = float(row[first])
            theme = self.keys[first] if best >= self.config.min_similarity else None
            runner = self.keys[rest[0]] if rest else None
            out.append(Assignment(theme, best, runner))
        return out


def steered_index(
    themes: Sequence[SteeredTheme],
    embed: Callable[[Sequence[str]], np.ndarray],
    config: SteeringConfig | None = None,
) -> ThemeIndex:
    """Build prototypes for steered themes.

    Args:
        themes: The themes people defined.
        embed: The embedder's ``embed`` (texts to unit vectors).
        config: Weight of the theme's own text and the similarity floor.
    """
    config = config or SteeringConfig()
    own = embed([t.text() for t in themes])
    rows = []
    for theme, text_vector in zip(themes, own, strict=True):
        proto = config.name_weight * text_vector
        if theme.examples:
            proto = proto + normalize_rows(embed(list(theme.examples))).mean(axis=0)
        rows.append(proto)
    dim = own.shape[1] if own.ndim == 2 else 0
    centroids = np.vstack(rows) if rows else np.zeros((0, dim))
    return ThemeIndex([t.key for t in themes], centroids, AssignConfig(config.min_similarity))
