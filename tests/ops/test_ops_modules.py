"""Every ops/health module declares a complete ``__all__`` and keeps to the size budget (800
lines, 40-line functions); each domain's ``health_reads`` module too."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pilothouse.ops.health as health
from tests.support.module_rules import defined_names, long_functions

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(health.__path__, "pilothouse.ops.health.")
) + [f"pilothouse.{d}.health_reads" for d in ("roadmap", "launches", "feedback", "experiments")]
#: Route handlers are reached through their router.
HANDLERS = {"get_ops_health", "get_ops_health_figure", "ops_health_page", "ops_health_figure_page"}


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    defined = defined_names(module) - HANDLERS
    exported = set(getattr(module, "__all__", ()))
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_stay_small(name: str) -> None:
    module = importlib.import_module(name)
    assert inspect.getsource(module).count("\n") <= 800
    long = long_functions(module)
    assert not long, f"{name}: functions over 40 lines: {long}"
