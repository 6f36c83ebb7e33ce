"""Listing an app's routes with their full paths, across FastAPI versions.

Newer FastAPI keeps included routers as lazy ``_IncludedRouter`` entries in
``app.routes``; ``fastapi.routing.iter_route_contexts`` flattens them. Older
versions copy every route into ``app.routes`` with its prefix already applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    dependant: Dependant


def api_routes(app: FastAPI) -> list[RouteInfo]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI without lazy routers
        return [
            RouteInfo(r.path, frozenset(r.methods), r.dependant)
            for r in app.routes
            if isinstance(r, APIRoute)
        ]
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            found.append(
                RouteInfo(
                    context.path, frozenset(context.methods or ()), context.original_route.dependant
                )
            )
    return found


def mounts(app: FastAPI) -> list[Any]:
    return [r.path for r in app.routes if isinstance(r, Mount)]
