"""Each module of the feedback UI exports exactly its public names (``__all__`` is complete)."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = (
    "pilothouse.feedback.insights",
    "pilothouse.feedback.insights_queries",
    "pilothouse.feedback.reports",
    "pilothouse.feedback.report_routes",
    "pilothouse.feedback.pages",
    "pilothouse.feedback.triage_pages",
)


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_every_public_definition(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == name
        and not hasattr(value, "__wrapped__")
    }
    exported = set(module.__all__)
    assert exported <= set(vars(module)), exported - set(vars(module))
    router = getattr(module, "router", None)
    handlers = {getattr(r, "endpoint", None) for r in router.routes} if router else set()
    routes = {a for a in defined if getattr(module, a) in handlers}  # reached by URL, not import
    assert defined - routes - exported == set()
