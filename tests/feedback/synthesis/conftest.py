"""Fixtures for the synthesis engine tests: the real packaged model and real data.

The MiniLM model is loaded once per session (about half a second). Data comes
from ``../shared/data/feedback`` (see its README): BANKING77 (CC BY 4.0) and the
airline tweets (CC BY-NC-SA, test use only).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from pilothouse.feedback.synthesis import OnnxEmbedder

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "feedback"

#: Intents that a person can tell apart, taken from the BANKING77 test split.
INTENTS = (
    "card_arrival",
    "exchange_rate",
    "lost_or_stolen_phone",
    "passcode_forgotten",
    "terminate_account",
    "top_up_failed",
)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def embedder() -> OnnxEmbedder:
    return OnnxEmbedder()


@pytest.fixture(scope="session")
def banking() -> tuple[list[str], np.ndarray, list[str]]:
    """30 test messages of each of six intents: texts, intent index, intent names."""
    rows = read_rows(DATA / "banking77" / "test.csv")
    texts, labels = [], []
    for k, intent in enumerate(INTENTS):
        picked = [r["text"] for r in rows if r["category"] == intent][:30]
        texts += picked
        labels += [k] * len(picked)
    return texts, np.array(labels), list(INTENTS)


@pytest.fixture(scope="session")
def banking_vectors(embedder: OnnxEmbedder, banking) -> np.ndarray:
    return embedder.embed(banking[0])


@pytest.fixture(scope="session")
def airline() -> list[dict[str, str]]:
    return read_rows(DATA / "airline_tweets" / "Tweets.csv")
