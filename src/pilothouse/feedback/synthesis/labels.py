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

import re
from collections.abc import Sequence

import numpy as np

from pilothouse.feedback.synthesis.config import LabelConfig

__all__ = ["ctfidf_keywords", "make_label", "pick_quotes", "summarize"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def ctfidf_keywords(
    texts: Sequence[str], labels: np.ndarray, n_themes: int, top: int
) -> list[tuple[str, ...]]:
    """Top c-TF-IDF terms (unigrams and bigrams) per theme ``0..n_themes-1``."""
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [" ".join(texts[int(i)] for i in np.flatnonzero(labels == t)) for t in range(n_themes)]
    vectorizer = CountVectorizer(
        ngram_range=(1, 2), stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z']+\b"
    )
    try:
        counts = vectorizer.fit_transform(docs).astype(np.float64)
    except ValueError:  # no usable words at all
        return [() for _ in range(n_themes)]
    terms = vectorizer.get_feature_names_out()
    words = np.asarray(counts.sum(axis=1)).ravel()
    tf = counts.multiply(1.0 / np.maximum(words, 1.0)[:, None]).tocsr()
    freq = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log1p(words.mean() / np.maximum(freq, 1.0))
    scores = tf.multiply(idf[None, :]).tocsr()
    out = []
    for t in range(n_themes):
        row = scores.getrow(t).toarray().ravel()
        order = [i for i in np.argsort(-row) if row[i] > 0]
        out.append(_distinct([str(terms[i]) for i in order[: top * 3]], top))
    return out


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
