"""Every reports module declares a complete ``__all__``, and keeps modules and functions
to the project's size budget (800 lines, 40-line functions)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pilothouse.reports as reports
from tests.support.module_rules import defined_names, long_functions

MODULES = sorted(m.name for m in pkgutil.iter_modules(reports.__path__, "pilothouse.reports."))
HANDLERS = {
    "get_weekly_review",
    "weekly_review_page",
    "weekly_review_job",
    "voc_digest_job",
    "get_leadership_digest",
    "leadership_digest_page",
    "leadership_digest_job",
}


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    defined = (
        defined_names(module) - HANDLERS
    )  # route and job handlers are reached through their router / registry
    exported = set(getattr(module, "__all__", ()))
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_stay_small(name: str) -> None:
    module = importlib.import_module(name)
    assert inspect.getsource(module).count("\n") <= 800
    long = long_functions(module)
    assert not long, f"{name}: functions over 40 lines: {long}"
