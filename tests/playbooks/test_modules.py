"""Every playbooks module declares a complete ``__all__`` and keeps to its size budget."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pilothouse.playbooks as playbooks
from tests.support.module_rules import defined_names, long_functions

MODULES = sorted(m.name for m in pkgutil.iter_modules(playbooks.__path__, "pilothouse.playbooks."))


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    defined = defined_names(module)
    exported = set(getattr(module, "__all__", ()))
    if name.endswith(("routes", "pages")):  # also ``template_pages``
        defined = {d for d in defined if d not in exported}  # handlers are reached via router
        assert "router" in exported
        return
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_stay_small(name: str) -> None:
    module = importlib.import_module(name)
    source = inspect.getsource(module)
    assert source.count("\n") <= 800, f"{name} is growing past its budget; split it"
    long = long_functions(module)
    assert not long, f"{name}: functions longer than 40 lines: {long}"
