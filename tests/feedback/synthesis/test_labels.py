"""Key-phrase theme labels: candidates, shortlist, MMR, format, and quality on real data.

The quality reference is independent of the labeler: BANKING77's own intent
names (``card_arrival``), scored by ``label_quality`` (stemmed overlap of the
label's words with the intent name's words).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pilothouse.feedback.synthesis import LabelConfig, SynthesisConfig, synthesize
from pilothouse.feedback.synthesis.label_quality import majority, score_label, stem
from pilothouse.feedback.synthesis.phrases import (
    candidate_phrases,
    edge_stop_words,
    mmr,
    phrase_labels,
    shortlist,
    title,
)


def test_candidates_start_and_end_on_content_words() -> None:
    found = candidate_phrases("I want to transfer money to my friend, but the transfer failed!")
    assert {"transfer money", "transfer money to friend", "transfer failed"} <= found
    stop = edge_stop_words()
    for phrase in found:
        words = phrase.split()
        assert words[0] not in stop and words[-1] not in stop, phrase
        assert len(words) <= 4
    assert not any(p.endswith((" to", " the", " my")) for p in found)
    assert "failed i" not in found and "friend but" not in found  # clauses are not crossed


def test_phrasal_verbs_stay_whole_and_possessives_are_left_out() -> None:
    found = candidate_phrases("Why did my top-up get cancelled? Please top up my account.")
    assert {"top up", "top up account", "cancelled"} <= found
    assert "top" not in found  # never cut before its particle
    assert not any("my" in p.split() or "please" in p.split() for p in found)
    assert candidate_phrases("") == set() and candidate_phrases("the to my") == set()


def test_shortlist_needs_two_members_and_prefers_phrases_specific_to_the_theme() -> None:
    cards = ["card not arrived", "my card not arrived yet", "card still not here", "new card"]
    rates = ["exchange rate wrong", "bad exchange rate on card", "exchange rate"]
    config = LabelConfig(phrase_candidates=3)
    card_list, rate_list = shortlist([cards, rates], config)
    assert dict(rate_list) == {"exchange": 1.0, "exchange rate": 1.0, "rate": 1.0}  # ties by name
    assert "bad exchange rate" not in dict(rate_list)  # one member only
    # 7 texts; "card": 4/4 members * ln(1 + 7/5) = 0.875 (also in a rate text);
    # "arrived" and "card not arrived": 2/4 * ln(1 + 7/2) = 0.752 (ties by name)
    assert card_list == [("card", 1.0), ("arrived", 0.5), ("card not arrived", 0.5)]


def test_mmr_starts_with_the_most_similar_then_avoids_near_copies() -> None:
    similarity = np.array([0.80, 0.79, 0.60])
    pairwise = np.array([[1.0, 0.95, 0.1], [0.95, 1.0, 0.2], [0.1, 0.2, 1.0]])
    # diversity 0.5: step 2 scores 0.5*0.79 - 0.5*0.95 = -0.08 against 0.5*0.6 - 0.5*0.1 = 0.25
    assert mmr(similarity, pairwise, 3, 0.5) == [0, 2, 1]
    assert mmr(similarity, pairwise, 3, 0.0) == [0, 1, 2]  # no diversity: by similarity
    assert mmr(similarity, pairwise, 1, 0.9) == [0]
    assert mmr(np.array([]), np.zeros((0, 0)), 3, 0.3) == []


def test_title_is_capitalised_and_cut_at_a_word() -> None:
    assert title("card not arrived", 48) == "Card not arrived"
    assert title("exchange rate for cash withdrawal", 20) == "Exchange rate"  # not "... for"
    assert title("  top   up ", 48) == "Top up"


def test_stemmed_overlap_with_intent_names() -> None:
    assert stem("arrival") == stem("arrived") == stem("arrive")
    assert score_label("Card has not arrived", "card_arrival").recall == 1.0
    assert score_label("Did, denied, app", "top_up_failed").hit is False
    assert score_label("Top-up failed", "top_up_failed").precision == 1.0
    assert majority(["a", "b", "b", "a"], [0, 1, 2]) == "b"


def _labels(banking, vectors, embedder=None) -> tuple[list[str], list[str]]:
    texts, _truth, _names = banking
    result = synthesize(texts, vectors, SynthesisConfig(), phrases=embedder)
    intents = [banking[2][k] for k in banking[1]]
    return [t.label for t in result.themes], [majority(intents, t.items) for t in result.themes]


def test_key_phrase_labels_name_the_intents_more_often_than_keyword_labels(
    banking, banking_vectors, embedder
) -> None:
    old, old_truth = _labels(banking, banking_vectors)
    new, new_truth = _labels(banking, banking_vectors, embedder)
    assert old_truth == new_truth  # the same themes, labelled two ways
    old_scores = [score_label(label, t) for label, t in zip(old, old_truth, strict=True)]
    new_scores = [score_label(label, t) for label, t in zip(new, new_truth, strict=True)]
    assert sum(s.hit for s in new_scores) > sum(s.hit for s in old_scores)
    assert np.mean([s.recall for s in new_scores]) > np.mean([s.recall for s in old_scores])
    assert np.mean([s.precision for s in new_scores]) > np.mean([s.precision for s in old_scores])
    assert "Top up failed" in new and "Card has not arrived" in new


def test_labels_are_short_titles(banking, banking_vectors, embedder) -> None:
    labels, _ = _labels(banking, banking_vectors, embedder)
    config = LabelConfig()
    stop = edge_stop_words()
    for label in labels:
        words = label.split()
        assert 1 <= len(words) <= 4 and len(label) <= config.max_label_chars, label
        assert label[0].isupper() and "," not in label, label
        assert words[0].lower() not in stop, label
        assert words[-1].lower() not in stop or words[-1].lower() in {"up", "out", "off"}, label
    again, _ = _labels(banking, banking_vectors, embedder)
    assert again == labels  # deterministic


def test_themes_without_a_shared_phrase_keep_keyword_labels(embedder) -> None:
    groups = [["alpha"], ["beta"]]  # one member each: nothing occurs twice
    centroids = embedder.embed(["alpha", "beta"])
    assert phrase_labels(groups, centroids, embedder, LabelConfig()) == [None, None]


@pytest.mark.parametrize("candidates", [1, 5])
def test_the_shortlist_bounds_what_is_embedded(banking, candidates: int) -> None:
    texts, truth, _names = banking
    groups = [[texts[i] for i in np.flatnonzero(truth == k)] for k in range(truth.max() + 1)]
    config = dataclasses.replace(LabelConfig(), phrase_candidates=candidates)
    assert all(len(rows) <= candidates for rows in shortlist(groups, config))
