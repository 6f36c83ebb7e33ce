"""Automatic themes on real BANKING77 messages, and corpora too small to theme."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from tests.feedback.synthesis.conftest import DATA, read_rows

from pilothouse.feedback.synthesis import (
    ClusteringConfig,
    SynthesisConfig,
    TfidfEmbedder,
    cluster,
    codes,
    synthesize,
)
from pilothouse.feedback.synthesis.clustering import _leiden
from pilothouse.feedback.synthesis.graph import knn_graph


def test_intents_are_recovered_without_being_told_how_many(banking, banking_vectors) -> None:
    texts, truth, _ = banking
    result = synthesize(texts, banking_vectors)
    labels = np.array(result.assignments)
    assert result.error_code is None
    assert 5 <= len(result.themes) <= 8
    assert normalized_mutual_info_score(truth, labels) >= 0.85
    assert adjusted_rand_score(truth, labels) >= 0.75


def test_each_theme_carries_label_keywords_quotes_and_summary(banking, banking_vectors) -> None:
    texts, truth, intents = banking
    result = synthesize(texts, banking_vectors)
    sizes = [t.size for t in result.themes]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == len(texts)
    for theme in result.themes:
        assert theme.label and theme.label[0].isupper() and "_" not in theme.label
        assert len(theme.keywords) >= 3
        assert 1 <= len(theme.quotes) <= 3 and set(theme.quotes) <= set(theme.items)
        assert theme.summary.startswith(f"{theme.size} items.")
        assert 0.3 < theme.cohesion <= 1.0
    words = {
        intents[np.bincount(truth[list(t.items)]).argmax()]: " ".join(t.keywords)
        for t in result.themes
    }
    assert "card" in words["card_arrival"]
    assert "exchange" in words["exchange_rate"] or "rate" in words["exchange_rate"]
    assert "phone" in words["lost_or_stolen_phone"]


def test_the_same_seed_gives_the_same_themes(banking_vectors) -> None:
    first = cluster(banking_vectors, ClusteringConfig(seed=7)).labels
    second = cluster(banking_vectors, ClusteringConfig(seed=7)).labels
    assert np.array_equal(first, second)


def test_tfidf_floor_still_finds_themes(banking) -> None:
    texts, truth, _ = banking
    vectors = TfidfEmbedder(dimension=64).embed(texts)
    labels = np.array(synthesize(texts, vectors).assignments)
    assert normalized_mutual_info_score(truth, labels) >= 0.5


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        ([], codes.EMPTY_CORPUS),
        (["", "   "], codes.EMPTY_CORPUS),
        (["one", "two", "three"], codes.TOO_FEW_ITEMS),
    ],
)
def test_tiny_corpora_are_a_result_not_an_error(texts, code) -> None:
    result = synthesize(texts, np.ones((len(texts), 3)))
    assert result.error_code == code
    assert result.themes == ()
    assert result.assignments == tuple(-1 for _ in texts)


def test_empty_texts_are_left_out_of_themes(banking, banking_vectors) -> None:
    texts, _, _ = banking
    padded = [*texts, ""]
    vectors = np.vstack([banking_vectors, np.ones((1, banking_vectors.shape[1]))])
    result = synthesize(padded, vectors)
    assert result.assignments[-1] == -1
    assert all(len(texts) not in t.items for t in result.themes)


def test_identical_items_make_one_theme(embedder) -> None:
    texts = ["The app crashes when I open it."] * 12
    result = synthesize(texts, embedder.embed(texts), SynthesisConfig())
    assert len(result.themes) == 1
    assert result.error_code == codes.NO_STRUCTURE


def test_wrong_vector_shape_is_misuse() -> None:
    with pytest.raises(ValueError, match="vectors"):
        synthesize(["a", "b"], np.ones((3, 4)))


def test_leiden_gives_the_same_communities_whatever_ran_before(embedder) -> None:
    """scikit-network's refinement draws from C ``rand()``; the seed must cover it too."""
    rows = read_rows(DATA / "banking77" / "test.csv")[:1000]
    graph = knn_graph(embedder.embed([r["text"] for r in rows]), 12)
    first = _leiden(graph, 4.0, 0)
    _leiden(graph, 2.0, 7)  # other draws in between, as the resolution ladder makes
    assert np.array_equal(_leiden(graph, 4.0, 0), first)
    assert len(set(first.tolist())) > 10


def test_term_counts_equal_scikit_learns_count_vectorizer(banking) -> None:
    """The labels' own counting against the library it replaces (same words, pairs, counts)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    from pilothouse.feedback.synthesis.labels import english_stop_words, term_counts

    texts, labels, _ = banking
    docs = [" ".join(t for t, k in zip(texts, labels, strict=True) if k == g) for g in range(6)]
    docs += ["", "It's the 2nd card-reader I've LOST, can't top-up!!"]
    ours, terms = term_counts(docs)
    reference = CountVectorizer(
        ngram_range=(1, 2), stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z']+\b"
    )
    expected = reference.fit_transform(docs)
    assert english_stop_words() == frozenset(ENGLISH_STOP_WORDS)
    assert terms == list(reference.get_feature_names_out())
    assert (ours != expected).nnz == 0 and ours.shape == expected.shape
