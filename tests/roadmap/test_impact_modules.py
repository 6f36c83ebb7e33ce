"""The impact package keeps the roadmap's module rules: complete ``__all__``, small modules
and functions of at most 40 lines."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pilothouse.roadmap.impact as impact
from tests.support.module_rules import defined_names, long_functions

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(impact.__path__, "pilothouse.roadmap.impact.")
)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete_and_functions_are_short(name: str) -> None:
    module = importlib.import_module(name)
    defined = defined_names(module)
    exported = set(module.__all__)
    if name.endswith(".routes"):
        assert exported == {"router"}
    else:
        assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert inspect.getsource(module).count("\n") <= 550
    long = long_functions(module)
    assert not long, f"{name}: functions over 40 lines: {long}"
