"""The route guards (``web/route_guard.py``) answer exactly as FastAPI's own matching.

A guard may only say "no" where FastAPI would: every route's concrete path, its
trailing-slash twin and paths that match nothing are offered to every top-level entry,
guarded and unguarded, with each route's methods and another one (a 405 is a partial
match and must still be found).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match

from pilothouse.core.config import Settings
from pilothouse.core.db import Database
from pilothouse.core.migrate import upgrade
from pilothouse.core.runtime import Runtime
from pilothouse.web import route_guard
from pilothouse.web.app import create_app
from pilothouse.web.route_guard import Reach, include_guarded
from tests.support.routes import api_routes

NOWHERE = [
    "/",
    "/nope",
    "/api",
    "/api/v1",
    "/api/v1/",
    "/api/v1/nope",
    "/api/v1/roadmap/itemsX",
    "/roadmapx",
    "/static",
    "/static/",
    "/static/app.css",
    "/launches/",
    "//",
    "/login\n",  # a route's ``$`` matches before a final newline
    "/api/v1/batch\n",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    home: Path = tmp_path_factory.mktemp("guards")
    url = f"sqlite:///{home / 'pilothouse.db'}"
    settings = Settings(home=home, database_url=url, secret_key=secrets.token_urlsafe(32))
    database = Database(url)
    upgrade(database)  # the served-app test signs nobody in, but pages read settings
    yield create_app(runtime=Runtime(settings=settings, database=database), migrate=False)
    database.dispose()


def _scope(method: str, path: str, root_path: str = "") -> dict:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": root_path,
        "headers": [],
        "query_string": b"",
    }


def _twin(path: str) -> str:
    return path.rstrip("/") if path.endswith("/") and path != "/" else path + "/"


def _guarded(entry: BaseRoute) -> bool:
    return "matches" in vars(entry)


def test_every_entry_but_the_static_mount_is_guarded(app: FastAPI) -> None:
    entries = app.router.routes
    unguarded = [getattr(e, "path", type(e).__name__) for e in entries if not _guarded(e)]
    assert len(entries) > 40
    assert unguarded == ["/static"]


@pytest.mark.parametrize("root_path", ["", "/pilothouse"])
def test_guarded_answers_equal_fastapis_for_every_route(app: FastAPI, root_path: str) -> None:
    """Also under a root path: the request's path carries the prefix (an app mounted
    inside another, or behind a proxy that keeps it) or not (a proxy that strips it)."""
    routes = api_routes(app)
    assert len(routes) > 400
    offered = []
    for route in routes:
        concrete = re.sub(r"\{[^}]+\}", "x1", route.path)
        for path in (concrete, _twin(concrete)):
            for method in {*route.methods, "DELETE"}:
                offered.append((method, path))
    offered += [(method, path) for path in NOWHERE for method in ("GET", "POST")]
    if root_path:
        offered += [(method, root_path + path) for method, path in offered]
        offered += [("GET", root_path), ("GET", root_path + "x/roadmap")]
    differences = []
    matched = 0
    for method, path in offered:
        for entry in app.router.routes:
            guarded = entry.matches(_scope(method, path, root_path))
            unguarded = type(entry).matches(entry, _scope(method, path, root_path))
            if guarded != unguarded:
                differences.append((method, path, entry, guarded, unguarded))
            matched += guarded[0] is not Match.NONE
    assert not differences
    assert matched >= len(routes), "the concrete paths should match their own routes"


def test_a_request_under_a_root_path_is_guarded_too(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a ``root_path`` the route path is the path minus that prefix, as FastAPI's
    own matching takes it (``get_route_path``): behind a path prefix, the guards still
    spare the entries that cannot match (they stepped aside before)."""
    asked = []
    reach_of = route_guard._reach
    monkeypatch.setattr(route_guard, "_reach", lambda *a: asked.append(a) or reach_of(*a))
    scope = _scope("GET", "/pilothouse/launches/L-1", root_path="/pilothouse")
    answers = [entry.matches(dict(scope)) for entry in app.router.routes]
    expected = [type(entry).matches(entry, dict(scope)) for entry in app.router.routes]
    assert answers == expected
    assert any(match is Match.FULL for match, _ in answers)
    assert len(asked) >= sum(1 for e in app.router.routes if _guarded(e))  # each guard looked
    tried = [
        e
        for e in app.router.routes
        if _guarded(e) and e.matches.reach().may_match(get_route_path(dict(scope)))
    ]
    assert len(tried) == 1


def test_a_page_late_in_the_table_is_tried_by_its_own_router_only(app: FastAPI) -> None:
    """The point of the guards: only entries whose reach fits run FastAPI's matching."""
    tried = [
        e for e in app.router.routes if _guarded(e) and e.matches.reach().may_match("/launches/L-1")
    ]
    assert len(tried) == 1
    assert len(app.router.routes) > 40


def test_an_app_is_cheap_to_create_and_its_reaches_are_kept_per_router() -> None:
    """Listing an entry's paths makes FastAPI build every route's dependencies (half a
    second for the whole table): that happens when a request first asks the entry, once
    per router and prefix in a process, never when an app is created."""
    router = APIRouter(prefix="/probe")

    @router.get("/{thing}")
    def probe(thing: str) -> dict[str, str]:
        return {"thing": thing}

    listed: list[object] = []
    real = route_guard._iter_route_contexts

    def counting(routes):  # type: ignore[no-untyped-def]
        listed.append(routes)
        return real(routes)

    original = route_guard._iter_route_contexts
    route_guard._iter_route_contexts = counting
    try:
        first, second = FastAPI(), FastAPI()
        include_guarded(first, router)
        include_guarded(second, router)
        assert listed == []  # nothing listed while the apps are built
        with TestClient(first) as client:
            assert client.get("/probe/a").json() == {"thing": "a"}
            assert client.get("/elsewhere").status_code == 404
        assert len(listed) == 1
        with TestClient(second) as client:
            assert client.get("/probe/b").json() == {"thing": "b"}
        assert len(listed) == 1  # the second app used the first one's reach
    finally:
        route_guard._iter_route_contexts = original


def test_a_route_added_after_the_first_request_is_found() -> None:
    router = APIRouter(prefix="/later")

    @router.get("/first")
    def first() -> dict[str, str]:
        return {"route": "first"}

    app = FastAPI()
    include_guarded(app, router)
    with TestClient(app) as client:
        assert client.get("/later/first").json() == {"route": "first"}
        assert client.get("/elsewhere/second").status_code == 404

        @router.get("/elsewhere/second", include_in_schema=False)
        def second() -> dict[str, str]:
            return {"route": "second"}

        # FastAPI 0.165 counts the change; the guard works its reach out again.
        assert client.get("/later/elsewhere/second").json() == {"route": "second"}


def test_reach_keeps_literal_starts_and_exact_paths() -> None:
    reach = Reach(["/roadmap", "/roadmap/items/{key}", "/files/{path:path}", "/"])
    assert reach.may_match("/roadmap") and not reach.may_match("/roadmap/")
    assert reach.may_match("/roadmap/items/R-1") and reach.may_match("/roadmap/items/R-1/")
    assert reach.may_match("/files/") and reach.may_match("/files/a/b")
    assert reach.may_match("/")
    assert not reach.may_match("/roadmapx")
    assert not reach.may_match("/roadmap/items")  # ``{key}`` needs the slash and a key
    assert not reach.may_match("/launches")


def test_the_served_app_still_finds_pages_405s_404s_and_static_files(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert client.get("/login").status_code == 200
        assert client.get("/static/app.css").status_code == 200
        wrong_method = client.get("/api/v1/batch")
        assert wrong_method.status_code == 405
        assert client.get("/api/v1/no-such-thing").status_code == 404
        assert client.get("/no-such-page", follow_redirects=False).status_code == 404
        slash = client.get("/login/", follow_redirects=False)  # Starlette's slash redirect
        assert slash.status_code == 307
        assert slash.headers["location"].endswith("/login")
