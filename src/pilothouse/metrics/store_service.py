"""The event store served to several server processes from the one that owns it.

DuckDB lets one process open a file for writing, and no other process may open
it at all meanwhile. ``pilothouse serve --workers N`` therefore keeps the
:class:`~pilothouse.metrics.store.EventStore` in its supervising process and
serves it on a Unix socket; every worker process reaches it through
:class:`~pilothouse.metrics.store_client.RemoteEventStore`. Writes still go
through the store's one writer thread (group commit), and a worker answers a
tracking call only after the owner's reply, which comes after the commit that
holds its events: acknowledged events are as durable as with one process.

Requests are tuples ``(operation, *arguments)``; replies ``("ok", value)`` or
``(error_kind, detail)``. See :mod:`pilothouse.metrics.store_wire` for frames.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import socketserver
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pilothouse.metrics.store import EventStore
from pilothouse.metrics.store_wire import StoreWireError, read_frame, write_frame
from pilothouse.metrics.warehouses.duckdb import DuckDBAdapter
from pilothouse.metrics.warehouses.errors import WarehouseError, WarehouseTimeout

__all__ = ["StoreService", "socket_folder"]

log = logging.getLogger("pilothouse.events")


def socket_folder() -> Path:
    """A new folder only this account may open, short enough for a socket path.

    A Unix socket's path is limited to about 100 bytes, which a data folder deep
    in a home directory can exceed; the folder is made with mode 0700.
    """
    return Path(tempfile.mkdtemp(prefix="pilothouse-events-"))


class _Handler(socketserver.BaseRequestHandler):
    """One worker connection: requests answered in order until the worker hangs up."""

    server: _Server

    def handle(self) -> None:
        connections = self.server.connections
        connections.add(self.request)
        try:
            while True:
                try:
                    request = read_frame(self.request)
                    answer = self.server.service.answer(request)
                    write_frame(self.request, answer)
                except (StoreWireError, OSError):
                    return  # the worker closed its connection (or died), or we stop
        finally:
            connections.discard(self.request)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    service: StoreService
    connections: set[socket.socket]


class StoreService:
    """Serves one open :class:`EventStore` on a Unix socket, in background threads."""

    def __init__(self, store: EventStore, socket_path: Path) -> None:
        self.store = store
        self.socket_path = socket_path
        self._readers: dict[str, DuckDBAdapter] = {}
        self._server = _Server(str(socket_path), _Handler)
        self._server.service = self
        self._server.connections = set()
        os.chmod(socket_path, 0o600)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="event-store-service", daemon=True
        )
        self._operations: dict[str, Callable[..., Any]] = {
            "ping": lambda: None,
            "write": lambda fields: self.store.write(**fields).stored,
            "query": self._query,
            "counts": self.store.counts,
            "changes_version": self.store.changes.version,
            "unchanged_since": self.store.changes.unchanged_since,
            "export": self._export,
        }

    def start(self) -> StoreService:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering, then close the store (its queued writes finish first).

        Open worker connections are cut, so a worker still running gets
        :class:`~pilothouse.metrics.store_client.EventStoreUnavailable`, not a hang.
        """
        self._server.shutdown()
        self._server.server_close()
        for connection in list(self._server.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.store.close()
        shutil.rmtree(self.socket_path.parent, ignore_errors=True)

    def answer(self, request: tuple[Any, ...]) -> tuple[str, Any]:
        """The reply to one request; errors become replies, never a dropped connection."""
        operation, *arguments = request
        handler = self._operations.get(operation)
        if handler is None:
            return ("error", f"unknown event store operation {operation!r}")
        try:
            return ("ok", handler(*arguments))
        except WarehouseTimeout as exc:
            return ("warehouse-timeout", exc.detail)
        except WarehouseError as exc:
            return ("warehouse-error", exc.detail)
        except Exception as exc:  # reported to the worker, which raises it there
            log.exception("event store operation %s failed", operation)
            return ("error", f"{type(exc).__name__}: {exc}")

    def _query(self, name: str, sql: str, timeout_s: float) -> tuple[Any, Any]:
        reader = self._readers.get(name)
        if reader is None:
            reader = DuckDBAdapter(name, str(self.store.path), connection=self.store.connection)
            self._readers[name] = reader
        columns, rows = reader._run(sql, timeout_s)  # noqa: SLF001 - raw rows; worker normalises
        return list(columns), rows

    def _export(self, target: str) -> dict[str, int] | None:
        from pilothouse.core.backup_events import export_store

        return export_store(self.store.path, Path(target), self.store)
