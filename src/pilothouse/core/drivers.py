"""Database drivers that are optional extras, and the error that names the extra.

The embedded default (SQLite, DuckDB) needs no extra. PostgreSQL's driver,
psycopg, is installed with ``pip install 'pilothouse[postgresql]'``; without it
SQLAlchemy fails with a bare ``No module named 'psycopg'``. :func:`missing_driver`
turns that into a message that says what to install.
"""

from __future__ import annotations

__all__ = ["DRIVER_EXTRAS", "MissingDriverError", "missing_driver"]

#: Top-level module of a driver → the extra of Pilothouse that installs it.
DRIVER_EXTRAS = {"psycopg": "postgresql", "psycopg_binary": "postgresql"}


class MissingDriverError(ModuleNotFoundError):
    """A database URL names a driver that is not installed."""


def missing_driver(error: ModuleNotFoundError, url: str) -> MissingDriverError | None:
    """The clear error for ``error`` raised while opening ``url``, if it is a driver's.

    Returns ``None`` when the missing module is not a known driver (the caller
    re-raises the original error then).
    """
    module = (error.name or "").split(".")[0]
    extra = DRIVER_EXTRAS.get(module)
    if extra is None:
        return None
    scheme = url.split(":", 1)[0]
    return MissingDriverError(
        f"the database URL ({scheme}://...) needs the {module} driver, which is not "
        f"installed: pip install 'pilothouse[{extra}]'",
        name=module,
    )
