"""A change of embedding build (fp32 -> the int8 default of issue 14.7) on stored feedback.

Vectors, theme centroids and duplicate checks are keyed by model id. After the
change a new item is embedded with the new build and gets its sentiment, but fits
no theme until the next synthesis, which embeds every item again and moves the
themes onto the new model; from then on new items are placed as before.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from tests.feedback.themes.conftest import CLI, load_corpus

from pilothouse.core.runtime import Runtime
from pilothouse.feedback import embeddings, service, themes
from pilothouse.feedback.models import FeedbackEmbedding, FeedbackTheme
from pilothouse.feedback.synthesis import MINILM
from pilothouse.feedback.synthesis.int8 import INT8
from pilothouse.feedback.synthesis_service import assign_new_item, synthesize_feedback

CARD = "My new card still has not arrived, when will it come?"


def _card_theme(session, truth: dict[int, str]) -> int:
    for theme in themes.list_themes(session):
        counts = Counter(truth.get(i) for i in themes.theme_item_ids(session, theme.id))
        if counts.most_common(1)[0][0] == "card_arrival":
            return theme.id
    raise AssertionError("no card_arrival theme")


def _count(session, model_id: str) -> int:
    query = select(func.count()).where(FeedbackEmbedding.model_id == model_id)
    return session.scalar(query) or 0


def test_themes_follow_a_change_of_embedding_build(
    runtime: Runtime, corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = load_corpus(runtime, corpus)
    monkeypatch.setenv("PILOTHOUSE_FEEDBACK_EMBEDDING", "fp32")
    fp32_key = embeddings.default_config()
    try:
        first = synthesize_feedback(runtime, CLI)
    finally:
        monkeypatch.delenv("PILOTHOUSE_FEEDBACK_EMBEDDING")
        embeddings._embedders.pop(fp32_key, None)  # keep the session's int8 model only
    assert first.ok and first.model_id == MINILM.model_id
    with runtime.database.session() as session:
        item = service.create_feedback(session, CLI, {"text": CARD})
        assert assign_new_item(session, item.id) is None  # old centroids: no crash, no theme
        assert item.sentiment is not None  # the head serves the int8 vectors
        waiting = item.id
    again = synthesize_feedback(runtime, CLI)
    assert again.ok and again.model_id == INT8.model_id
    assert again.embedded == len(truth)  # every stored item embedded again, once
    with runtime.database.session() as session:
        assert _count(session, INT8.model_id) == len(truth) + 1
        assert _count(session, MINILM.model_id) == len(truth)  # old vectors stay, unused
        models = set(session.scalars(select(FeedbackTheme.model_id)))
        assert models == {INT8.model_id}
        card = _card_theme(session, truth)
        assert themes.theme_of_items(session, [waiting])[waiting][0] == card
        later = service.create_feedback(session, CLI, {"text": "Where is my card? Still waiting."})
        assert assign_new_item(session, later.id) == card
