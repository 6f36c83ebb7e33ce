"""Config dataclasses for the synthesis engine.

Every knob of the engine is an explicit, frozen dataclass with a documented
default, passed in by the caller (the gbstats ``models/settings.py`` pattern):
the engine never reads the environment, so the service layer decides where
settings come from and tests build isolated configs. Defaults are the values
measured in ``benchmarks/feedback_synthesis.py`` and written up in
``docs/synthesis.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "AssignConfig",
    "ClusteringConfig",
    "DuplicateConfig",
    "EmbedderConfig",
    "LabelConfig",
    "SentimentConfig",
    "SteeringConfig",
    "SynthesisConfig",
]


@dataclass(frozen=True)
class EmbedderConfig:
    """Which embedding backend to load and how to run it.

    Attributes:
        backend: ``"minilm"`` (ONNX all-MiniLM-L6-v2, best quality), ``"static"``
            (a model2vec-format static model, fast), ``"tfidf"`` (the floor) or
            ``"auto"`` (the first of those that loads).
        model_path: An explicit ONNX file for ``minilm`` or a model2vec folder for
            ``static``; ``None`` means the packaged model. An explicit ONNX file
            must still match ``expected_sha256`` unless that is set to ``None``.
        expected_sha256: The sha256 the ONNX file must have; the packaged
            model's pin by default.
        batch_size: Texts per ONNX run. 32 measured fastest on two cores with
            texts sorted by length (runs of 16 to 64 are within noise).
        max_tokens: Word pieces kept per text, ``[CLS]`` and ``[SEP]`` included.
            64 since issue 14.7 (128 before, the length all-MiniLM-L6-v2 was
            trained on): short feedback is untouched (0.3% of BANKING77 messages
            reach 64), while long tickets embed faster (13% of IT tickets are cut;
            their vectors keep mean cosine 0.95 to the 128-piece ones, and the
            10-nearest-neighbour topic accuracy of 4,000 tickets moves from 0.792
            to 0.789). Measured by ``benchmarks/feedback_long_text.py``.
        threads: ONNX runs side by side, one thread each; 0 means one per CPU.
        dynamic_int8: Re-quantise the MatMuls dynamically at load for about
            twice the speed at slightly lower quality (needs the ``onnx``
            package; vectors get their own model id). See ``quantize.py``.
            Applies to ``precision="fp32"`` only.
        precision: ``"int8"`` (default since issue 14.7): the smoothed int8 build
            derived from the packaged model (:mod:`.int8`), 1.7x faster on long
            tickets with the same BANKING77 theme quality; model id
            ``all-MiniLM-L6-v2-onnx-sq-int8``. ``"fp32"``: the packaged model as
            it is (fp32 arithmetic), the exact vectors of earlier versions
            (model id ``all-MiniLM-L6-v2-onnx-int8``). Ignored with an explicit
            ``model_path``, which is always run as it is.
        cache_dir: Folder for the derived int8 file (the service passes
            ``<PILOTHOUSE_HOME>/models``); ``None`` builds it in memory per load
            (about 2 s). Not compared: configs differing only here are equal.
    """

    backend: str = "auto"
    model_path: Path | None = None
    expected_sha256: str | None = "default"
    batch_size: int = 32
    max_tokens: int = 64
    threads: int = 0
    dynamic_int8: bool = False
    precision: str = "int8"
    # Not part of the identity: the file is checked by hash, so any folder gives the same
    # model and one process keeps one loaded copy whatever the folder.
    cache_dir: Path | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ClusteringConfig:
    """Automatic theme discovery (see ``clustering.py`` for the why).

    Attributes:
        neighbors: k of the k-nearest-neighbour similarity graph.
        min_resolution: First Leiden resolution of the ladder (coarsest).
        max_resolution: Last rung; rungs grow by a factor of sqrt(2).
        patience: Rungs past the silhouette peak before the climb stops.
        min_theme_size: Groups smaller than this are folded into the nearest
            theme, as HDBSCAN outliers are in BERTopic's outlier reduction.
        min_theme_share: The same floor as a share of the corpus; the larger of
            the two applies, so a 10,000-item corpus is not cut into crumbs.
        silhouette_sample: Items sampled to score a partition (bounds the cost).
        seed: Seed of every random choice, so a run is reproducible.
    """

    neighbors: int = 12
    min_resolution: float = 0.25
    max_resolution: float = 32.0
    patience: int = 5
    min_theme_size: int = 5
    min_theme_share: float = 1 / 300
    silhouette_sample: int = 2500
    seed: int = 0


@dataclass(frozen=True)
class LabelConfig:
    """Theme labels, summaries and quotes.

    Attributes:
        keywords: Distinctive terms kept per theme (c-TF-IDF ranking).
        label_terms: Terms joined into the short label.
        quotes: Representative items kept per theme.
        max_quote_chars: Quotes longer than this are cut at a word boundary.
        phrase_candidates: Key phrases per theme shortlisted for embedding
            (see :mod:`.phrases`); bounds the labelling cost.
        phrase_min_share: A phrase must occur in this share of a theme's
            members (and in at least two) to be shortlisted.
        diversity: Weight of redundancy in Maximal Marginal Relevance (0: pure
            similarity to the centroid).
        share_weight: Added relevance per share of members using the phrase;
            0 (pure similarity, as KeyBERT) named BANKING77 intents best.
        specific_margin: A longer phrase containing the best one becomes the
            label when its similarity is at most this much lower.
        max_label_chars: Longest generated label.
    """

    keywords: int = 8
    label_terms: int = 3
    quotes: int = 3
    max_quote_chars: int = 280
    phrase_candidates: int = 20
    phrase_min_share: float = 0.05
    diversity: float = 0.3
    share_weight: float = 0.0
    specific_margin: float = 0.03
    max_label_chars: int = 48


@dataclass(frozen=True)
class AssignConfig:
    """Assigning a new item to an existing theme.

    Attributes:
        min_similarity: Below this cosine to the best theme the item stays
            unassigned (a candidate for a new theme at the next re-synthesis).
    """

    min_similarity: float = 0.35


@dataclass(frozen=True)
class SteeringConfig:
    """Steered themes: names, descriptions, keywords and example items.

    Attributes:
        name_weight: Weight of the theme's own text (name, description and
            keywords) against its examples in the theme prototype.
        min_similarity: Below this cosine an item is left unassigned.
    """

    name_weight: float = 1.0
    min_similarity: float = 0.0


@dataclass(frozen=True)
class DuplicateConfig:
    """Near-duplicate detection.

    Attributes:
        min_similarity: Cosine at or above which a later item is a repeat of an
            earlier one. 0.92 on all-MiniLM-L6-v2 keeps paraphrases of the same
            sentence and drops merely related items.
    """

    min_similarity: float = 0.92


@dataclass(frozen=True)
class SentimentConfig:
    """Sentiment from a logistic head on the embeddings.

    Attributes:
        neutral_band: Items whose positive probability lies strictly inside
            ``(low, high)`` are neutral.
    """

    neutral_band: tuple[float, float] = (0.3, 0.7)


@dataclass(frozen=True)
class SynthesisConfig:
    """Everything one synthesis run needs.

    Attributes:
        min_items: Fewer items than this return ``TOO_FEW_ITEMS`` and no themes.
        clustering: See :class:`ClusteringConfig`.
        labels: See :class:`LabelConfig`.
    """

    min_items: int = 10
    clustering: ClusteringConfig = field(default_factory=ClusteringConfig)
    labels: LabelConfig = field(default_factory=LabelConfig)
