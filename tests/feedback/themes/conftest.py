"""Fixtures for the theme service tests: a small real corpus and the real model, loaded once.

The corpus is 30 BANKING77 test messages (CC BY 4.0) of each of five intents a
person can tell apart, from ``../shared/data/feedback``. The packaged MiniLM
model is loaded once per session and wrapped so a text already embedded in
this session is not embedded again (every test starts from empty tables, and
re-embedding the same 150 texts per test would only cost time).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import embeddings, service
from pilothouse.feedback.synthesis import EmbedderConfig, OnnxEmbedder

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "feedback"
INTENTS = (
    "card_arrival",
    "exchange_rate",
    "lost_or_stolen_phone",
    "passcode_forgotten",
    "terminate_account",
)
PER_INTENT = 30
CLI = Actor.command_line()


class MemoEmbedder:
    """The real MiniLM embedder, remembering the vectors of texts it has embedded."""

    def __init__(self, inner: OnnxEmbedder) -> None:
        self.inner = inner
        self.memo: dict[str, np.ndarray] = {}
        self.calls = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            self.memo.update(zip(todo, self.inner.embed(todo), strict=True))
        return np.vstack([self.memo[t] for t in texts])


@pytest.fixture(scope="session", autouse=True)
def memo_embedder() -> Iterator[MemoEmbedder]:
    key = EmbedderConfig(backend="minilm")
    previous = embeddings._embedders.get(key)
    memo = MemoEmbedder(OnnxEmbedder(key))
    embeddings._embedders[key] = memo  # type: ignore[assignment]
    yield memo
    if previous is None:
        embeddings._embedders.pop(key, None)
    else:
        embeddings._embedders[key] = previous


@pytest.fixture(scope="session")
def corpus() -> list[tuple[str, str]]:
    """(intent, text) pairs: 30 messages of each of five intents, interleaved."""
    with (DATA / "banking77" / "test.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    per = {i: [r["text"].strip() for r in rows if r["category"] == i][:PER_INTENT] for i in INTENTS}
    return [(intent, per[intent][k]) for k in range(PER_INTENT) for intent in INTENTS]


def load_corpus(runtime: Runtime, pairs: Sequence[tuple[str, str]]) -> dict[int, str]:
    """Store the messages as feedback; returns ``{item id: intent}``."""
    out = {}
    with runtime.database.session() as session:
        for index, (intent, text) in enumerate(pairs):
            item = service.create_feedback(
                session,
                CLI,
                {
                    "text": text,
                    "source_kind": "support_ticket",
                    "source_name": "test",
                    "external_id": f"b77-{index}",
                },
            )
            out[item.id] = intent
    return out
