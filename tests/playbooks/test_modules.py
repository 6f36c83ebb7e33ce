"""Every playbooks module declares a complete ``__all__`` and keeps to its size budget."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest

import pilothouse.playbooks as playbooks

MODULES = sorted(m.name for m in pkgutil.iter_modules(playbooks.__path__, "pilothouse.playbooks."))


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
        defined = {d for d in defined if d not in exported}  # handlers are reached via router
        assert "router" in exported
        return
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_stay_small(name: str) -> None:
    source = inspect.getsource(importlib.import_module(name))
    assert source.count("\n") <= 800, f"{name} is growing past its budget; split it"
    long = [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 40
    ]
    assert not long, f"{name}: functions longer than 40 lines: {long}"
