"""Sentiment per item: a logistic-regression head on the same embeddings.

The embeddings are already computed for themes, so sentiment costs one dot
product per item. The shipped head (``data/sentiment_head.json``) was trained
on the UCI Sentiment Labelled Sentences (Kotzias et al. 2015, 3,000 Amazon,
Yelp and IMDb sentences, CC BY 4.0) by ``benchmarks/feedback_synthesis.py
--train-sentiment``; it is tied to the embedding model it was trained on and
refuses vectors of another model. The training data has two classes; items
whose positive probability falls inside ``neutral_band`` are neutral.

``also_for`` lists builds of the same model whose vectors the head was measured on
and found within noise, so it serves them unchanged: the smoothed int8 build
(issue 14.7; vectors at mean cosine 0.999 to the fp32 ones, accuracies in
``docs/synthesis.md``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pilothouse.feedback.synthesis.config import SentimentConfig
from pilothouse.feedback.synthesis.results import SentimentResult

__all__ = ["DEFAULT_HEAD", "SentimentHead", "train_sentiment_head"]

DEFAULT_HEAD = Path(__file__).parent / "data" / "sentiment_head.json"


@dataclass(frozen=True)
class SentimentHead:
    """A binary logistic head: ``P(positive) = sigmoid(v . coef + intercept)``.

    Attributes:
        model_id: Embedding model the head was trained on.
        coef: Weights, one per embedding dimension.
        intercept: Bias.
        trained_on: Where the training labels came from.
        also_for: Other model ids (builds of the same model) the head was
            validated on and serves as it is.
    """

    model_id: str
    coef: np.ndarray
    intercept: float
    trained_on: str = ""
    also_for: tuple[str, ...] = ()

    def accepts(self, model_id: str) -> bool:
        """Whether vectors of ``model_id`` may be scored by this head."""
        return model_id == self.model_id or model_id in self.also_for

    @classmethod
    def load(cls, path: Path = DEFAULT_HEAD) -> SentimentHead:
        """Read a head from JSON."""
        data = json.loads(Path(path).read_text())
        coef = np.asarray(data["coef"], dtype=np.float32)
        also = tuple(data.get("also_for", ()))
        trained_on = data.get("trained_on", "")
        return cls(data["model_id"], coef, float(data["intercept"]), trained_on, also)

    def save(self, path: Path) -> None:
        """Write the head as JSON (weights rounded to 6 decimals)."""
        data = {
            "model_id": self.model_id,
            "trained_on": self.trained_on,
            "also_for": list(self.also_for),
            "intercept": round(self.intercept, 6),
            "coef": [round(float(c), 6) for c in self.coef],
        }
        Path(path).write_text(json.dumps(data) + "\n")

    def positive(self, vectors: np.ndarray, model_id: str) -> np.ndarray:
        """Probability of positive per row.

        Raises:
            ValueError: The vectors come from another model than the head's.
        """
        if not self.accepts(model_id):
            raise ValueError(f"sentiment head is for {self.model_id}, not {model_id}")
        logits = np.atleast_2d(vectors).astype(np.float64) @ self.coef + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logits)))

    def predict(
        self, vectors: np.ndarray, model_id: str, config: SentimentConfig | None = None
    ) -> list[SentimentResult]:
        """Label each row positive, neutral or negative."""
        low, high = (config or SentimentConfig()).neutral_band
        out = []
        for p in self.positive(vectors, model_id):
            label = "positive" if p >= high else "negative" if p <= low else "neutral"
            out.append(SentimentResult(label, float(p)))
        return out


def train_sentiment_head(
    vectors: np.ndarray, positive: np.ndarray, model_id: str, trained_on: str, c: float = 4.0
) -> SentimentHead:
    """Fit a head on labelled vectors (``positive`` is 1 for positive, 0 for negative).

    Training only (the shipped head is data): needs ``pilothouse[training]``.

    Raises:
        ImportError: scikit-learn is not installed; the message names the extra.
    """
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise ImportError(
            "training a sentiment head needs scikit-learn: pip install 'pilothouse[training]'"
        ) from exc

    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(np.asarray(vectors, dtype=np.float64), np.asarray(positive, dtype=np.int64))
    return SentimentHead(
        model_id, model.coef_[0].astype(np.float32), float(model.intercept_[0]), trained_on
    )
