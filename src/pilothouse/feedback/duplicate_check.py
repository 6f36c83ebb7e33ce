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
process and model. Each call reads only the rows added since (a range of the
primary key); the whole set is read again every :data:`RELOAD_SECONDS`, so a
vector replaced after an edit is seen within minutes. Aggregates over the
table (a count, the newest write) would tell sooner but cost 20 ms a call on
10,000 items, which is most of the per-item budget. Items deleted since are
never linked to: the originals are looked up before linking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pilothouse.feedback.embeddings import from_bytes
from pilothouse.feedback.models import FeedbackEmbedding, FeedbackItem
from pilothouse.feedback.synthesis import DuplicateConfig

__all__ = ["RELOAD_SECONDS", "link_new_duplicates"]

CONFIG = DuplicateConfig()
#: The longest a replaced vector stays unseen by this process.
RELOAD_SECONDS = 300.0


@dataclass
class _Vectors:
    """Stored vectors of one model: rows ``[:size]`` in use, room to append without copying."""

    ids: np.ndarray
    matrix: np.ndarray
    size: int
    loaded_at: float

    @property
    def max_id(self) -> int:
        return int(self.ids[: self.size].max()) if self.size else 0

    def append(self, ids: np.ndarray, rows: np.ndarray) -> None:
        need = self.size + ids.size
        if need > self.ids.size:  # grow by doubling: appending stays cheap on average
            capacity = max(need, 2 * self.ids.size)
            grown_ids, matrix = (
                np.zeros(capacity, dtype=np.int64),
                np.zeros((capacity, rows.shape[1]), dtype=np.float32),
            )
            grown_ids[: self.size], matrix[: self.size] = (
                self.ids[: self.size],
                self.matrix[: self.size],
            )
            self.ids, self.matrix = grown_ids, matrix
        self.ids[self.size : need] = ids
        self.matrix[self.size : need] = rows
        self.size = need


_cache: dict[tuple[str, str], _Vectors] = {}
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
    new_ids = {i.id for i in todo}
    with _lock:
        stored = _stored_vectors(session, model_id)
        ids, matrix = stored.ids[: stored.size], stored.matrix[: stored.size]
        older = ~np.isin(ids, list(new_ids))  # the new items are compared in order below
        found: dict[int, list[int]] = {}  # new item → earlier items it repeats
        seen: list[tuple[int, np.ndarray]] = []  # new items already compared
        for item in todo:
            vector = vectors[item.id]
            if ids.size:
                close = (matrix @ vector >= CONFIG.min_similarity) & older & (ids < item.id)
                found[item.id] = ids[close].tolist()
            else:
                found[item.id] = []
            found[item.id] += [i for i, v in seen if float(v @ vector) >= CONFIG.min_similarity]
            seen.append((item.id, vector))
    olds = {item: sorted(c for c in cs if c not in new_ids) for item, cs in found.items()}
    existing = _first_existing_originals(session, olds)
    links: dict[int, int] = {}
    for item in todo:  # oldest first, so a repeat of a new repeat finds its original
        alive = [c for c in found[item.id] if c in existing or c in links or c in new_ids]
        if alive:
            first = min(alive)
            links[item.id] = links.get(first) or existing.get(first) or first
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


#: Earlier items checked at a time, per new item, for the first that still exists.
EARLIEST_CHECKED = 20


def _first_existing_originals(
    session: Session, candidates: dict[int, list[int]]
) -> dict[int, int | None]:
    """``{earlier item: its original}`` for enough of each new item's candidates (sorted,
    oldest first) to contain the oldest one that still exists.

    Only that one decides the link (later candidates have larger ids). A flood of
    near-identical messages gives every new one thousands of candidates; asking for
    all of them made each creation slower than the last (`benchmarks/load.py`).
    """
    known: dict[int, int | None] = {}
    checked: set[int] = set()
    offset = 0
    pending = {item: ids for item, ids in candidates.items() if ids}
    while pending:
        batch = {c for ids in pending.values() for c in ids[offset : offset + EARLIEST_CHECKED]}
        known.update(_originals(session, batch - checked))
        checked |= batch
        offset += EARLIEST_CHECKED
        pending = {
            item: ids
            for item, ids in pending.items()
            if len(ids) > offset and not any(c in known for c in ids[:offset])
        }
    return known


def _originals(session: Session, ids: set[int]) -> dict[int, int | None]:
    """``{item: its original or None}`` for those of ``ids`` that still exist."""
    if not ids:
        return {}
    rows = session.execute(
        select(FeedbackItem.id, FeedbackItem.duplicate_of_id).where(
            FeedbackItem.id.in_(sorted(ids))
        )
    )
    return {int(i): (int(p) if p is not None else None) for i, p in rows}


def _stored_vectors(session: Session, model_id: str) -> _Vectors:
    """The cached vectors of ``model_id``, with the rows added since read (call under the lock)."""
    key = (str(session.get_bind().url), model_id)  # one process may serve several databases
    cached = _cache.get(key)
    if cached is None or time.monotonic() - cached.loaded_at > RELOAD_SECONDS:
        ids, matrix = _read(session, model_id, after=0)
        cached = _cache[key] = _Vectors(ids, matrix, ids.size, time.monotonic())
        return cached
    count, newest = session.execute(
        select(func.count(), func.max(FeedbackEmbedding.item_id)).where(
            FeedbackEmbedding.model_id == model_id
        )
    ).one()
    if newest is not None and int(newest) > cached.max_id:
        ids, matrix = _read(session, model_id, after=cached.max_id)
        if ids.size:
            cached.append(ids, matrix)
    if cached.size != count:  # rows deleted, or another database behind the same URL
        ids, matrix = _read(session, model_id, after=0)
        cached = _cache[key] = _Vectors(ids, matrix, ids.size, time.monotonic())
    return cached


def _read(session: Session, model_id: str, *, after: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of the items with an id above ``after``."""
    rows = session.execute(
        select(FeedbackEmbedding.item_id, FeedbackEmbedding.vector).where(
            FeedbackEmbedding.model_id == model_id, FeedbackEmbedding.item_id > after
        )
    ).all()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    ids = np.array([int(i) for i, _ in rows], dtype=np.int64)
    return ids, np.vstack([from_bytes(raw) for _, raw in rows])
