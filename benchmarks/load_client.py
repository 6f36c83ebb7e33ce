"""A lean HTTP/1.1 client for the load benchmark: the server, not the client, should use the CPU.

``benchmarks/load.py`` runs on the same 2-core machine as the server it measures.
httpx's async client spent about 3-4 ms of CPU per request there (three quarters of a
core at 200 requests/s), CPU the server then lacked. This client writes each request
as bytes and reads the status, the headers it needs (``Content-Length``,
``Transfer-Encoding``, ``Connection``) and the body, over keep-alive connections. It
is not a general HTTP client: no redirects, cookies or TLS.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

__all__ = ["LeanClient", "LeanError"]


class LeanError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as expected."""


@dataclass
class LeanClient:
    """Keep-alive connections to one ``host:port``, opened as needed and reused."""

    host: str
    port: int
    headers: dict[str, str] = field(default_factory=dict)
    _idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        """Status and body. A kept-alive connection the server closed meanwhile is
        replaced once, as browsers do; any other failure raises :class:`LeanError`."""
        head = self._head(method, path, {**self.headers, **(headers or {})}, len(body))
        for attempt in (0, 1):
            reused = attempt == 0 and bool(self._idle)  # a retry takes a new connection
            reader, writer = self._idle.pop() if reused else await self._open()
            try:
                writer.write(head + body)
                status, payload, keep = await self._read(reader)
            except (OSError, asyncio.IncompleteReadError, LeanError) as exc:
                writer.close()
                if reused and attempt == 0:
                    continue
                raise LeanError(repr(exc)) from None
            if keep:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return status, payload
        raise LeanError("unreachable")

    async def close(self) -> None:
        for _reader, writer in self._idle:
            writer.close()
        self._idle.clear()

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)

    def _head(self, method: str, path: str, headers: dict[str, str], length: int) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if length or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _read(self, reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        raw = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = raw.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise LeanError(f"not an HTTP/1.1 answer: {status_line!r}")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            if name:
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked(reader)
        else:
            body = await reader.readexactly(int(fields.get("content-length", "0")))
        return int(parts[1]), body, fields.get("connection", "").lower() != "close"

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
