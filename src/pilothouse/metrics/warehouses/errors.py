"""Errors raised when talking to a warehouse; each names the connection, never its secrets.

::

    PilothouseError
    ├── WarehouseError (502)           the warehouse failed the query
    │   ├── WarehouseUnreachable (502) cannot connect or open it
    │   └── WarehouseTimeout (504)     the query ran longer than allowed
    └── BadRequest (400)
        └── UnsupportedError           this kind of warehouse cannot do that
"""

from __future__ import annotations

from pilothouse.core.errors import BadRequest, PilothouseError

__all__ = ["UnsupportedError", "WarehouseError", "WarehouseTimeout", "WarehouseUnreachable"]


class WarehouseError(PilothouseError):
    status = 502
    code = "warehouse-error"
    title = "Warehouse error"

    def __init__(self, detail: str, *, connection: str) -> None:
        super().__init__(detail)
        self.connection = connection


class WarehouseUnreachable(WarehouseError):
    code = "warehouse-unreachable"
    title = "Warehouse unreachable"


class WarehouseTimeout(WarehouseError):
    status = 504
    code = "warehouse-timeout"
    title = "Warehouse query timed out"

    def __init__(self, detail: str, *, connection: str, timeout_s: float) -> None:
        super().__init__(detail, connection=connection)
        self.timeout_s = timeout_s


class UnsupportedError(BadRequest):
    code = "warehouse-unsupported"
    title = "Not supported by this warehouse"
