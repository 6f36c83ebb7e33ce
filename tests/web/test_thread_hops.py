"""A request hops into the thread pool only where it waits on the database (issue 14.3).

FastAPI runs every plain-function dependency, and a plain generator's start and end,
in the thread pool: each hop costs the event loop and a worker thread about 90 µs of
CPU and two wake-ups. Opening the request's session and parsing list filters send
nothing to the database, so they run on the event loop; the credentials check, the
route, the answer's validation (FastAPI's, for plain routes) and the commit hop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.web.app import create_app
from tests.support.accounts import Accounts


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of each function sent to the thread pool, in order."""
    sent: list[str] = []
    original = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(getattr(func, "func", func), "__qualname__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    yield sent


def test_a_list_hops_for_its_credentials_work_answer_and_commit(
    runtime: Runtime, accounts: Accounts, hops: list[str]
) -> None:
    client = TestClient(create_app(runtime=runtime, migrate=False))
    headers = accounts.bearer(accounts.person(Role.editor))
    for path in ("/api/v1/roadmap/items?kind=feature", "/api/v1/feedback?limit=5"):
        hops.clear()
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
        assert len(hops) == 4, (path, hops)
        assert hops[0] == "_authenticate_and_note"
        assert hops[-1].endswith("__exit__")  # the commit


def test_an_error_in_a_route_still_rolls_back_in_the_pool(
    runtime: Runtime, accounts: Accounts, hops: list[str]
) -> None:
    """A refused write ends its session in the thread pool too, and stores nothing."""
    client = TestClient(create_app(runtime=runtime, migrate=False))
    headers = accounts.bearer(accounts.person(Role.editor))
    before = client.get("/api/v1/feedback", headers=headers).json()["items"]
    hops.clear()
    bad = client.post(
        "/api/v1/feedback",
        json={"items": [{"text": "Exports time out"}, {"text": ""}]},
        headers=headers,
    )
    assert bad.status_code == 422, bad.text
    assert hops[-1].endswith("__exit__")
    assert client.get("/api/v1/feedback", headers=headers).json()["items"] == before
