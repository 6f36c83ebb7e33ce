"""Every automations module declares a complete ``__all__`` and keeps to the size rules
(modules up to 800 lines, functions up to 40)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest

import pilothouse.automations as automations

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(automations.__path__, "pilothouse.automations.")
) + ["pilothouse.cli.automations"]
ROUTERS = (".routes", ".pages")


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
    if name.endswith(ROUTERS):
        assert exported == {"router"}
        return
    if name == "pilothouse.cli.automations":
        assert exported == {"app", "webhooks_app"}
        return
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_stay_small(name: str) -> None:
    source = inspect.getsource(importlib.import_module(name))
    assert source.count("\n") <= 800, f"{name} is past 800 lines; split it"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 40
    ]
    assert not long, f"{name}: functions over 40 lines: {long}"
