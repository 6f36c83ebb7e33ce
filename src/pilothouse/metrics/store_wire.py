"""Frames between server processes and the process that owns the event store.

A frame is a 4-byte big-endian length followed by a pickle. Pickle keeps the
values DuckDB returns (``Decimal``, ``date``, ``datetime``, ``UUID``...) and the
messages a tracking call parsed exactly as they are in one process, with no
second encoding to keep in step. Unpickling is restricted to the classes listed
in :data:`ALLOWED`, so a frame can only build plain data, never call code; the
socket itself sits in a folder only the service account can open.
"""

from __future__ import annotations

import io
import pickle
import socket
import struct
from typing import Any

__all__ = ["ALLOWED", "StoreWireError", "read_frame", "write_frame"]

_HEADER = struct.Struct(">I")
#: Largest frame either side accepts (a result of a metric series is far smaller).
MAX_FRAME_BYTES = 512 * 1024 * 1024

ALLOWED = frozenset(
    {
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("uuid", "UUID"),
        ("zoneinfo", "ZoneInfo"),
        ("zoneinfo._zoneinfo", "ZoneInfo"),
        ("pilothouse.metrics.segment", "TrackedEvent"),
        ("pilothouse.metrics.segment", "Identify"),
        ("pilothouse.metrics.segment", "Group"),
    }
)


class StoreWireError(RuntimeError):
    """A frame could not be read: the peer went away or sent something not allowed."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise StoreWireError(f"a frame names {module}.{name}, which is not plain data")
        return super().find_class(module, name)


def write_frame(sock: socket.socket, value: object) -> None:
    """Send ``value`` as one frame."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def read_frame(sock: socket.socket) -> Any:
    """The next frame's value; :class:`StoreWireError` when the peer closed or misbehaved."""
    (length,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if length > MAX_FRAME_BYTES:
        raise StoreWireError(f"a frame of {length} bytes is over the {MAX_FRAME_BYTES} limit")
    try:
        return _RestrictedUnpickler(io.BytesIO(_read_exactly(sock, length))).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        raise StoreWireError(f"a frame could not be read: {exc}") from None


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            raise StoreWireError("the other process closed the connection")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
