"""ASGI middleware: security headers on every response, and a request body size limit."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilothouse.core.config import Settings
from pilothouse.metrics.segment import KINDS as INGEST_KINDS

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "BodyCap",
    "BodySizeLimit",
    "SecurityHeaders",
    "route_body_caps",
]

#: No inline script and no third-party origin: everything the UI needs is served by the app.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set them itself.

    ``Strict-Transport-Security`` goes only on HTTPS responses (the request's scheme,
    which uvicorn takes from ``X-Forwarded-Proto`` behind a trusted proxy): sent over
    plain HTTP it would be ignored, and on a loopback install it would pin the port.
    """

    def __init__(self, app: ASGIApp, hsts_max_age: int = 0) -> None:
        self.app = app
        self.hsts = (
            [(b"strict-transport-security", f"max-age={hsts_max_age}; includeSubDomains".encode())]
            if hsts_max_age > 0
            else []
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _HEADERS + (self.hsts if scope.get("scheme") == "https" else [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in headers if k not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class BodyCap:
    """The body limit of one route, and the setting that sets it (named in the refusal)."""

    max_bytes: int
    setting: str


class BodySizeLimit:
    """Refuses request bodies over their limit with 413, by header or while streaming.

    Every request has the global limit, except the paths in ``route_caps`` (uploads,
    tracking calls), which have their own. A declared ``Content-Length`` over the
    limit is refused before the app runs, so no route and no database sees it. A
    chunked body is counted as it is read; going over raises an HTTP 413 that the
    error handlers render in the usual problem format (or error page).
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        route_caps: Mapping[str, BodyCap] | None = None,
    ) -> None:
        self.app = app
        self.default = BodyCap(max_bytes, "PILOTHOUSE_MAX_BODY_BYTES")
        self.route_caps = dict(route_caps or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        cap = self.route_caps.get(path.rstrip("/") or "/", self.default)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap.max_bytes:
            await _refuse(send, path, _detail(cap, path))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.max_bytes:
                    raise HTTPException(413, _detail(cap, path))
            return message

        await self.app(scope, limited_receive, send)


#: Form fields, boundaries and the file name around an uploaded file.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
#: Routes that take a file: the feedback import page and its API twin.
UPLOAD_PATHS = ("/feedback/import", "/api/v1/feedback/imports")


def route_body_caps(settings: Settings) -> dict[str, BodyCap]:
    """The per-route limits: uploads may be larger than other bodies, tracking calls not."""
    upload = BodyCap(
        settings.upload_max_bytes + UPLOAD_OVERHEAD_BYTES, "PILOTHOUSE_UPLOAD_MAX_BYTES"
    )
    ingest = BodyCap(settings.ingest_max_body_bytes, "PILOTHOUSE_INGEST_MAX_BODY_BYTES")
    caps = dict.fromkeys(UPLOAD_PATHS, upload)
    caps |= {f"/api/v1/{kind}": ingest for kind in (*INGEST_KINDS, "batch")}
    return caps


def _detail(cap: BodyCap, path: str) -> str:
    return (
        f"the request body is larger than the limit of {cap.max_bytes} bytes for {path} "
        f"(setting {cap.setting})"
    )


async def _refuse(send: Send, path: str, detail: str) -> None:
    """A 413 in the API's problem format, or a small page for the browser's forms."""
    if path.startswith("/api/"):
        body: dict[str, Any] = {
            "type": "urn:pilothouse:problem:payload-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": detail,
        }
        payload, kind = json.dumps(body).encode(), b"application/problem+json"
    else:
        page = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Request too large</title>"
            f"<h1>Request body too large</h1><p>{html.escape(detail)}.</p>"
            "<p>Go back and choose a smaller file, or use the command line for large imports.</p>"
        )
        payload, kind = page.encode(), b"text/html; charset=utf-8"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
