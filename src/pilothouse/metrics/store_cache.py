"""What the embedded event store changed, and read results kept while it did not matter.

A metric's daily series over a past range does not change when today's events arrive,
yet it was read from DuckDB on every launch page view (about half of that page's CPU,
``benchmarks/request_cost.py``). The event store knows every write it commits, so it
keeps a short log of them (:class:`ChangeLog`): a sequence number per commit and the
earliest event timestamp the commit stored, or "anything" for a commit that changed
user or account traits (a filter or breakdown on traits can move any day).

A read whose result depends only on events *before* a horizon (a series ending on a
day, plus the days its cohorts take to settle) is kept in a :class:`ReadCache` with the
sequence number read before it ran; it is served again while no later commit stored an
event before its horizon. The check is exact, not a time-to-live: a tracked event that
lands in a cached range is seen on the next read. Only this process writes the store
(DuckDB admits one writing process), so the log is complete; nothing is shared between
processes, and a store opened again starts with an empty cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Hashable
from datetime import datetime
from typing import Any

__all__ = ["ChangeLog", "ReadCache"]


class ChangeLog:
    """Sequence numbers of the store's commits, each with the earliest time it touched.

    ``None`` as a commit's earliest time means it may have changed any day (traits).
    Only the last ``kept`` commits are remembered; a reader older than that is told
    that something changed.
    """

    def __init__(self, kept: int = 4096) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._log: deque[tuple[int, datetime | None]] = deque(maxlen=kept)

    def version(self) -> int:
        """The number of the last commit recorded (read it *before* reading the store)."""
        with self._lock:
            return self._version

    def record(self, earliest: datetime | None) -> None:
        """Note one committed write: its earliest event time (naive UTC), or ``None``."""
        with self._lock:
            self._version += 1
            self._log.append((self._version, earliest))

    def unchanged_since(self, version: int, horizon: datetime) -> int | None:
        """The current version when no commit after ``version`` touched a time before
        ``horizon`` (naive UTC); ``None`` when one did or the log no longer reaches back."""
        with self._lock:
            if version == self._version:
                return version
            if not self._log or self._log[0][0] > version + 1:
                return None
            for number, earliest in reversed(self._log):
                if number <= version:
                    break
                if earliest is None or earliest < horizon:
                    return None
            return self._version


class ReadCache:
    """Results of reads of the store, each valid until a write touches its horizon.

    Least recently used entries are dropped past ``entries`` or past ``weight`` in all
    (what the caller says an entry weighs: a series' rows), so memory stays bounded.
    Values must be immutable (they are shared between requests).
    """

    def __init__(self, changes: ChangeLog, entries: int = 256, weight: int = 100_000) -> None:
        self.changes = changes
        self.entries = entries
        self.weight = weight
        self._weight = 0
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, list[Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        """The kept value for ``key`` if no write since it was read touched its horizon.

        The change log is asked outside this cache's lock: for a worker of ``serve
        --workers`` that is a round trip to the owning process, which must not hold up
        the other threads' lookups.
        """
        with self._lock:
            entry = self._kept.get(key)
        if entry is None:
            self.misses += 1
            return None
        version, horizon, value, _ = entry
        current = self.changes.unchanged_since(version, horizon)
        with self._lock:
            if current is None:
                if self._kept.get(key) is entry:
                    self._drop(key)
                self.misses += 1
                return None
            entry[0] = max(entry[0], current)  # later checks start from here
            if key in self._kept:
                self._kept.move_to_end(key)
            self.hits += 1
            return value

    def put(
        self, key: Hashable, version: int, horizon: datetime, value: Any, weight: int = 1
    ) -> None:
        """Keep ``value``, read at store ``version``, valid while nothing before ``horizon``
        is written."""
        if self.entries <= 0 or weight > self.weight:
            return
        with self._lock:
            if key in self._kept:
                self._drop(key)
            self._kept[key] = [version, horizon, value, weight]
            self._weight += weight
            while len(self._kept) > self.entries or self._weight > self.weight:
                self._drop(next(iter(self._kept)))

    def _drop(self, key: Hashable) -> None:
        """Forget ``key`` (the caller holds the lock)."""
        self._weight -= self._kept.pop(key)[3]
