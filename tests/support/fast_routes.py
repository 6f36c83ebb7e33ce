"""Share FastAPI's per-route build between the apps one test process creates.

FastAPI 0.16x includes routers lazily: each app builds every route it includes (the
dependency tree, a pydantic adapter per parameter, the request handler) on its first
requests, about 0.5-1 s of CPU for Pilothouse's 450-odd API and page routes.
Production builds one app per process; the suite builds one per test that uses
``app``/``client`` (over 600 tests). The build depends on the route and on how it is
included (prefix, dependencies, response class, ...), not on the app, except for
``dependency_overrides_provider`` (the app, for ``app.dependency_overrides``), which
neither the code nor the tests use: so a built route is reused by later apps that
include the same route the same way.

:func:`install` does nothing when FastAPI no longer has the private method it wraps
(the suite is then only slower), or when ``PILOTHOUSE_TEST_SHARED_ROUTES=0``. An app
that sets ``dependency_overrides`` is refused loudly rather than served a stale route.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

__all__ = ["install"]

_cache: dict[tuple[int, str], tuple[Any, Any]] = {}


def _context_key(include_context: Any) -> str:
    """Everything the route build reads from its include context, but the app."""
    fields = {
        f.name: getattr(include_context, f.name)
        for f in dataclasses.fields(include_context)
        if f.name != "dependency_overrides_provider"
    }
    fields["included_router"] = id(fields["included_router"])
    return repr(sorted(fields.items()))


def install() -> None:
    if os.environ.get("PILOTHOUSE_TEST_SHARED_ROUTES", "1") == "0":
        return
    try:
        from fastapi.routing import _EffectiveRouteContext
    except ImportError:
        return
    build = getattr(_EffectiveRouteContext, "from_api_route", None)
    if build is None or getattr(build, "_pilothouse_shared", False):
        return
    original = build.__func__

    def from_api_route(cls: type, *, original_route: Any, include_context: Any) -> Any:
        provider = include_context.dependency_overrides_provider
        if getattr(provider, "dependency_overrides", None):
            raise AssertionError("tests/support/fast_routes.py: dependency_overrides in use")
        key = (id(original_route), _context_key(include_context))
        hit = _cache.get(key)
        if hit is not None and hit[0] is original_route:
            return hit[1]
        built = original(cls, original_route=original_route, include_context=include_context)
        _cache[key] = (original_route, built)
        return built

    from_api_route._pilothouse_shared = True  # type: ignore[attr-defined]
    _EffectiveRouteContext.from_api_route = classmethod(from_api_route)  # type: ignore[method-assign,assignment]
