"""The app database: declarative base, engine set-up per backend, and sessions.

SQLite is the embedded default and PostgreSQL the production database. On SQLite
the engine turns on WAL, foreign keys and a busy timeout, and takes over
transaction control from pysqlite so that DDL is transactional too: a failed
migration then rolls back instead of leaving a half-migrated file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "Database",
    "LIKE_ESCAPE",
    "PoolLimits",
    "UTCDateTime",
    "WriteWhileReading",
    "execute_beside",
    "is_reading",
    "like_literal",
    "utcnow",
    "write_beside",
]

log = logging.getLogger(__name__)

#: The escape character :func:`like_literal` uses; pass it as ``like(..., escape=...)``.
LIKE_ESCAPE = "\\"


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern, matching itself only: ``%`` and ``_`` are characters
    there, not wildcards (with ``escape=LIKE_ESCAPE``, on SQLite and PostgreSQL alike)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: Execution option that tells :func:`_on_begin` how to start a SQLite transaction.
_SQLITE_BEGIN = "pilothouse_sqlite_begin"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; named constraints keep Alembic batch mode on SQLite reliable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zone type; without this, values read from SQLite would be
    naive while PostgreSQL's are aware, and comparisons would differ per backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use pilothouse.core.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _configure_sqlite(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred BEGIN lets two writers each read, then fail to upgrade their lock
        # with SQLITE_BUSY and no wait; IMMEDIATE takes the write lock first, so the
        # busy timeout applies. Sessions opened for reading (``Database.session(
        # reading=True)``, every GET request) begin DEFERRED instead: in WAL mode they
        # read a snapshot beside the one writer instead of queueing behind it. With
        # IMMEDIATE everywhere, one page render held the write lock and a load of
        # 50 requests/s queued into "database is locked" (benchmarks/load.py).
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


@dataclass(frozen=True)
class PoolLimits:
    """Connections one process may hold, and how long a request waits for one.

    A request that waits longer gets :class:`sqlalchemy.exc.TimeoutError`, which the
    web app answers with 503 and ``Retry-After`` (``web/shedding.py``).
    """

    size: int = 5
    max_overflow: int = 10
    timeout: float = 30.0


def _in_memory(url: str) -> bool:
    """SQLite in memory uses one connection per thread (no queue to size)."""
    return url.startswith("sqlite") and (url.rstrip("/").endswith(":") or ":memory:" in url)


class Database:
    """An engine and its session factory for one app database URL."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool: PoolLimits | None = None,
        sqlite_busy_timeout_s: float = 10.0,
    ) -> None:
        """``sqlite_busy_timeout_s``: how long a SQLite writer waits for the write lock
        before "database is locked" (which the web app answers with 503)."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if not self.is_sqlite:
            kwargs["pool_pre_ping"] = True
        if pool is not None and not _in_memory(url):  # one shared connection there
            kwargs.update(
                pool_size=pool.size, max_overflow=pool.max_overflow, pool_timeout=pool.timeout
            )
        try:
            self.engine = create_engine(url, **kwargs)
        except ModuleNotFoundError as exc:  # psycopg is an extra: say which
            from pilothouse.core.drivers import missing_driver

            error = missing_driver(exc, url)
            if error is None:
                raise
            raise error from exc
        if self.is_sqlite:
            _configure_sqlite(self.engine, sqlite_busy_timeout_s)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(**{_SQLITE_BEGIN: "DEFERRED"})
        self.reading_sessionmaker = sessionmaker(
            reader if self.is_sqlite else self.engine,
            expire_on_commit=False,
            info={"reading": True, "database": self},
        )
        event.listen(self.reading_sessionmaker, "before_flush", _note_write_while_reading)

    @contextmanager
    def session(self, *, reading: bool = False) -> Iterator[Session]:
        """A session that commits when the block succeeds and rolls back when it raises.

        ``reading=True`` is for work that mostly reads (GET requests): on SQLite its
        transaction does not take the write lock up front, so readers never wait for
        writers. It may still write, but a write there can fail with "database is
        locked" when another writer committed since it began reading; code on a
        read path that must write opens its own ``session()`` (see :func:`is_reading`).

        An error that carries a ``record`` function (a refusal worth keeping, see
        :mod:`pilothouse.core.errors`) has it written and committed after the
        rollback, in a transaction of its own; the error is raised either way.
        """
        session = (self.reading_sessionmaker if reading else self.sessionmaker)()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            record = getattr(exc, "record", None)
            if record is not None:
                exc.record = None  # kept once, even when sessions are nested
            if record is not None and is_reading(session):  # a write: not in a reader
                with self.session() as writer:
                    _keep_record(writer, record)
            else:
                _keep_record(session, record)
            raise
        finally:
            session.close()

    def write_aside(self, session: Session, statement: Executable) -> None:
        """Runs a small write beside ``session``: in a transaction of its own when
        ``session`` only reads (so the read never takes SQLite's write lock), else in it.

        For bookkeeping on read paths: a session's idle timer, a token's last use.
        """
        if is_reading(session):
            with self.session() as writer:
                writer.execute(statement)
        else:
            session.execute(statement)

    def ping(self) -> None:
        """Run ``SELECT 1``; raises when the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


class WriteWhileReading(RuntimeWarning):
    """A session opened for reading is about to write (see :meth:`Database.session`)."""


def _note_write_while_reading(session: Session, _context: Any, _instances: Any) -> None:
    """Names a write on a read path: on SQLite it can fail with "database is locked"
    when another writer committed since the read began. ``PILOTHOUSE_TEST_STRICT_READS=1``
    (the test suite) turns the warning into an error, so such paths are found."""
    changed = [*session.new, *session.dirty, *session.deleted]
    changed = [obj for obj in changed if session.is_modified(obj) or obj not in session.dirty]
    if not changed:
        return
    names = sorted({type(obj).__name__ for obj in changed})
    message = f"a reading session writes {', '.join(names)}; use Database.write_aside"
    if os.environ.get("PILOTHOUSE_TEST_STRICT_READS") == "1":
        raise WriteWhileReading(message)
    log.warning(message)


#: ``session.info`` key of the answers a reading session keeps (:func:`reading_memo`).
_MEMOS = "reading_memos"


def reading_memo(session: Session, name: str) -> dict[Any, Any]:
    """A dictionary that lives as long as ``session``'s snapshot, for answers a page asks
    for more than once (an item's keys, its evidence, the names of what it links to).

    Only for reading sessions (callers check :func:`is_reading`): nothing a GET does can
    change those answers, except :func:`write_beside`, which ends the snapshot and
    forgets every memo with it.
    """
    memos: dict[str, dict[Any, Any]] = session.info.setdefault(_MEMOS, {})
    return memos.setdefault(name, {})


@contextmanager
def write_beside(session: Session) -> Iterator[Session]:
    """A session to write in from code that may run on a read path (first-use seeding).

    For an ordinary session that is the session itself. For a reading one it is a
    short transaction of its own, committed at the end of the block; the reading
    session's transaction is then ended too, so that its next query (a new snapshot
    on SQLite) sees what was written.
    """
    database = session.info.get("database")
    if not is_reading(session) or database is None:
        yield session
        return
    with database.session() as writer:
        yield writer
    session.commit()
    session.info.pop(_MEMOS, None)  # a new snapshot: what was kept may have changed


def execute_beside(session: Session, statement: Executable) -> None:
    """:meth:`Database.write_aside` for code that has only the session: bookkeeping on
    a read path (a share link's last use) runs beside a reading session, else in it."""
    database = session.info.get("database")
    if database is None:
        session.execute(statement)
    else:
        database.write_aside(session, statement)


def is_reading(session: Session) -> bool:
    """Whether ``session`` was opened for reading (``Database.session(reading=True)``)."""
    return bool(session.info.get("reading"))


def _keep_record(session: Session, record: Any) -> None:
    """Write an error's record in a fresh transaction; a failure here never hides the error."""
    if record is None:
        return
    try:
        record(session)
        session.commit()
    except Exception:  # the original error matters more than its record
        session.rollback()
        log.exception("could not keep the record of a refused change")
