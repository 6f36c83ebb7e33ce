"""Every launches module declares a complete ``__all__`` and keeps to the size budget."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest

import pilothouse.launches as launches

MODULES = sorted(m.name for m in pkgutil.iter_modules(launches.__path__, "pilothouse.launches."))


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == name
    }
    exported = set(getattr(module, "__all__", ()))
    if name.endswith((".routes", ".pages")):
        return  # handlers are reached through the router
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_stay_small(name: str) -> None:
    source = inspect.getsource(importlib.import_module(name))
    assert source.count("\n") <= 800, f"{name} is past 800 lines; split it"
    long = [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 45  # type: ignore[operator]
    ]
    assert not long, f"{name}: functions over 45 lines: {long}"
