"""New items, steered themes, near-duplicates, sentiment and re-synthesis proposals."""

from __future__ import annotations

import time

import numpy as np
import pytest

from pilothouse.feedback.synthesis import (
    SentimentHead,
    SteeredTheme,
    ThemeIndex,
    codes,
    find_duplicates,
    propose_changes,
    steered_index,
    synthesize,
)


def test_a_new_item_joins_the_theme_of_its_intent(embedder, banking, banking_vectors) -> None:
    texts, truth, intents = banking
    result = synthesize(texts, banking_vectors)
    index = ThemeIndex.from_result(result)
    card_theme = np.bincount(
        np.array(result.assignments)[truth == intents.index("card_arrival")]
    ).argmax()
    assignment = index.assign(embedder.embed(["I ordered a card two weeks ago, where is it?"])[0])
    assert assignment.theme == card_theme
    assert assignment.similarity > 0.5 and assignment.runner_up is not None


def test_one_item_is_assigned_in_under_100_ms(embedder, banking, banking_vectors) -> None:
    index = ThemeIndex.from_result(synthesize(banking[0], banking_vectors))
    timings = []
    for text in ["Can I still top up with a card from abroad?"] * 7:
        start = time.perf_counter()
        index.assign(embedder.embed([text])[0])
        timings.append(time.perf_counter() - start)
    assert sorted(timings)[3] < 0.1


def test_unrelated_items_stay_unassigned(embedder, banking, banking_vectors) -> None:
    index = ThemeIndex.from_result(synthesize(banking[0], banking_vectors))
    assert index.assign(embedder.embed(["The soup recipe needs more basil."])[0]).theme is None
    empty = ThemeIndex([], np.zeros((0, 384)))
    assert empty.assign(np.ones(384)).error_code == codes.NO_THEMES


def test_curated_members_index_like_themes(banking_vectors, banking) -> None:
    _, truth, intents = banking
    members = {name: np.flatnonzero(truth == k)[:10].tolist() for k, name in enumerate(intents)}
    index = ThemeIndex.from_members(banking_vectors, members)
    rest = np.flatnonzero(np.isin(np.arange(len(truth)) % 30, range(10, 30)))
    predicted = [a.theme for a in index.assign_many(banking_vectors[rest])]
    accuracy = np.mean([p == intents[truth[i]] for p, i in zip(predicted, rest, strict=True)])
    assert accuracy >= 0.9


def test_steered_themes_map_airline_complaints(embedder, airline) -> None:
    reasons = ("Late Flight", "Lost Luggage", "Cancelled Flight", "Bad Flight")
    themes, rest = [], []
    for reason in reasons:
        rows = [r for r in airline if r["negativereason"] == reason][:45]
        examples = tuple(r["text"] for r in rows[:5])
        themes.append(SteeredTheme(key=reason, name=reason, examples=examples))
        rest += rows[5:]
    index = steered_index(themes, embedder.embed)
    predicted = [a.theme for a in index.assign_many(embedder.embed([r["text"] for r in rest]))]
    truth = [r["negativereason"] for r in rest]
    accuracy = np.mean([p == t for p, t in zip(predicted, truth, strict=True)])
    majority = max(truth.count(r) for r in reasons) / len(truth)
    assert accuracy >= majority + 0.2


def test_repeats_link_to_the_first_item(embedder) -> None:
    texts = [
        "The export to CSV button does nothing.",
        "Please add dark mode.",
        "The export to CSV button does nothing!",
        "the export to csv button does nothing",
        "Invoices are missing the VAT number.",
    ]
    links = find_duplicates(embedder.embed(texts))
    assert links == (None, None, 0, 0, None)
    assert find_duplicates(np.ones((1, 3))) == (None,)


def test_sentiment_head_reads_airline_tweets(embedder, airline) -> None:
    head = SentimentHead.load()
    polar = [r for r in airline if r["airline_sentiment"] != "neutral"][:200]
    vectors = embedder.embed([r["text"] for r in polar])
    probability = head.positive(vectors, embedder.model_id)
    predicted = np.where(probability >= 0.5, "positive", "negative")
    assert np.mean(predicted == np.array([r["airline_sentiment"] for r in polar])) >= 0.8
    labels = {r.label for r in head.predict(vectors, embedder.model_id)}
    assert labels <= {"positive", "neutral", "negative"} and len(labels) == 3
    with pytest.raises(ValueError, match="sentiment head"):
        head.positive(vectors, "another-model")


def test_resynthesis_proposes_instead_of_rewriting() -> None:
    curated = {"billing": list(range(0, 10)), "login": list(range(10, 20)), "sso": [20, 21, 22]}
    fresh = [
        list(range(0, 5)),  # billing splits ...
        list(range(5, 10)),  # ... in two
        [*range(10, 20), 20, 21, 22],  # login and sso merge
        list(range(30, 38)),  # nobody had these
    ]
    proposals = propose_changes(curated, fresh, labels=["a", "b", "c", "Dark mode"])
    kinds = {(p.kind, p.themes) for p in proposals}
    assert kinds == {("split", ("billing",)), ("merge", ("login", "sso")), ("new", ())}
    new = next(p for p in proposals if p.kind == "new")
    assert new.label == "Dark mode" and new.groups == (tuple(range(30, 38)),)
