"""The SQL statements a piece of code sends, for tests that count or read them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def sent_statements(engine: Engine, connection: object = None) -> Iterator[list[str]]:
    """Statements sent through ``engine`` meanwhile, in order; only ``connection``'s when
    one is given (a served app's other threads may use the engine too)."""
    seen: list[str] = []

    def note(conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if connection is None or conn is connection:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
