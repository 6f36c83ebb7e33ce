"""A worker process's view of an event store another process owns.

Used when ``PILOTHOUSE_EVENT_STORE_SOCKET`` is set (``pilothouse serve --workers N``
sets it for its workers; see :mod:`pilothouse.metrics.store_service`). It offers
what the app uses of :class:`~pilothouse.metrics.store.EventStore`: ``write``,
``counts``, a read-only warehouse adapter for metric queries, and the export a
backup needs. Each thread keeps its own connection to the owner, so requests of
different threads do not wait for each other on the socket.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pilothouse.core.errors import PilothouseError
from pilothouse.metrics.segment import Group, Identify, TrackedEvent
from pilothouse.metrics.store import StoreWrite
from pilothouse.metrics.store_cache import ReadCache
from pilothouse.metrics.store_wire import StoreWireError, read_frame, write_frame
from pilothouse.metrics.warehouses.base import WarehouseAdapter
from pilothouse.metrics.warehouses.duckdb import DuckDBAdapter
from pilothouse.metrics.warehouses.errors import WarehouseError, WarehouseTimeout

__all__ = [
    "EventStoreUnavailable",
    "RemoteChangeLog",
    "RemoteEventStore",
    "RemoteStoreAdapter",
]


class EventStoreUnavailable(PilothouseError):
    """The process that owns the event store did not answer; the caller may retry."""

    status = 503
    code = "event-store-unavailable"
    title = "Event store unavailable"


class RemoteEventStore:
    """The event store of another process, reached over its Unix socket."""

    def __init__(self, socket_path: Path, path: Path) -> None:
        self.socket_path = socket_path
        self.path = path  # the DuckDB file, for messages and backups' manifests
        self._local = threading.local()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        #: The owner's commit log, asked over the socket; kept reads stay in this process.
        self.changes = RemoteChangeLog(self)
        self.reads = ReadCache(self.changes)  # type: ignore[arg-type]

    def write(
        self,
        *,
        events: Sequence[TrackedEvent] = (),
        identifies: Sequence[Identify] = (),
        groups: Sequence[Group] = (),
        source_id: int | None = None,
        received_at: datetime,
    ) -> StoreWrite:
        """Store messages durably; returns after the owner's commit that holds them.

        Not retried on a broken connection: the owner may have committed already.
        The caller's client retries with the same message ids, which are stored once.
        """
        fields = {
            "events": list(events),
            "identifies": list(identifies),
            "groups": list(groups),
            "source_id": source_id,
            "received_at": received_at,
        }
        return StoreWrite(stored=self.call("write", fields))

    def counts(self) -> dict[str, int]:
        """Rows per table, for status pages and tests."""
        return self.call("counts")

    def export(self, target: Path) -> dict[str, int] | None:
        """Export the store into folder ``target`` (the owner writes it; same machine)."""
        return self.call("export", str(target))

    def reader(self, name: str) -> RemoteStoreAdapter:
        """A read-only warehouse adapter whose queries the owner runs."""
        return RemoteStoreAdapter(name, str(self.path), store=self)

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def call(self, operation: str, *arguments: Any) -> Any:
        """One request and its reply; errors of the owner are raised here."""
        sock = self._socket()
        try:
            write_frame(sock, (operation, *arguments))
            kind, value = read_frame(sock)
        except (OSError, StoreWireError) as exc:
            self._forget(sock)
            raise EventStoreUnavailable(
                f"the event store process did not answer ({exc}); retry shortly"
            ) from None
        if kind == "ok":
            return value
        if kind in ("warehouse-timeout", "warehouse-error"):
            raise _warehouse_error(kind, value, arguments)
        raise RuntimeError(f"event store {operation} failed in its process: {value}")

    def _socket(self) -> socket.socket:
        sock = getattr(self._local, "socket", None)
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(self.socket_path))
            except OSError as exc:
                sock.close()
                raise EventStoreUnavailable(
                    f"no event store process answers at {self.socket_path} ({exc}); "
                    "is `pilothouse serve` running?"
                ) from None
            self._local.socket = sock
            with self._lock:
                self._sockets.append(sock)
        return sock

    def _forget(self, sock: socket.socket) -> None:
        self._local.socket = None
        with self._lock:
            if sock in self._sockets:
                self._sockets.remove(sock)
        sock.close()


class RemoteChangeLog:
    """The owner's :class:`~pilothouse.metrics.store_cache.ChangeLog`, asked per check.

    A check is one round trip on the socket (tens of microseconds), far less than the
    DuckDB read a kept result saves; the owner's log is the only complete one.
    """

    def __init__(self, store: RemoteEventStore) -> None:
        self._store = store

    def version(self) -> int:
        return self._store.call("changes_version")

    def unchanged_since(self, version: int, horizon: datetime) -> int | None:
        return self._store.call("unchanged_since", version, horizon)


def _warehouse_error(kind: str, detail: str, arguments: tuple[Any, ...]) -> WarehouseError:
    name = arguments[0] if arguments else "embedded"
    if kind == "warehouse-timeout":
        timeout_s = float(arguments[2]) if len(arguments) > 2 else 0.0
        return WarehouseTimeout(detail, connection=name, timeout_s=timeout_s)
    return WarehouseError(detail, connection=name)


class RemoteStoreAdapter(WarehouseAdapter):
    """Read-only queries on the embedded store, run by the process that owns it.

    ``kind`` stays empty so this class does not replace DuckDB's entry in the
    adapter registry; everything else is DuckDB's.
    """

    kind: ClassVar[str] = ""
    dialect: ClassVar[str] = DuckDBAdapter.dialect
    JSON_STORAGE = DuckDBAdapter.JSON_STORAGE
    TIMESTAMPS_WITH_TIME_ZONE = DuckDBAdapter.TIMESTAMPS_WITH_TIME_ZONE

    def __init__(self, name: str, url: str, *, store: RemoteEventStore) -> None:
        super().__init__(name, url)
        self._store = store

    def _run(self, sql: str, timeout_s: float) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        columns, rows = self._store.call("query", self.name, sql, timeout_s)
        return columns, rows
