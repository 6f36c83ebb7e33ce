"""A ClickHouse HTTP endpoint backed by embedded ClickHouse (chdb), for the adapter's
server path: clickhouse-connect talks HTTP to it exactly as to a server.

Each request runs in a fresh chdb session whose start-up arguments are the request's
settings (``readonly``, ``max_execution_time``...), so the real engine enforces them,
as a server would. Errors come back as a server sends them: status 500, the
``X-ClickHouse-Exception-Code`` header and the message as the body. It serves the
process's chdb database, so it sees the tables the parity suite loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from chdb import session as chdb_session

from pilothouse.metrics.warehouses.clickhouse import clickhouse_error_code

__all__ = ["clickhouse_http_server"]

_Session: Any = chdb_session.Session


def _setting_names() -> frozenset[str]:
    probe = _Session(":memory:")
    try:
        text = probe.query("SELECT name FROM system.settings", "TabSeparated").bytes()
    finally:
        probe.close()
    return frozenset(text.decode().split())


class _Handler(BaseHTTPRequestHandler):
    settings: frozenset[str] = frozenset()
    requests: list[dict[str, str]]

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        params = dict(parse_qsl(urlsplit(self.path).query))
        length = int(self.headers.get("Content-Length") or 0)
        query = params.pop("query", "") + self.rfile.read(length).decode()
        self.requests.append(params)
        settings = {k: v for k, v in params.items() if k in self.settings}
        target = ":memory:" + (f"?{urlencode(settings)}" if settings else "")
        try:
            session = _Session(target)
            try:
                body = session.query(query, "TabSeparated").bytes()
            finally:
                session.close()
        except Exception as exc:
            message = str(exc).encode()
            self.send_response(500)
            self.send_header("X-ClickHouse-Exception-Code", str(clickhouse_error_code(str(exc))))
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        self.send_response(200)
        self.send_header("X-ClickHouse-Timezone", "UTC")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        del format, args  # keep test output quiet


@contextmanager
def clickhouse_http_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Serve on a free loopback port; yields the base URL and the requests' parameters."""
    requests: list[dict[str, str]] = []
    handler = type("Handler", (_Handler,), {"settings": _setting_names(), "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
