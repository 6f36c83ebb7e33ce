"""Embedding ahead: feedback is embedded before its request's write transaction starts.

A request that creates feedback used to embed it inside its transaction, which on
SQLite holds the one write lock for the model's milliseconds. The route now embeds
the text first (:func:`pilothouse.feedback.embeddings.embed_ahead`), and
:func:`~pilothouse.feedback.embeddings.ensure_embeddings` uses that vector. These
tests check that the stored vector is the model's own for the text, that the
model is not run twice, and that nothing is loaded or kept when it should not be.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from sqlalchemy import select
from tests.feedback.themes.conftest import CLI

from pilothouse.core.runtime import Runtime
from pilothouse.feedback import embeddings, service
from pilothouse.feedback.models import FeedbackEmbedding
from pilothouse.feedback.synthesis.embedders import Embedder, normalize_rows


class Counting:
    """An embedder that counts the texts it is asked to embed, then asks the real one."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> object:  # model_id, dimension: the real ones
        return getattr(self.inner, name)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        return self.inner.embed(texts)


@pytest.fixture
def model() -> Iterator[Embedder]:
    """The process's embedder, loaded; the memo of vectors made ahead starts empty."""
    loaded = embeddings.embedder()
    embeddings._ahead.clear()
    yield loaded
    embeddings._ahead.clear()


def _store(runtime: Runtime, title: str | None, text: str) -> int:
    with runtime.database.session() as session:
        values = {"text": text, "source_kind": "support_ticket", "source_name": "test"}
        if title:
            values["title"] = title
        return service.create_feedback(session, CLI, values).id


def test_a_text_embedded_ahead_is_stored_without_running_the_model_again(
    runtime: Runtime, model: Embedder
) -> None:
    title, text = "Card", "My new card has still not arrived after two weeks"
    assert embeddings.embed_ahead([(title, text)]) == 1
    item_id = _store(runtime, title, text)
    counting = Counting(model)
    with runtime.database.session() as session:
        items = [service.get_feedback(session, item_id)]
        vectors, fresh = embeddings.ensure_embeddings(session, items, counting)
    assert counting.texts == [] and fresh == [item_id]
    expected = normalize_rows(model.embed([f"{title}. {text}"]))[0]
    np.testing.assert_allclose(vectors[item_id], expected, rtol=0, atol=1e-6)
    with runtime.database.session() as session:
        raw = session.scalar(select(FeedbackEmbedding.vector).filter_by(item_id=item_id))
    np.testing.assert_allclose(embeddings.from_bytes(raw), expected, rtol=0, atol=1e-6)
    assert not embeddings._ahead  # used once, then forgotten


def test_texts_not_embedded_ahead_are_embedded_as_before(runtime: Runtime, model: Embedder) -> None:
    embeddings.embed_ahead([(None, "The exchange rate on my transfer was wrong")])
    ahead = _store(runtime, None, "The exchange rate on my transfer was wrong")
    other = _store(runtime, None, "How do I reset my passcode?")
    counting = Counting(model)
    with runtime.database.session() as session:
        items = [service.get_feedback(session, i) for i in (ahead, other)]
        vectors, fresh = embeddings.ensure_embeddings(session, items, counting)
    assert counting.texts == ["How do I reset my passcode?"]
    assert sorted(fresh) == sorted([ahead, other])
    expected = normalize_rows(model.embed(["How do I reset my passcode?"]))[0]
    np.testing.assert_allclose(vectors[other], expected, rtol=0, atol=1e-6)


def test_nothing_is_embedded_ahead_before_the_model_is_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embeddings, "_embedders", {})
    assert embeddings.embed_ahead([(None, "Please add dark mode")]) == 0
    assert not embeddings.embedder_is_loaded()  # loading is the first placement's work
    assert not embeddings._ahead


@pytest.mark.usefixtures("model")
def test_the_memo_keeps_only_the_newest_vectors() -> None:
    texts = [(None, f"Feedback number {n}") for n in range(embeddings.AHEAD_KEPT + 3)]
    step = embeddings.AHEAD_MOST
    for start in range(0, len(texts), step):  # several requests' worth
        chunk = texts[start : start + step]
        assert embeddings.embed_ahead(chunk) == len(chunk)
    assert len(embeddings._ahead) == embeddings.AHEAD_KEPT
    kept = {text for _model, text in embeddings._ahead}
    first = sorted(text for _title, text in texts[:step])  # the first call, in its order
    assert kept == {text for _title, text in texts} - set(first[:3])  # three oldest dropped


@pytest.mark.usefixtures("model")
def test_large_batches_and_long_texts_are_embedded_in_their_transaction() -> None:
    many = [(None, f"Batch item {n}") for n in range(embeddings.AHEAD_MOST + 1)]
    assert embeddings.embed_ahead(many) == 0  # would push out vectors before their use
    long = "word " * (embeddings.AHEAD_MAX_CHARS // 5 + 1)
    assert embeddings.embed_ahead([(None, long), (None, "Short one")]) == 1
    assert [text for _model, text in embeddings._ahead] == ["Short one"]
