"""Every automations module declares a complete ``__all__`` and keeps to the size rules
(modules up to 800 lines, functions up to 40)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pilothouse.automations as automations
from tests.support.module_rules import defined_names, long_functions

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(automations.__path__, "pilothouse.automations.")
) + ["pilothouse.cli.automations"]
ROUTERS = (".routes", ".pages")


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete(name: str) -> None:
    module = importlib.import_module(name)
    defined = defined_names(module)
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
    module = importlib.import_module(name)
    assert inspect.getsource(module).count("\n") <= 800, f"{name} is past 800 lines; split it"
    long = long_functions(module)
    assert not long, f"{name}: functions over 40 lines: {long}"
