"""The pure metrics packages declare complete ``__all__``, never read env or a database,
and their docstring examples run (httpx ``test_exported_members``, sqlglot ``test_docs``)."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import pilothouse.metrics.compiler
import pilothouse.metrics.definitions
import pilothouse.metrics.warehouses

PACKAGES = [
    pilothouse.metrics.definitions,
    pilothouse.metrics.compiler,
    pilothouse.metrics.warehouses,
]
MODULES = [
    importlib.import_module(f"{package.__name__}.{info.name}")
    for package in PACKAGES
    for info in pkgutil.iter_modules(package.__path__)
    if package is not pilothouse.metrics.warehouses
    or info.name in ("base", "duckdb", "errors", "postgres", "registry")
]


def _name(module: ModuleType) -> str:
    return module.__name__.removeprefix("pilothouse.metrics.")


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_module_all_lists_its_public_members(module: ModuleType) -> None:
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)


@pytest.mark.parametrize("package", PACKAGES, ids=_name)
def test_package_exports_resolve(package: ModuleType) -> None:
    assert all(hasattr(package, name) for name in package.__all__)
    assert len(package.__all__) == len(set(package.__all__))


@pytest.mark.parametrize(
    "module", [m for m in MODULES if "warehouses" not in m.__name__], ids=_name
)
def test_pure_modules_never_read_the_environment_or_a_database(module: ModuleType) -> None:
    source = inspect.getsource(module)
    for forbidden in (
        "os.environ",
        "getenv",
        "sqlalchemy",
        "fastapi",
        "import os",
        "duckdb.connect",
        "psycopg",
    ):
        assert forbidden not in source, (module.__name__, forbidden)


@pytest.mark.parametrize("module", [*PACKAGES, *MODULES], ids=_name)
def test_docstring_examples_run(module: ModuleType) -> None:
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_modules_stay_small() -> None:
    for module in MODULES:
        assert len(inspect.getsource(module).splitlines()) < 800, module.__name__
