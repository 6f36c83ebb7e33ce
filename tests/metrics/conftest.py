"""Fixtures for the metrics tests: the fixture catalog, data and one adapter per engine.

The DuckDB file and the PostgreSQL database are created once per session from
``tests/metrics/fixture_data.py`` and only read afterwards (the adapters are
read-only), so tests cannot disturb each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilothouse.metrics.compiler import WarehouseSchema
from pilothouse.metrics.definitions import Catalog, load_catalog
from pilothouse.metrics.warehouses import DuckDBAdapter, PostgresAdapter, WarehouseAdapter
from tests.metrics.fixture_data import FixtureData, generate, load_duckdb, load_postgres
from tests.metrics.reference import Reference

FIXTURES = Path(__file__).parent / "fixtures"
CATALOG_DIR = FIXTURES / "catalog"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(CATALOG_DIR)


@pytest.fixture(scope="session")
def fixture_data() -> FixtureData:
    return generate()


@pytest.fixture(scope="session")
def reference(fixture_data: FixtureData, catalog: Catalog) -> Reference:
    return Reference(fixture_data, catalog)


@pytest.fixture(scope="session")
def duckdb_adapter(
    fixture_data: FixtureData, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DuckDBAdapter]:
    path = tmp_path_factory.mktemp("metrics-duckdb") / "events.duckdb"
    load_duckdb(path, fixture_data)
    adapter = DuckDBAdapter("fixture-duckdb", f"duckdb:///{path}")
    yield adapter
    adapter.close()


@pytest.fixture(scope="session")
def postgres_url(fixture_data: FixtureData, database_factory) -> str:  # type: ignore[no-untyped-def]
    url = database_factory.new_url("postgresql")
    load_postgres(url, fixture_data)
    return url


@pytest.fixture(scope="session")
def postgres_adapter(postgres_url: str) -> PostgresAdapter:
    # A session time zone far from UTC proves no result depends on it.
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}options=-c%20TimeZone%3DAmerica/Los_Angeles"
    return PostgresAdapter("fixture-postgres", url)


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest) -> tuple[WarehouseAdapter, WarehouseSchema]:
    """Each execution test runs on both engines, with the schema each one uses."""
    if request.param == "duckdb":
        adapter: WarehouseAdapter = request.getfixturevalue("duckdb_adapter")
    else:
        adapter = request.getfixturevalue("postgres_adapter")
    return adapter, adapter.default_schema()
