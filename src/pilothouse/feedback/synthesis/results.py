"""Plain result objects the engine returns (no ORM, no web types).

Item positions are indices into the input sequence; the service layer maps
them to feedback ids. Vectors are NumPy arrays; everything else is built from
tuples, strings and numbers so a result serialises with ``dataclasses.asdict``
after dropping the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Assignment",
    "Proposal",
    "SentimentResult",
    "SynthesisResult",
    "Theme",
]


@dataclass(frozen=True)
class Theme:
    """One theme of a synthesis run.

    Attributes:
        index: Position in ``SynthesisResult.themes`` (largest theme first).
        label: Short human-readable label from the distinctive terms.
        keywords: Distinctive terms, most distinctive first (c-TF-IDF).
        items: Indices of the member items.
        quotes: Indices of representative items, most central first.
        summary: Short extractive summary (sentences from the items).
        cohesion: Mean cosine of the members to the theme centroid.
        centroid: Unit mean vector of the members.
    """

    index: int
    label: str
    keywords: tuple[str, ...]
    items: tuple[int, ...]
    quotes: tuple[int, ...]
    summary: str
    cohesion: float
    centroid: np.ndarray = field(repr=False, compare=False)

    @property
    def size(self) -> int:
        """Number of member items."""
        return len(self.items)


@dataclass(frozen=True)
class SynthesisResult:
    """Themes of a corpus.

    Attributes:
        themes: Themes, largest first.
        assignments: Theme index per input item; -1 for items not in a theme
            (empty text, or every item when there are too few).
        error_code: ``None`` or a code from :mod:`.codes`.
        resolution: The Leiden resolution chosen (``None`` without clustering).
        silhouette: Mean cosine silhouette of the chosen partition.
    """

    themes: tuple[Theme, ...]
    assignments: tuple[int, ...]
    error_code: str | None = None
    resolution: float | None = None
    silhouette: float | None = None


@dataclass(frozen=True)
class Assignment:
    """Where one item goes.

    Attributes:
        theme: Key of the chosen theme, or ``None`` when no theme is close enough.
        similarity: Cosine to the chosen (or best) theme.
        runner_up: Key of the second-best theme (``None`` with one theme).
        error_code: ``NO_THEMES`` when there was nothing to assign to.
    """

    theme: str | int | None
    similarity: float
    runner_up: str | int | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class SentimentResult:
    """Sentiment of one item.

    Attributes:
        label: ``"positive"``, ``"neutral"`` or ``"negative"``.
        positive: Probability of positive from the binary head.
    """

    label: str
    positive: float


@dataclass(frozen=True)
class Proposal:
    """A change a re-synthesis proposes to curated themes, for human review.

    Attributes:
        kind: ``"new"``, ``"merge"`` or ``"split"``.
        themes: Keys of the curated themes involved (empty for ``new``).
        groups: Item keys per proposed theme after the change.
        label: Suggested label of the new or merged theme(s).
    """

    kind: str
    themes: tuple[str | int, ...]
    groups: tuple[tuple[str | int, ...], ...]
    label: str = ""
