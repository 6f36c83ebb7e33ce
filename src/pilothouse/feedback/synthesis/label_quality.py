"""How well theme labels name the categories of a labelled data set.

Used by ``benchmarks/theme_labels.py`` and the label tests to compare labelers
on data whose categories are known (BANKING77 intents such as
``card_arrival``). A theme is scored against its majority category:

* the category's **key words** are the words of its name (split on ``_``),
  lower-cased, without the function words in :data:`NAME_STOP_WORDS`
  (``top_up_failed`` → {top, failed}; ``lost_or_stolen_phone`` → {lost,
  stolen, phone});
* a label's words are its letter runs (``"Top-up failed"`` → top, up, failed),
  without the same function words;
* both sides are reduced by :func:`stem`, a small suffix stripper (no
  dictionary), so "arrived", "arrival" and "arrive" all become ``arriv``;
* **hit**: the label names at least one key word; **recall**: the share of
  key words it names; **precision**: the share of the label's words that are
  key words (keyword salad scores low here).

The numbers are means over themes, each theme counting once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["NAME_STOP_WORDS", "LabelScore", "key_words", "majority", "score_label", "stem"]

#: Function words left out of category names and labels before comparing.
NAME_STOP_WORDS = frozenset(
    "a about after and by for in into my not of on or the to up via why what how is was "
    "has have with".split()
)
_SUFFIXES = (
    "ications",
    "ication",
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ied",
    "ies",
    "ed",
    "es",
    "s",
)
_SUFFIXES_TAIL = ("al", "ly", "e", "y")


def stem(word: str) -> str:
    """Strip one inflection suffix, then one derivation ending, then a doubled consonant.

    A suffix is stripped only if at least three letters remain.

    >>> [stem(w) for w in ("arrived", "arrival", "arrive", "cards", "transferred", "topping")]
    ['arriv', 'arriv', 'arriv', 'card', 'transfer', 'top']
    >>> [stem(w) for w in ("verify", "verified", "verification", "payment", "pay")]
    ['verif', 'verif', 'verif', 'pay', 'pay']
    """
    word = word.lower().replace("'", "")
    for group in (_SUFFIXES, _SUFFIXES_TAIL):
        for suffix in group:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]
    return word


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower().replace("_", " "))
    return {stem(w) for w in words if w.replace("'", "") not in NAME_STOP_WORDS}


def key_words(category: str) -> set[str]:
    """Stemmed key words of a category name: ``card_arrival`` → {card, arriv}."""
    return _stems(category)


@dataclass(frozen=True)
class LabelScore:
    """One label against one category."""

    hit: bool
    recall: float
    precision: float


def score_label(label: str, category: str) -> LabelScore:
    """How far ``label`` names ``category``'s key words (see the module docstring).

    >>> score_label("Card not arrived", "card_arrival")
    LabelScore(hit=True, recall=1.0, precision=1.0)
    >>> score_label("Waiting, need card, ordered", "card_arrival")
    LabelScore(hit=True, recall=0.5, precision=0.25)
    """
    keys, words = key_words(category), _stems(label)
    named = keys & words
    return LabelScore(
        hit=bool(named),
        recall=len(named) / len(keys) if keys else 0.0,
        precision=len(named) / len(words) if words else 0.0,
    )


def majority(categories: Sequence[str], members: Sequence[int]) -> str:
    """The most common category of a theme's members (ties: alphabetical first)."""
    counts = Counter(categories[int(i)] for i in members)
    return min(counts, key=lambda c: (-counts[c], c))
