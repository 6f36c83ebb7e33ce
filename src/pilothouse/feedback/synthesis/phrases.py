"""Readable theme labels: key phrases ranked by embedding similarity, with diversity.

c-TF-IDF keywords (:mod:`.labels`) say which words set a theme apart, but three
of them joined by commas read as keyword salad ("Long, transfer, long money").
People name a theme with a short phrase taken from what customers wrote ("Card
not arrived", "Exchange rate charges"). This module finds such a phrase the way
KeyBERT does, offline and with the embedding model the synthesis already uses:

1. **Candidates**: word n-grams of one to four words from the members' texts,
   that neither start nor end on a function word or filler ("the", "to", "my",
   "please", "didn't"), with no pronoun, article or modal verb inside. A
   phrasal-verb particle may end a phrase after a content word ("top up").
2. **Shortlist** (cheap, before any embedding): a candidate must occur in at
   least two members and in at least ``min_share`` of them; the shortlist
   keeps the ``candidates`` best by share of members times how specific the
   phrase is to this theme (``log(1 + N / df)``, as c-TF-IDF does for words).
3. **Ranking**: the shortlisted phrases of every theme are embedded in one
   batch and ranked by cosine similarity to the theme centroid; Maximal
   Marginal Relevance (``λ·sim(phrase, centroid) − (1 − λ)·max sim(phrase,
   chosen)``) picks the next ones, so the list does not repeat itself.
4. **Title**: the best phrase, or a longer shortlisted phrase containing it
   whose similarity is within ``specific_margin`` ("refund" → "refund not
   showing"), with its first letter upper-cased and cut to ``max_label_chars``.

A theme with no shortlisted phrase (tiny or wordless) keeps the keyword label.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pilothouse.feedback.synthesis.config import LabelConfig
from pilothouse.feedback.synthesis.embedders import Embedder, normalize_rows
from pilothouse.feedback.synthesis.labels import english_stop_words

__all__ = [
    "PhraseLabel",
    "candidate_phrases",
    "edge_stop_words",
    "mmr",
    "phrase_labels",
    "shortlist",
    "title",
]

#: Words as phrases see them: letters, with inner apostrophes ("didn't").
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
#: Content words in scikit-learn's stop list that name things in feedback ("top up").
_CONTENT = frozenset(
    "amount back bill bottom call detail empty fill find fire front full interest move "
    "name part side system top".split()
)
#: Conversational filler that makes a poor first or last word of a title.
_FILLER = frozenset(
    "able also hello help hey hi just know like need ok okay possible really sure tell "
    "thank thanks thing things trying want way yes going happen happened got "
    "did does do doing dont didnt cant wont isnt im ive".split()
)
#: Words never inside a title-like phrase: pronouns, articles, modals, question words.
_INNER = frozenset(
    "i me you he she we they it him her us them a an the this that these those what which "
    "who whom how why when where can could would should will shall may might must do does "
    "did please if so because be am".split()
)
#: Particles that may end a phrase after a content word ("top up", "cash out").
_PARTICLES = frozenset({"up", "out", "off", "down", "back"})
#: A phrase never stops just before one of these: it would cut a phrasal verb ("top | up").
_CUT = frozenset({"up", "out", "off", "down"})
#: Possessives left out of phrases, so "delete my account" counts as "delete account".
_POSSESSIVE = frozenset({"my", "your", "our", "their", "his", "its"})


@dataclass(frozen=True)
class PhraseLabel:
    """A theme's title and its key phrases, best first (the title's phrase is the first)."""

    label: str
    phrases: tuple[str, ...]


@functools.cache
def edge_stop_words() -> frozenset[str]:
    """Words a phrase may not start or end on: stop words (minus a few nouns) and filler."""
    return (english_stop_words() - _CONTENT) | _FILLER


def _edge_ok(word: str, stop: frozenset[str]) -> bool:
    return len(word) > 1 and "'" not in word and word not in stop


def _phrase_ok(words: Sequence[str], stop: frozenset[str]) -> bool:
    """Grammatical-looking: content words at the edges, no pronoun or article inside."""
    if not _edge_ok(words[0], stop):
        return False
    last = words[-1]
    particle = len(words) > 1 and last in _PARTICLES and _edge_ok(words[-2], stop)
    if not (particle or _edge_ok(last, stop)):
        return False
    return not any(w in _INNER for w in words[1:-1])


def candidate_phrases(text: str, max_words: int = 4) -> set[str]:
    """The distinct candidate phrases of one text (see the module docstring).

    >>> sorted(candidate_phrases("My card has not arrived yet"))
    ['arrived', 'card', 'card has not arrived']
    >>> sorted(candidate_phrases("Why did my top-up fail?"))
    ['fail', 'top up', 'top up fail']
    """
    stop = edge_stop_words()
    out: set[str] = set()
    for clause in re.split(r"[.,;:!?()\[\]\"/]+|\s-\s", text.lower()):
        words = [w for w in _WORD.findall(clause.replace("’", "'")) if w not in _POSSESSIVE]
        for n in range(1, max_words + 1):
            for start in range(len(words) - n + 1):
                gram = words[start : start + n]
                cut = start + n < len(words) and words[start + n] in _CUT
                if not cut and _phrase_ok(gram, stop):
                    out.add(" ".join(gram))
    return out


def shortlist(
    groups: Sequence[Sequence[str]], config: LabelConfig
) -> list[list[tuple[str, float]]]:
    """Per group, the best candidates as ``(phrase, share of members)``; see step 2."""
    counts = [Counter(p for text in texts for p in candidate_phrases(text)) for texts in groups]
    overall: Counter[str] = Counter()
    for counter in counts:
        overall.update(counter)
    total = sum(len(texts) for texts in groups)
    out = []
    for texts, counter in zip(groups, counts, strict=True):
        floor = max(2.0, config.phrase_min_share * len(texts))
        scored = [
            (phrase, n / len(texts), n / len(texts) * math.log1p(total / overall[phrase]))
            for phrase, n in counter.items()
            if n >= floor
        ]
        scored.sort(key=lambda row: (-row[2], row[0]))
        out.append([(phrase, share) for phrase, share, _ in scored[: config.phrase_candidates]])
    return out


def mmr(similarity: np.ndarray, pairwise: np.ndarray, count: int, diversity: float) -> list[int]:
    """Maximal Marginal Relevance: indices chosen one by one, best first.

    Each step takes the candidate maximising ``(1 − diversity)·similarity −
    diversity·(max similarity to an already chosen candidate)``; the first
    choice is the most similar candidate.

    >>> mmr(np.array([0.9, 0.89, 0.5]), np.array([[1, .99, .1], [.99, 1, .1], [.1, .1, 1]]), 2, 0.5)
    [0, 2]
    """
    chosen: list[int] = []
    left = list(range(similarity.size))
    while left and len(chosen) < count:
        redundancy = pairwise[np.ix_(left, chosen)].max(axis=1) if chosen else np.zeros(len(left))
        score = (1 - diversity) * similarity[left] - diversity * redundancy
        best = left[int(np.argmax(score))]
        chosen.append(best)
        left.remove(best)
    return chosen


def title(phrase: str, limit: int) -> str:
    """``"card not arrived"`` → ``"Card not arrived"``, cut at a word boundary to ``limit``.

    A cut never leaves a function word dangling at the end.
    """
    words, stop = phrase.split(), edge_stop_words()
    while len(words) > 1 and (len(" ".join(words)) > limit or not _phrase_ok(words, stop)):
        words.pop()
    phrase = " ".join(words)[:limit]
    return phrase[:1].upper() + phrase[1:]


def _specific(
    rows: list[tuple[str, float]], relevance: np.ndarray, best: int, margin: float
) -> str:
    """The best phrase, or a longer one containing it that is almost as relevant.

    One word ("Refund") says less than a phrase around it ("refund not showing");
    the longer phrase wins when its relevance is within ``margin`` of the best.
    """
    phrase = rows[best][0]
    longer = [
        i
        for i, (other, _) in enumerate(rows)
        if f" {phrase} " in f" {other} "
        and other != phrase
        and relevance[i] >= relevance[best] - margin
    ]
    return rows[max(longer, key=lambda i: relevance[i])][0] if longer else phrase


def phrase_labels(
    groups: Sequence[Sequence[str]],
    centroids: np.ndarray,
    embedder: Embedder,
    config: LabelConfig,
) -> list[PhraseLabel | None]:
    """A title and key phrases per group of texts (``None``: no phrase qualifies).

    Args:
        groups: The member texts of each theme.
        centroids: ``(len(groups), d)`` unit centroids, in ``embedder``'s space.
        embedder: The model that made the centroids; it embeds the phrases.
        config: Shortlist size, diversity and label length.
    """
    lists = shortlist(groups, config)
    unique = sorted({phrase for rows in lists for phrase, _ in rows})
    if not unique:
        return [None] * len(groups)
    vectors = normalize_rows(np.asarray(embedder.embed(unique), dtype=np.float32))
    position = {phrase: i for i, phrase in enumerate(unique)}
    out: list[PhraseLabel | None] = []
    for rows, centroid in zip(lists, centroids, strict=True):
        if not rows:
            out.append(None)
            continue
        matrix = vectors[[position[phrase] for phrase, _ in rows]]
        shares = np.array([share for _, share in rows], dtype=np.float32)
        relevance = matrix @ centroid + config.share_weight * shares
        order = mmr(relevance, matrix @ matrix.T, config.keywords, config.diversity)
        phrases = tuple(rows[i][0] for i in order)
        best = _specific(rows, relevance, order[0], config.specific_margin)
        out.append(PhraseLabel(title(best, config.max_label_chars), phrases))
    return out
