"""Stored embeddings: one float32 vector per feedback item and model, computed once.

A vector is kept as the raw little-endian float32 bytes of the unit vector
(1,536 bytes for MiniLM's 384 dimensions): compact, identical on SQLite and
PostgreSQL, and read back with one ``numpy.frombuffer``. Each row carries the
sha256 of the text it was made from, so an edited item is embedded again and an
unchanged one never is.

The embedding model is a lazily loaded, process-wide singleton per model
configuration: loading costs about half a second (sha256 check and ONNX
session), embedding one short text a few milliseconds. Every web worker and
job worker loads its own copy; the model is read-only, so nothing is shared
that workers could disagree about.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pilothouse.core.db import utcnow
from pilothouse.feedback.models import FeedbackEmbedding, FeedbackItem
from pilothouse.feedback.synthesis import EmbedderConfig, OnnxEmbedder
from pilothouse.feedback.synthesis.embedders import Embedder, normalize_rows

__all__ = [
    "STEP",
    "default_config",
    "embed_ahead",
    "embedder",
    "embedder_is_loaded",
    "ensure_embeddings",
    "from_bytes",
    "item_text",
    "load_if_in_use",
    "load_vectors",
    "text_hash",
    "to_bytes",
]

_lock = threading.Lock()
_embedders: dict[EmbedderConfig, Embedder] = {}

Progress = Callable[[int, int | None, str], None]


def default_config() -> EmbedderConfig:
    """The MiniLM configuration of this installation.

    ``PILOTHOUSE_FEEDBACK_EMBEDDING`` picks int8 (default) or fp32; the derived int8
    file lives in ``PILOTHOUSE_MODELS_DIR`` (default ``<PILOTHOUSE_HOME>/models``).
    Read per call rather than at import, so each process and test sees its own
    settings; building :class:`Settings` costs about 10 ms, so the answer is kept per
    value of the variables.
    """
    names = ("PILOTHOUSE_FEEDBACK_EMBEDDING", "PILOTHOUSE_HOME", "PILOTHOUSE_MODELS_DIR")
    return _config_for(tuple(os.environ.get(name) for name in names), os.getcwd())


@functools.lru_cache(maxsize=16)
def _config_for(_variables: tuple[str | None, ...], _cwd: str) -> EmbedderConfig:
    from pilothouse.core.config import Settings

    settings = Settings()
    return EmbedderConfig(
        backend="minilm",
        precision=settings.feedback_embedding,
        cache_dir=(settings.models_dir or settings.home / "models").resolve(),
    )


def embedder(config: EmbedderConfig | None = None) -> Embedder:
    """The process-wide MiniLM embedder, loaded on first use.

    Raises:
        ModelUnavailableError: The model package is missing or does not match its pin.
    """
    config = config or default_config()
    found = _embedders.get(config)
    if found is not None:
        return found
    with _lock:
        if config not in _embedders:
            _embedders[config] = OnnxEmbedder(config)
        return _embedders[config]


def embedder_is_loaded(config: EmbedderConfig | None = None) -> bool:
    """Whether :func:`embedder` would answer without loading the model."""
    return (config or default_config()) in _embedders


def load_if_in_use(session: Session) -> bool:
    """Load the embedder (0.3 s, once per process) when this workspace stores feedback
    vectors, that is when new feedback is embedded as it arrives; returns whether it
    is loaded. For a served process warming up: the first feedback item of each
    process otherwise paid for the load inside its request."""
    config = default_config()
    if embedder_is_loaded(config):
        return True
    stored = session.execute(select(FeedbackEmbedding.item_id).limit(1)).first()
    if stored is None:
        return False
    embedder(config)
    return True


def item_text(item: FeedbackItem) -> str:
    """What is embedded: the title (when there is one) and the text."""
    return composed_text(item.title, item.text)


def composed_text(title: str | None, text: str | None) -> str:
    """:func:`item_text` of a title and text not stored yet."""
    title = (title or "").strip()
    text = (text or "").strip()
    return f"{title}. {text}" if title and title not in text else text


# --- vectors made before a write transaction ------------------------------------------------

#: Vectors embedded ahead and not used yet, by (model id, text); the oldest are dropped.
_ahead: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_ahead_lock = threading.Lock()
AHEAD_KEPT = 256
#: A request with more texts embeds them in its transaction, as before: embedding
#: them ahead would let the memo drop some before they are used (and embed them twice).
AHEAD_MOST = 64
#: Longer texts are not kept (the API refuses them; the memo's size stays bounded).
AHEAD_MAX_CHARS = 20_000


def embed_ahead(texts: Iterable[tuple[str | None, str | None]]) -> int:
    """Embed ``(title, text)`` pairs of feedback about to be stored; returns how many.

    Why: a request that creates feedback embeds it after storing it, inside its
    transaction, and on SQLite that transaction holds the one write lock. Embedding
    first, before the route's first statement, takes the model's few milliseconds
    out of the lock; :func:`ensure_embeddings` then finds the vector here instead of
    embedding again. Only when the model is already loaded in this process (themes
    exist and an item was placed since the start): loading it is the first
    placement's work, not every request's. At most :data:`AHEAD_MOST` texts a call
    (a larger batch embeds in its transaction, as before). A vector that is never
    asked for (the item was refused, or was unchanged) is dropped once
    :data:`AHEAD_KEPT` newer ones are kept; a text changed on the way in (the service
    trims it, say) is simply embedded again.
    """
    if not embedder_is_loaded():
        return 0
    wanted = sorted({joined for pair in texts if (joined := composed_text(*pair))})
    wanted = [text for text in wanted if len(text) <= AHEAD_MAX_CHARS]
    if not wanted or len(wanted) > AHEAD_MOST:
        return 0
    model = embedder()
    matrix = normalize_rows(model.embed(wanted))
    with _ahead_lock:
        for text, vector in zip(wanted, matrix, strict=True):
            _ahead[(model.model_id, text)] = vector
            _ahead.move_to_end((model.model_id, text))
        while len(_ahead) > AHEAD_KEPT:
            _ahead.popitem(last=False)
    return len(wanted)


def _take_ahead(model_id: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
    """The vectors of ``texts`` embedded ahead, removed from the memo."""
    with _ahead_lock:
        found = {text: _ahead.pop((model_id, text), None) for text in texts}
    return {text: vector for text, vector in found.items() if vector is not None}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as little-endian float32 bytes."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(raw: bytes, dim: int | None = None) -> np.ndarray:
    vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if dim is not None and vector.size != dim:
        raise ValueError(f"stored vector has {vector.size} values, expected {dim}")
    return vector


def load_vectors(
    session: Session, model_id: str, item_ids: Iterable[int] | None = None
) -> dict[int, np.ndarray]:
    """Stored vectors of ``model_id``, by item id (all items when ``item_ids`` is None)."""
    query = select(FeedbackEmbedding.item_id, FeedbackEmbedding.vector).where(
        FeedbackEmbedding.model_id == model_id
    )
    if item_ids is not None:
        wanted = sorted(set(item_ids))
        out: dict[int, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = session.execute(query.where(FeedbackEmbedding.item_id.in_(chunk)))
            out.update({item_id: from_bytes(raw) for item_id, raw in rows})
        return out
    return {item_id: from_bytes(raw) for item_id, raw in session.execute(query)}


def ensure_embeddings(
    session: Session,
    items: Sequence[FeedbackItem],
    model: Embedder,
    progress: Progress | None = None,
) -> tuple[dict[int, np.ndarray], list[int]]:
    """Vectors of ``items``, embedding only those with no vector for their current text.

    The texts to embed are sorted by length over the whole set before they are
    cut into steps, so every ONNX batch pads to nearly the same length: on
    10,000 short messages that is three times faster than steps in input order,
    where each batch pads to its longest text. Identical texts are embedded once.
    New vectors are written with one multi-row INSERT per step.

    Returns:
        The vector of every item by id, and the ids embedded now (new or edited).
    """
    stored = _stored_rows(session, model.model_id, [i.id for i in items])
    texts = {item.id: item_text(item) for item in items}
    hashes = {item_id: text_hash(text) for item_id, text in texts.items()}
    missing = [i.id for i in items if i.id not in stored or stored[i.id][0] != hashes[i.id]]
    fresh = set(missing)
    vectors = {
        item_id: from_bytes(raw)
        for item_id, (_digest, raw) in stored.items()
        if item_id in texts and item_id not in fresh
    }
    by_text: dict[str, list[int]] = {}
    for item_id in missing:
        by_text.setdefault(texts[item_id], []).append(item_id)
    ahead = _take_ahead(model.model_id, by_text)
    unique = sorted((text for text in by_text if text not in ahead), key=len)
    total, done = len(missing), 0
    if progress:
        progress(0, total, "embedding")
    steps = [list(ahead)] if ahead else []
    steps += [unique[start : start + STEP] for start in range(0, len(unique), STEP)]
    for chunk in steps:
        if chunk and chunk[0] in ahead:
            matrix = np.vstack([ahead[text] for text in chunk])
        else:
            matrix = normalize_rows(model.embed(chunk))
        new_rows: list[dict[str, object]] = []
        for text, vector in zip(chunk, matrix, strict=True):
            for item_id in by_text[text]:
                vectors[item_id] = vector
                row = _row(item_id, model.model_id, vector, hashes[item_id])
                if item_id in stored:
                    _replace(session, row)
                else:
                    new_rows.append(row)
                done += 1
        if new_rows:
            session.execute(insert(FeedbackEmbedding), new_rows)
        if progress:
            progress(done, total, "embedding")
    return vectors, missing


#: Distinct texts embedded and stored per step (one progress tick each).
STEP = 512


def _stored_rows(
    session: Session, model_id: str, item_ids: Sequence[int]
) -> dict[int, tuple[str, bytes]]:
    """``{item id: (text hash, vector bytes)}`` of the stored vectors of these items."""
    query = select(
        FeedbackEmbedding.item_id, FeedbackEmbedding.text_hash, FeedbackEmbedding.vector
    ).where(FeedbackEmbedding.model_id == model_id)
    if len(item_ids) > 500:  # a whole corpus: one scan beats thousands of IN lists
        rows = session.execute(query)
    else:
        rows = session.execute(query.where(FeedbackEmbedding.item_id.in_(list(item_ids))))
    return {item_id: (digest, raw) for item_id, digest, raw in rows}


def _row(item_id: int, model_id: str, vector: np.ndarray, digest: str) -> dict[str, object]:
    return {
        "item_id": item_id,
        "model_id": model_id,
        "dim": int(vector.size),
        "vector": to_bytes(vector),
        "text_hash": digest,
        "processed": False,
        "created_at": utcnow(),
    }


def _replace(session: Session, row: dict[str, object]) -> None:
    """Overwrite the vector of an edited item (it is checked for duplicates again)."""
    session.execute(
        update(FeedbackEmbedding)
        .where(
            FeedbackEmbedding.item_id == row["item_id"],
            FeedbackEmbedding.model_id == row["model_id"],
        )
        .values({k: v for k, v in row.items() if k not in ("item_id", "model_id")})
    )
