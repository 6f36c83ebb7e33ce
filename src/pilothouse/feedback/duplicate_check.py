"""Near-duplicates of new items, found as they arrive instead of at the next synthesis run.

A colleague logging "the export button does nothing" should see at once that it
repeats #412. The synthesis run links repeats over the whole corpus
(:func:`pilothouse.feedback.synthesis.find_duplicates`); this module does the
same for a few new items against every stored vector: each new item is linked
to the first item of the chain it repeats (cosine at or above
``DuplicateConfig.min_similarity``), and its vector is marked as checked so the
next run leaves it alone.

Comparing with every stored vector is one matrix-vector product (10,000 items:
well under a millisecond); reading them is not, so the vectors are kept per
process and model and refreshed from the database only when its vectors change
(the key is the count, the newest item id and the newest ``created_at``, which
an edited item's new vector also moves). Rows added since are read alone.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pilothouse.feedback.embeddings import from_bytes
from pilothouse.feedback.models import FeedbackEmbedding, FeedbackItem
from pilothouse.feedback.synthesis import DuplicateConfig

__all__ = ["link_new_duplicates"]

CONFIG = DuplicateConfig()


@dataclass
class _Vectors:
    key: tuple[object, ...]
    ids: np.ndarray
    matrix: np.ndarray


_cache: dict[str, _Vectors] = {}
_lock = threading.Lock()


def link_new_duplicates(
    session: Session, items: Sequence[FeedbackItem], vectors: dict[int, np.ndarray], model_id: str
) -> dict[int, int]:
    """Link each new item that repeats an earlier one; returns ``{item id: original id}``.

    Args:
        items: New items, oldest first; those without a vector are skipped.
        vectors: Their unit vectors (already stored for ``model_id``).
    """
    todo = [i for i in items if i.id in vectors and i.duplicate_of_id is None]
    if not todo:
        return {}
    stored = _stored_vectors(session, model_id)
    new_ids = {i.id for i in todo}
    older = ~np.isin(stored.ids, list(new_ids))  # the new items are compared in order below
    firsts: dict[int, int] = {}  # new item → the earliest item it repeats
    seen: list[tuple[int, np.ndarray]] = []  # new items already compared
    for item in todo:
        vector = vectors[item.id]
        if stored.ids.size:
            close = (stored.matrix @ vector >= CONFIG.min_similarity) & older
            candidates = stored.ids[close & (stored.ids < item.id)].tolist()
        else:
            candidates = []
        candidates += [i for i, v in seen if float(v @ vector) >= CONFIG.min_similarity]
        if candidates:
            firsts[item.id] = min(candidates)
        seen.append((item.id, vector))
    parents = _parents(session, set(firsts.values()))
    links: dict[int, int] = {}
    for item in todo:  # oldest first, so a repeat of a new repeat finds its original
        if item.id in firsts:
            first = firsts[item.id]
            links[item.id] = links.get(first) or parents.get(first) or first
    for item in todo:
        if item.id in links:
            item.duplicate_of_id = links[item.id]
    session.flush()
    session.execute(
        update(FeedbackEmbedding)
        .where(FeedbackEmbedding.model_id == model_id, FeedbackEmbedding.item_id.in_(new_ids))
        .values(processed=True)
    )
    return links


def _parents(session: Session, ids: set[int]) -> dict[int, int]:
    """``{item: original}`` for those of ``ids`` that are repeats themselves."""
    if not ids:
        return {}
    rows = session.execute(
        select(FeedbackItem.id, FeedbackItem.duplicate_of_id).where(
            FeedbackItem.id.in_(sorted(ids)), FeedbackItem.duplicate_of_id.is_not(None)
        )
    )
    return {int(i): int(p) for i, p in rows}


def _stored_vectors(session: Session, model_id: str) -> _Vectors:
    key = (
        model_id,
        *session.execute(
            select(
                func.count(),
                func.max(FeedbackEmbedding.item_id),
                func.max(FeedbackEmbedding.created_at),
            ).where(FeedbackEmbedding.model_id == model_id)
        ).one(),
    )
    with _lock:
        cached = _cache.get(model_id)
        if cached is not None and cached.key == key:
            return cached
        fresh = _load(session, model_id, key, cached)
        _cache[model_id] = fresh
        return fresh


def _load(
    session: Session, model_id: str, key: tuple[object, ...], cached: _Vectors | None
) -> _Vectors:
    """All vectors of the model, or only the rows added since ``cached`` when that is all."""
    query = select(FeedbackEmbedding.item_id, FeedbackEmbedding.vector).where(
        FeedbackEmbedding.model_id == model_id
    )
    appended = cached is not None and cached.ids.size and _only_added(session, model_id, cached)
    if appended and cached is not None:
        rows = session.execute(query.where(FeedbackEmbedding.item_id > int(cached.ids.max())))
        ids, matrix = _arrays(rows)
        if ids.size:
            return _Vectors(
                key, np.concatenate([cached.ids, ids]), np.vstack([cached.matrix, matrix])
            )
        return _Vectors(key, cached.ids, cached.matrix)
    ids, matrix = _arrays(session.execute(query.order_by(FeedbackEmbedding.item_id)))
    return _Vectors(key, ids, matrix)


def _only_added(session: Session, model_id: str, cached: _Vectors) -> bool:
    """Whether the rows the cache holds are unchanged (same count and newest time up to its max)."""
    count, newest = session.execute(
        select(func.count(), func.max(FeedbackEmbedding.created_at)).where(
            FeedbackEmbedding.model_id == model_id,
            FeedbackEmbedding.item_id <= int(cached.ids.max()),
        )
    ).one()
    return bool(count == cached.ids.size and newest == cached.key[3])


def _arrays(rows: object) -> tuple[np.ndarray, np.ndarray]:
    pairs = list(rows)  # type: ignore[call-overload]
    if not pairs:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    ids = np.array([int(i) for i, _ in pairs], dtype=np.int64)
    return ids, np.vstack([from_bytes(raw) for _, raw in pairs])
