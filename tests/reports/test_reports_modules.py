"""Every reports module declares a complete ``__all__``, and keeps modules and functions
to the project's size budget (800 lines, 40-line functions)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest

import pilothouse.reports as reports

MODULES = sorted(m.name for m in pkgutil.iter_modules(reports.__path__, "pilothouse.reports."))
HANDLERS = {"get_weekly_review", "weekly_review_page", "weekly_review_job", "voc_digest_job"}


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == name
    } - HANDLERS  # route and job handlers are reached through their router / registry
    exported = set(getattr(module, "__all__", ()))
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_stay_small(name: str) -> None:
    source = inspect.getsource(importlib.import_module(name))
    assert source.count("\n") <= 800
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= 40, f"{name}.{node.name} has {length} lines"
