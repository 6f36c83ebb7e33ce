"""Theme labels, keywords, extractive summaries and representative quotes.

Keywords use class-based TF-IDF (c-TF-IDF, as in BERTopic): all items of a
theme form one document, and a term scores by its frequency in the theme
times ``log(1 + A / f)``, where ``A`` is the average number of words per theme
and ``f`` the term's frequency over all themes, so terms shared by every theme
sink. Unlike BERTopic's ``1_identity_verify_id`` the label is a readable
phrase: the best keyword (bigrams such as "top up" preferred when they score
as well) followed by the next distinct ones.

Quotes and summaries are extractive, never generated: the items closest to
the theme centroid, skipping near-copies of an already chosen quote.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from pilothouse.feedback.synthesis.config import LabelConfig

__all__ = [
    "ctfidf_keywords",
    "english_stop_words",
    "make_label",
    "pick_quotes",
    "summarize",
    "term_counts",
]

#: One stop word a line; lines starting with ``#`` are comments.
STOP_WORDS_FILE = Path(__file__).parent / "data" / "english_stop_words.txt"

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
#: Words as the labels count them: two or more letters (apostrophes allowed).
_WORD = re.compile(r"(?u)\b[a-zA-Z][a-zA-Z']+\b")


def ctfidf_keywords(
    texts: Sequence[str], labels: np.ndarray, n_themes: int, top: int
) -> list[tuple[str, ...]]:
    """Top c-TF-IDF terms (unigrams and bigrams) per theme ``0..n_themes-1``."""
    docs = [" ".join(texts[int(i)] for i in np.flatnonzero(labels == t)) for t in range(n_themes)]
    counts, terms = term_counts(docs)
    if not terms:  # no usable words at all
        return [() for _ in range(n_themes)]
    words = np.asarray(counts.sum(axis=1)).ravel()
    tf = counts.multiply(1.0 / np.maximum(words, 1.0)[:, None]).tocsr()
    freq = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log1p(words.mean() / np.maximum(freq, 1.0))
    scores = tf.multiply(idf[None, :]).tocsr()
    out = []
    for t in range(n_themes):
        row = scores.getrow(t).toarray().ravel()
        order = [i for i in np.argsort(-row) if row[i] > 0]
        out.append(_distinct([terms[i] for i in order[: top * 3]], top))
    return out


def term_counts(docs: Sequence[str]) -> tuple[sparse.csr_matrix, list[str]]:
    """Counts of each word and two-word term per document, terms in alphabetical order.

    The same counts as scikit-learn's ``CountVectorizer(ngram_range=(1, 2),
    stop_words="english", token_pattern=...)`` (lower-cased words of two or
    more letters, English stop words dropped before pairs are formed), which
    ``tests/feedback/synthesis`` checks; counted here because importing
    scikit-learn takes longer (1 to 2 s) than counting a synthesis run's terms.
    """
    stop = english_stop_words()
    vocabulary: dict[str, int] = {}
    rows: list[Counter[int]] = []
    for doc in docs:
        words = [w for w in _WORD.findall(doc.lower()) if w not in stop]
        terms = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        rows.append(Counter(vocabulary.setdefault(term, len(vocabulary)) for term in terms))
    names = sorted(vocabulary)
    column = np.empty(len(vocabulary), dtype=np.int64)
    column[[vocabulary[name] for name in names]] = np.arange(len(names))
    indptr, indices, data = [0], [], []
    for counter in rows:
        indices.extend(column[list(counter)].tolist())
        data.extend(counter.values())
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
        shape=(len(docs), len(names)),
    )
    matrix.sort_indices()
    return matrix, names


@functools.cache
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (318), from the copy in ``data/``.

    Synthesis needs the word list and nothing else of scikit-learn, which is an
    optional extra (``pilothouse[training]``); ``tests/feedback/synthesis`` checks
    the copy against the installed scikit-learn's ``ENGLISH_STOP_WORDS``.
    """
    lines = STOP_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _distinct(terms: list[str], top: int) -> tuple[str, ...]:
    """Drop terms that repeat a word of a better-ranked term."""
    chosen: list[str] = []
    used: set[str] = set()
    for term in terms:
        words = set(term.split())
        if words <= used:
            continue
        chosen.append(term)
        used |= words
        if len(chosen) == top:
            break
    return tuple(chosen)


def make_label(keywords: Sequence[str], terms: int) -> str:
    """``"Card arrival, tracking, delivery"`` from the first keywords."""
    if not keywords:
        return "Unlabelled theme"
    label = ", ".join(keywords[:terms])
    return label[:1].upper() + label[1:]


def pick_quotes(
    vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray, count: int
) -> tuple[int, ...]:
    """Members closest to the centroid, skipping near-copies (cosine > 0.9) of a chosen one."""
    order = members[np.argsort(-(vectors[members] @ centroid), kind="stable")]
    chosen: list[int] = []
    for index in order:
        if all(float(vectors[index] @ vectors[c]) <= 0.9 for c in chosen):
            chosen.append(int(index))
        if len(chosen) == count:
            break
    return tuple(chosen)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def summarize(texts: Sequence[str], quotes: Sequence[int], size: int, config: LabelConfig) -> str:
    """``"42 items. <first sentence of the two most central quotes>"``."""
    sentences: list[str] = []
    for index in quotes[:2]:
        first = _SENTENCE.split(texts[index].strip(), maxsplit=1)[0]
        if first:
            sentences.append("“" + _clip(first, config.max_quote_chars // 2) + "”")
    noun = "item" if size == 1 else "items"
    return f"{size} {noun}. " + " ".join(sentences) if sentences else f"{size} {noun}."
