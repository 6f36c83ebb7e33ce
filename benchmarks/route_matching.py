"""Time spent finding a request's route, with the route guards and without (issue 14.3).

FastAPI 0.165 tries the app's included routers one by one; ``web/route_guard.py``
lets a router whose paths cannot fit the request answer "no" at once. This script
builds the app (no server, no database work), then for a few paths of the load mix
walks the route table the way Starlette's router does (first full match wins) in two
ways within the same run: through the guarded ``matches`` the app uses, and through
FastAPI's own ``matches`` of each entry (the guard bypassed). It prints microseconds
per lookup and the ratio.

    .venv/bin/python benchmarks/route_matching.py [--repeats 2000]
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.routing import Match

PATHS = [
    ("POST", "/api/v1/batch"),
    ("GET", "/api/v1/roadmap/items/FEAT-1"),
    ("GET", "/"),
    ("GET", "/feedback"),
    ("GET", "/roadmap"),
    ("GET", "/roadmap/items/FEAT-1"),
    ("GET", "/launches/LAUNCH-1"),
    ("GET", "/static/app.css"),
]


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _walk(entries: list[Any], scope: dict[str, Any], guarded: bool) -> int:
    for index, entry in enumerate(entries):
        matches = entry.matches if guarded else type(entry).matches.__get__(entry)
        match, _ = matches(dict(scope))
        if match is Match.FULL:
            return index
    return -1


def _per_lookup(entries: list[Any], scope: dict[str, Any], guarded: bool, repeats: int) -> float:
    _walk(entries, scope, guarded)  # warm-up: FastAPI builds the routes it walks past
    start = time.perf_counter()
    for _ in range(repeats):
        _walk(entries, scope, guarded)
    return (time.perf_counter() - start) / repeats * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()

    from pilothouse.core.config import Settings
    from pilothouse.core.db import Database
    from pilothouse.core.runtime import Runtime
    from pilothouse.web.app import create_app

    home = Path(tempfile.mkdtemp(prefix="route-matching-"))
    url = f"sqlite:///{home / 'pilothouse.db'}"
    settings = Settings(home=home, database_url=url, secret_key=secrets.token_urlsafe(32))
    app = create_app(runtime=Runtime(settings=settings, database=Database(url)), migrate=False)
    entries = list(app.router.routes)
    print(f"{len(entries)} entries in the route table; {args.repeats} lookups per path")
    print(f"{'request':40s} {'entry':>5s} {'FastAPI µs':>11s} {'guarded µs':>11s} {'ratio':>7s}")
    for method, path in PATHS:
        scope = _scope(method, path)
        index = _walk(entries, scope, guarded=True)
        assert index == _walk(entries, scope, guarded=False), path
        plain = _per_lookup(entries, scope, False, args.repeats)
        guarded = _per_lookup(entries, scope, True, args.repeats)
        label = f"{method} {path}"
        print(f"{label:40s} {index:5d} {plain:11.1f} {guarded:11.1f} {plain / guarded:6.1f}x")


if __name__ == "__main__":
    main()
