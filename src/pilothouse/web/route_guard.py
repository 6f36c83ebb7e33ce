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
live (the static files mount) are not guarded; a request under a ``root_path`` (an
app mounted inside another, or served behind a path prefix) always takes FastAPI's
path. ``tests/web/test_route_guard.py`` compares the guarded answer with FastAPI's for
every route, its trailing-slash twin and paths that match nothing.

The route table must be complete when the guards are installed: ``create_app`` installs
them last, after every router and mount is included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

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
        trailing-slash redirect asks again with the other form of the path.)"""
        return path in self.exact or path.startswith(self.starts)


def install_route_guards(app: FastAPI) -> int:
    """Guard every top-level entry whose routes are all plain routes; returns how many.

    Older FastAPI versions copy every route into the app's table, each its own entry
    with its own regular expression: nothing is gained there, and nothing is installed.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI < 0.165: a flat route table
        return 0
    guarded = 0
    for entry in app.router.routes:
        paths = []
        for context in iter_route_contexts([entry]):
            if not isinstance(context.original_route, Route) or not context.path:
                break  # a mount, a websocket or something unknown: FastAPI decides
            paths.append(context.path)
        else:
            if paths:
                _guard(entry, Reach(paths))
                guarded += 1
    return guarded


def _guard(entry: BaseRoute, reach: Reach) -> None:
    fastapi_matches: Matcher = entry.matches

    def matches(scope: Scope) -> tuple[Match, Scope]:
        if not scope.get("root_path") and not reach.may_match(scope["path"]):
            return Match.NONE, {}
        return fastapi_matches(scope)

    matches.reach = reach  # type: ignore[attr-defined]  # for tests and debugging
    entry.matches = matches  # type: ignore[method-assign]  # this entry only
