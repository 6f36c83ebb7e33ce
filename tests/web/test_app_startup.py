"""What building the app costs, counted rather than timed (docs/benchmarks.md, "Start-up").

FastAPI analyses a route (signature, dependencies, body and response models) for
each inclusion that serves it, when first used. Including a router that nests others
without a prefix made it analyse all their routes once more, for nothing, while the
app was built: through one ``/api/v1`` router, every API route. These tests count
those analyses instead of timing them (timings on a shared machine are noise), and
check that the schema, built once, is also encoded once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pilothouse.core.config import Settings
from pilothouse.core.db import Database
from pilothouse.core.runtime import Runtime
from pilothouse.web.api import API_PREFIX
from pilothouse.web.app import create_app


def _build() -> FastAPI:
    settings = Settings(home=Path("/nonexistent-pilothouse-home"), database_url="sqlite://")
    return create_app(runtime=Runtime(settings=settings, database=Database("sqlite://")))


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Paths of the routes FastAPI analyses for an inclusion, in order."""
    paths: list[str] = []
    context_class: Any = fastapi.routing._EffectiveRouteContext  # noqa: SLF001 - counted here
    original = context_class.from_api_route.__func__

    def counting(cls: Any, **kwargs: Any) -> Any:
        context = original(cls, **kwargs)
        paths.append(context.path)
        return context

    monkeypatch.setattr(context_class, "from_api_route", classmethod(counting))
    yield paths


def test_building_the_app_analyses_no_api_route(analysed: list[str]) -> None:
    # Whether the counter sees analyses at all is checked by the next test (earlier
    # tests in the same process may have analysed the page routes already).
    app = _build()
    assert [path for path in analysed if path.startswith(API_PREFIX)] == []
    client = TestClient(app)
    assert client.get("/healthz").status_code == 200
    assert [path for path in analysed if path.startswith(API_PREFIX)] == []


def test_every_api_route_is_analysed_once(analysed: list[str]) -> None:
    app = _build()
    app.openapi()  # walks every route, as the first request to a late page does
    api = [path for path in analysed if path.startswith(API_PREFIX)]
    served = [
        c for c in fastapi.routing.iter_route_contexts(app.routes) if c.path.startswith(API_PREFIX)
    ]
    assert len(api) == len(served) > 200


def test_the_schema_is_built_and_encoded_once() -> None:
    app = _build()
    client = TestClient(app)
    first = client.get("/api/v1/openapi.json")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    schema = app.openapi()
    assert first.json() == schema
    encoded = app.state.openapi_json
    second = client.get("/api/v1/openapi.json")
    assert second.content == first.content
    assert app.state.openapi_json is encoded
    app.openapi_schema = None  # a rebuilt schema is encoded afresh, not served stale
    app.openapi()["info"]["title"] = "Rebuilt"
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Rebuilt"
