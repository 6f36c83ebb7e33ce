"""Every workspace_code module declares a complete ``__all__``, stays within the size
budget (800 lines, 40-line functions), and imports neither ``web`` nor ``cli``
(it uses the domains' services, like they do; see docs/architecture.md)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pilothouse.workspace_code as workspace_code
from tests.support.module_rules import defined_names, long_functions

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(workspace_code.__path__, "pilothouse.workspace_code.")
)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(getattr(module, "__all__", ()))
    assert defined_names(module) <= exported, f"{name}: {defined_names(module) - exported}"
    assert all(hasattr(module, member) for member in exported)


@pytest.mark.parametrize("name", MODULES)
def test_modules_stay_small_and_import_no_web_or_cli(name: str) -> None:
    module = importlib.import_module(name)
    source = inspect.getsource(module)
    assert source.count("\n") <= 800
    assert not long_functions(module), f"{name}: {long_functions(module)}"
    assert "pilothouse.web" not in source and "pilothouse.cli" not in source
