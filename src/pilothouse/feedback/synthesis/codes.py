"""Codes the synthesis engine returns as values instead of raising.

A data problem (an empty corpus, too few items to form themes, a theme with no
usable text) never raises: the result carries one of these codes in its
``error_code`` field, the pattern of the stats engine's ``codes.py`` and
gbstats ``messages.py``. The engine raises only on misuse (a wrong shape, an
invalid config) and when the embedding model itself is missing or corrupt
(:class:`~pilothouse.feedback.synthesis.models.ModelUnavailableError`), since
no result can be computed then and the operator has to act.

Codes are plain strings so they travel unchanged through JSON, the database
and the UI; ``DESCRIPTIONS`` holds the text shown to people.
"""

from __future__ import annotations

__all__ = [
    "DESCRIPTIONS",
    "EMPTY_CORPUS",
    "NO_STRUCTURE",
    "NO_THEMES",
    "TOO_FEW_ITEMS",
]

EMPTY_CORPUS = "EMPTY_CORPUS"
TOO_FEW_ITEMS = "TOO_FEW_ITEMS"
NO_STRUCTURE = "NO_STRUCTURE"
NO_THEMES = "NO_THEMES"

DESCRIPTIONS: dict[str, str] = {
    EMPTY_CORPUS: "There is no feedback with text to synthesise.",
    TOO_FEW_ITEMS: (
        "Too few feedback items to form themes; add more feedback or lower "
        "min_items in the synthesis config."
    ),
    NO_STRUCTURE: (
        "The feedback does not separate into several themes; all items were put in one theme."
    ),
    NO_THEMES: "There are no themes to assign the item to.",
}
