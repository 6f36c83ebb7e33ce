"""Skip the included routers a request's path cannot reach.

FastAPI 0.165 keeps each included router as one entry of the app's route table and
tries the entries in order; each entry then tries every route below it, with scope
bookkeeping per try. With about 60 entries over 460 routes, a page whose router is
included late (the roadmap, a launch, the static files) spent about 1 ms per
request finding its route, and an API write that missed every route (a 405) about
5 ms.

Every route's path starts with a literal part (``/roadmap/items/`` of
``/roadmap/items/{key}``), and its regular expression only matches paths that start
with that part. So an entry whose literal starts and whole literal paths do not fit a
request's path cannot match it, fully or partly (a partial match is a path match with
another method), and its ``matches`` can answer "no" after one ``str.startswith``.
The guard is a shortcut, never a decision: when it lets a path through, FastAPI's own
matching runs unchanged and decides; entries below which anything but plain routes
live (the static files mount) are not guarded. Under a ``root_path`` (an app mounted
inside another, or served behind a path prefix) the guard looks at the path the way
FastAPI's matching does, without that prefix (``get_route_path``).
``tests/web/test_route_guard.py`` compares the guarded answer with FastAPI's for every
route, its trailing-slash twin and paths that match nothing, with and without a root
path.

``create_app`` includes every router through :func:`include_guarded`. The reach is kept
per router for the life of the process, with the change counts FastAPI keeps for the
router and those included under it: a route added later is seen at the next request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette._utils import get_route_path  # as FastAPI's own matching imports it
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

try:
    from fastapi.routing import iter_route_contexts as _iter_route_contexts
except ImportError:  # pragma: no cover - FastAPI < 0.165 copies routes into a flat table
    _iter_route_contexts = None  # type: ignore[assignment]

Matcher = Callable[[Scope], tuple[Match, Scope]]


class Reach:
    """The paths one route-table entry could match: exact paths and literal starts."""

    def __init__(self, paths: Iterable[str]) -> None:
        exact: set[str] = set()
        starts: set[str] = set()
        for path in paths:
            literal, brace, _ = path.partition("{")
            if brace:
                starts.add(literal)
            else:
                exact.add(path)
        self.exact = frozenset(exact)
        self.starts = tuple(sorted(starts))

    def may_match(self, path: str) -> bool:
        """False only when no route below the entry can match ``path``. (Starlette's
        trailing-slash redirect asks again with the other form of the path; a route's
        ``$`` also matches before a final newline, so ``/login%0A`` is ``/login``.)"""
        return (
            path in self.exact
            or path.startswith(self.starts)
            or (path.endswith("\n") and path[:-1] in self.exact)
        )


def include_guarded(app: FastAPI, router: APIRouter, *, prefix: str = "", **options: Any) -> None:
    """``app.include_router(router, prefix=prefix, ...)``, with a guard on the new entry.

    The entry's reach is worked out the first time a request asks it, and kept per
    router and prefix for the life of the process: listing an entry's paths makes
    FastAPI build every route's dependencies, about 0.5 s for the whole table, which
    a request walking past the entry pays anyway. Building it up front made every app
    cost half a second to create (the test suite creates hundreds); kept per router,
    the next app built from the same routers never builds the routers a request
    cannot reach.
    """
    app.include_router(router, prefix=prefix, **options)
    if _iter_route_contexts is None:  # FastAPI < 0.165: a flat table, nothing to gain
        return
    entry = app.router.routes[-1]  # the included router (0.165) or its last route
    _guard(entry, router, prefix)


@dataclass(frozen=True)
class _Known:
    """A router's reach and the route-table versions it was worked out from."""

    router: APIRouter  # kept, so that its id is not reused
    reach: Reach | None
    routers: tuple[Any, ...]  # the router and every router included under it
    versions: tuple[int, ...]

    def current(self) -> bool:
        """False once a route was added below the router (FastAPI counts changes)."""
        return _versions(self.routers) == self.versions


#: Reach per (router, prefix).
_REACHES: dict[tuple[int, str], _Known] = {}


def _reach(entry: BaseRoute, router: APIRouter, prefix: str) -> Reach | None:
    """The entry's reach, or None when something below it is not a plain route (a
    mount, a websocket): FastAPI decides for such an entry."""
    key = (id(router), prefix)
    known = _REACHES.get(key)
    if known is not None and known.current():
        return known.reach
    routers = tuple(_routers_under(router))
    versions = _versions(routers)
    paths: list[str] | None = []
    for context in _iter_route_contexts([entry]):
        if not isinstance(context.original_route, Route) or not context.path:
            paths = None
            break
        paths.append(context.path)
    reach = Reach(paths) if paths else None
    _REACHES[key] = _Known(router, reach, routers, versions)
    return reach


def _routers_under(router: Any) -> list[Any]:
    """The router and those included under it, at any depth (FastAPI 0.165 keeps an
    included router as an entry holding the original)."""
    found = [router]
    for route in getattr(router, "routes", []):
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += _routers_under(inner)
    return found


def _versions(routers: tuple[Any, ...]) -> tuple[int, ...]:
    """Each router's change count (FastAPI 0.165 bumps it when a route is added)."""
    return tuple(getattr(r, "_routes_version", 0) for r in routers)


def prepare_routes(routes: list[BaseRoute]) -> int:
    """Work out the reach of every guarded entry among ``routes``; returns how many.

    Working one out walks the routes below the entry, which is when FastAPI 0.165
    analyses them (their parameters and dependencies): 200 ms of CPU for the page
    routers of the roadmap alone, paid otherwise by the first request that reaches
    them. A served process calls this while it warms up (:mod:`pilothouse.web.warmup`).
    """
    prepared = 0
    for entry in routes:
        reach = getattr(entry.matches, "reach", None)
        if reach is not None:
            reach()
            prepared += 1
    return prepared


def _guard(entry: BaseRoute, router: APIRouter, prefix: str) -> None:
    fastapi_matches: Matcher = entry.matches

    def matches(scope: Scope) -> tuple[Match, Scope]:
        reach = _reach(entry, router, prefix)
        if reach is not None and not reach.may_match(get_route_path(scope)):
            return Match.NONE, {}
        return fastapi_matches(scope)

    matches.reach = lambda: _reach(entry, router, prefix)  # type: ignore[attr-defined]
    entry.matches = matches  # type: ignore[method-assign]  # this entry only
