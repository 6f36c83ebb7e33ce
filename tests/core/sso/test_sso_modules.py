"""Every SSO module declares a complete ``__all__`` and keeps to its size budget."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pilothouse.core.sso as sso
from tests.support.module_rules import defined_names, long_functions

MODULES = [
    *sorted(m.name for m in pkgutil.iter_modules(sso.__path__, "pilothouse.core.sso.")),
    "pilothouse.web.pages.sso",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_complete_and_modules_stay_small(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(getattr(module, "__all__", ()))
    defined = defined_names(module)
    if name.endswith(".pages.sso"):
        defined = {d for d in defined if not d.startswith("sso_")}  # handlers: via router
    assert defined <= exported, f"{name} does not export {sorted(defined - exported)}"
    assert all(hasattr(module, member) for member in exported)
    assert inspect.getsource(module).count("\n") <= 800
    assert long_functions(module) == [], f"{name}: functions over 40 lines"
