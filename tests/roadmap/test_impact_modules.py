"""The impact package keeps the roadmap's module rules: complete ``__all__``, small modules
and functions of at most 40 lines."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest

import pilothouse.roadmap.impact as impact

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(impact.__path__, "pilothouse.roadmap.impact.")
)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete_and_functions_are_short(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == name
    }
    exported = set(module.__all__)
    if name.endswith(".routes"):
        assert exported == {"router"}
    else:
        assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    source = inspect.getsource(module)
    assert source.count("\n") <= 550
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno - node.lineno < 40, f"{name}.{node.name} is too long"
