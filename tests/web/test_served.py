"""Over real HTTP against ``pilothouse serve`` in its own process (uvicorn, loopback)."""

from __future__ import annotations

import socket

import httpx

from pilothouse.core.models import Role
from tests.support.accounts import Accounts
from tests.support.served_app import ServedApp


def test_health_and_schema(served: ServedApp) -> None:
    health = httpx.get(f"{served.base_url}/healthz")
    assert health.status_code == 200 and health.json()["database"] == "ok"
    schema = httpx.get(f"{served.base_url}/api/v1/openapi.json").json()
    assert "/api/v1/areas" in schema["paths"]


def test_token_round_trip_over_http(served: ServedApp) -> None:
    accounts = Accounts(served.runtime)
    editor = accounts.person(Role.editor)
    with httpx.Client(base_url=served.base_url, headers=accounts.bearer(editor)) as api:
        created = api.post("/api/v1/areas", json={"name": "Checkout"})
        assert created.status_code == 201, created.text
        listed = api.get("/api/v1/areas").json()["items"]
        assert [a["name"] for a in listed] == ["Checkout"]
        assert api.get("/api/v1/me").json()["email"] == editor.email
    anonymous = httpx.get(f"{served.base_url}/api/v1/areas")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")


def test_chunked_oversize_body_is_refused(served: ServedApp) -> None:
    """No Content-Length: the limit is enforced while the body streams in."""
    accounts = Accounts(served.runtime)
    headers = accounts.bearer(accounts.person(Role.editor))
    limit = served.runtime.settings.max_body_bytes

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": "big", "description": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = httpx.post(
        f"{served.base_url}/api/v1/areas",
        content=chunks(),
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["status"] == 413
    with httpx.Client(base_url=served.base_url, headers=headers) as api:
        assert api.get("/api/v1/areas").json()["items"] == []


def test_malformed_http_does_not_take_the_server_down(served: ServedApp) -> None:
    host, port = served.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GARBAGE / HTTP/9.9\r\n\r\n")
        sock.recv(1024)
    assert httpx.get(f"{served.base_url}/healthz").status_code == 200
