"""Adapters by kind. Subclasses register themselves; built-in modules load on first use.

Heavy drivers (chdb, pyspark) are imported only when a connection of that kind is
used. A new built-in kind is one line in ``BUILTIN_MODULES`` plus its module, whose
adapter class sets ``kind`` (registration happens in ``__init_subclass__``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pilothouse.metrics.warehouses.base import ADAPTERS, WarehouseAdapter
from pilothouse.metrics.warehouses.errors import UnsupportedError

__all__ = ["ALIASES", "BUILTIN_MODULES", "EXTRAS", "adapter_class", "create_adapter", "known_kinds"]

BUILTIN_MODULES: dict[str, str] = {
    "duckdb": "pilothouse.metrics.warehouses.duckdb",
    "postgresql": "pilothouse.metrics.warehouses.postgres",
    "clickhouse": "pilothouse.metrics.warehouses.clickhouse",
    "spark": "pilothouse.metrics.warehouses.spark",
    "trino": "pilothouse.metrics.warehouses.base",
    "bigquery": "pilothouse.metrics.warehouses.base",
    "snowflake": "pilothouse.metrics.warehouses.base",
}
ALIASES = {"postgres": "postgresql", "chdb": "clickhouse"}
#: The extra of Pilothouse that installs a kind's driver (the embedded DuckDB needs none).
EXTRAS = {"postgresql": "postgresql", "clickhouse": "warehouses", "spark": "warehouses"}


def known_kinds() -> tuple[str, ...]:
    return tuple(sorted(set(BUILTIN_MODULES) | set(ADAPTERS)))


def adapter_class(kind: str) -> type[WarehouseAdapter]:
    """The adapter class registered for ``kind``, importing its module if needed."""
    kind = ALIASES.get(kind, kind)
    if kind not in ADAPTERS and kind in BUILTIN_MODULES:
        try:
            importlib.import_module(BUILTIN_MODULES[kind])
        except ImportError as exc:
            extra = f"; pip install 'pilothouse[{EXTRAS[kind]}]'" if kind in EXTRAS else ""
            raise UnsupportedError(
                f"warehouse kind {kind!r} is not available: {exc}{extra}"
            ) from None
    try:
        return ADAPTERS[kind]
    except KeyError:
        kinds = ", ".join(known_kinds())
        raise UnsupportedError(f"unknown warehouse kind {kind!r} (known: {kinds})") from None


def create_adapter(
    kind: str, name: str, url: str, options: Mapping[str, Any] | None = None
) -> WarehouseAdapter:
    """An adapter for the connection ``name``; nothing is opened until the first query."""
    return adapter_class(kind)(name, url, options)
