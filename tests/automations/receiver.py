"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records deliveries
and verifies Standard Webhooks signatures with its own code, written from the
specification's text (not by calling Pilothouse's signer):

    signed content = "{webhook-id}.{webhook-timestamp}.{raw body}"
    key            = base64-decode(secret without its "whsec_" prefix)
    signature      = base64(HMAC-SHA256(key, signed content))
    header         = space-separated "v1,<signature>" entries; any one may match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The spec's reference check: does any v1 signature match this secret?"""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    key = base64.b64decode(secret.split("_", 1)[1])
    content = msg_id.encode() + b"." + stamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for part in headers["webhook-signature"].split(" "):
        version, _, signature = part.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """Answers with the next code of ``codes`` (200 once they run out)."""

    codes: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    #: When set, requests wait for it before answering (a slow receiver).
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                size = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(size)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Received(headers, body))
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                code = receiver.codes.pop(0) if receiver.codes else 200
                try:
                    self.send_response(code)
                    self.end_headers()
                    self.wfile.write(b"ok" if code < 300 else b"nope")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender was killed while waiting for the answer

            def log_message(self, *_args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
