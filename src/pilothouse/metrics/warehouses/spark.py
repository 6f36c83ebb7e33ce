"""Spark SQL through pyspark (classic, in-process driver), local mode or a cluster master.

URLs are Spark master strings: ``local``, ``local[4]``, ``local[*]``,
``spark://host:7077``, ``yarn``. Options are Spark configuration entries
(``spark.executor.memory: 4g``) plus ``app_name`` and ``log_level``.

One JVM and one ``SparkSession`` serve the whole process: pyspark allows only one
active context, and starting it takes seconds, so the session starts on the first
query and is reused. A local driver binds to 127.0.0.1 with the web UI off, and the
adapter never lets a connection download jars (``spark.jars.packages`` and friends
are refused): what Spark needs must already be on the class path.

Spark SQL has no read-only mode, so the adapter only runs a query that parses as one
``SELECT`` (or set operation) with no ``reflect``/``java_method`` call in it, and every
query runs with its own job tag: at the timeout a watchdog cancels the tag's jobs
until the query returns, and the adapter raises :class:`WarehouseTimeout`.

Timestamps are instants shown in the session time zone, which is always UTC
(``spark.sql.session.timeZone``); JSON is kept in ``string`` columns and read with
``get_json_object``; ``COUNT(DISTINCT)`` is exact (only ``approx_count_distinct`` is
not, and the compiler never writes it).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pilothouse.metrics.compiler.schema import JsonStorage
from pilothouse.metrics.warehouses.base import WarehouseAdapter
from pilothouse.metrics.warehouses.errors import (
    UnsupportedError,
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnreachable,
)

__all__ = ["SparkAdapter", "check_read_only"]

_MASTER = re.compile(r"^(local(\[(\d+|\*)(,\d+)?\])?|spark://[^\s]+|yarn|k8s://[^\s]+)$")
_LOCAL = re.compile(r"^local(\[.*\])?$")
_UNSAFE_FUNCTIONS = frozenset({"reflect", "java_method", "try_reflect"})

_SESSION_LOCK = threading.Lock()
_SESSION: dict[str, Any] = {}  # "session", "key" (master and conf), "owner" (connection)


def check_read_only(sql: str) -> str | None:
    """Why ``sql`` is not a single read-only Spark query, or None when it is.

    >>> check_read_only("SELECT 1 AS x")
    >>> check_read_only("DROP TABLE events")
    'only a single SELECT query may run (got DROP)'
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statements = [s for s in sqlglot.parse(sql, read="spark") if s is not None]
    except SqlglotError as exc:
        return f"the query cannot be checked as read-only: {str(exc).splitlines()[0]}"
    if len(statements) != 1:
        return f"only a single SELECT query may run (got {len(statements)} statements)"
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        return f"only a single SELECT query may run (got {statement.key.upper()})"
    for node in statement.find_all(exp.Anonymous, exp.Func):
        name = node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()
        if name in _UNSAFE_FUNCTIONS:
            return f"function {name}() is not allowed"
    return None


class SparkAdapter(WarehouseAdapter):
    """Spark SQL in this process's pyspark driver."""

    kind = "spark"
    dialect = "spark"
    JSON_STORAGE = JsonStorage.TEXT

    ENFORCES_READ_ONLY = False
    """Spark SQL cannot open a read-only session: instead :func:`check_read_only` lets
    only a single SELECT through (the compiler never writes anything else)."""

    SESSION_CONF: ClassVar[Mapping[str, str]] = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }
    """Always set, whatever the options say: UTC session time (day buckets are computed
    from UTC instants), ANSI errors instead of silent NULLs on bad casts, no web UI."""

    LOCAL_CONF: ClassVar[Mapping[str, str]] = {
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }
    """Added for ``local`` masters: the driver listens on loopback only."""

    FORBIDDEN_CONF: ClassVar[frozenset[str]] = frozenset(
        {
            "spark.jars.packages",
            "spark.jars.repositories",
            "spark.jars.ivy",
            "spark.jars.ivySettings",
        }
    )
    """Entries that make Spark download jars at start-up; refused."""

    CANCEL_INTERVAL_S: ClassVar[float] = 0.2
    """How often the watchdog cancels the query's jobs once the timeout has passed."""

    def __init__(self, name: str, url: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(name, url, options)
        master = url.strip()
        if not _MASTER.match(master):
            raise UnsupportedError(
                f"warehouse {name!r}: a spark url is a master such as local[2], "
                "spark://host:7077 or yarn"
            )
        self.master = master
        self.conf = self._conf()
        self._owns_session = False

    def _conf(self) -> dict[str, str]:
        conf: dict[str, str] = {}
        for key, value in self.options.items():
            if key in ("app_name", "log_level"):
                continue
            if key in self.FORBIDDEN_CONF:
                raise UnsupportedError(
                    f"warehouse {self.name!r}: option {key!r} would download jars; "
                    "put the jars on the class path instead"
                )
            if not key.startswith("spark."):
                raise UnsupportedError(
                    f"warehouse {self.name!r}: unknown spark option {key!r} "
                    "(options are spark.* configuration entries, app_name and log_level)"
                )
            conf[key] = str(value).lower() if isinstance(value, bool) else str(value)
        if _LOCAL.match(self.master):
            conf.update(self.LOCAL_CONF)
        conf.update(self.SESSION_CONF)
        return conf

    # -- the process-wide session ---------------------------------------------------------

    def session(self) -> Any:
        """The shared ``SparkSession``, started on first use (also used to load test data).

        Raises:
            WarehouseUnreachable: Spark (or Java) cannot start, or another Spark
                connection with a different master or configuration already runs here.
        """
        key = (self.master, tuple(sorted(self.conf.items())))
        with _SESSION_LOCK:
            if _SESSION.get("session") is not None:
                if _SESSION["key"] != key:
                    raise WarehouseUnreachable(
                        f"warehouse {self.name!r}: this process already runs a Spark session "
                        f"with another master or configuration ({_SESSION['owner']!r})",
                        connection=self.name,
                    )
                return _SESSION["session"]
            spark = self._start()
            _SESSION.update(session=spark, key=key, owner=self.name)
            self._owns_session = True
            return spark

    def _start(self) -> Any:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise UnsupportedError(
                f"warehouse {self.name!r} needs the pyspark package (pip install pyspark) "
                "and Java 17"
            ) from exc
        builder = SparkSession.builder.master(self.master).appName(
            str(self.options.get("app_name", "pilothouse"))
        )
        for key, value in self.conf.items():
            builder = builder.config(key, value)
        try:
            spark = builder.getOrCreate()
        except Exception as exc:  # the JVM failed to start: Java missing, bad master...
            raise WarehouseUnreachable(
                f"warehouse {self.name!r} is unreachable: Spark did not start ({_first(exc)})",
                connection=self.name,
            ) from None
        spark.sparkContext.setLogLevel(str(self.options.get("log_level", "ERROR")).upper())
        return spark

    def close(self) -> None:
        """Stop the Spark session if this adapter started it."""
        if not self._owns_session:
            return
        with _SESSION_LOCK:
            spark = _SESSION.pop("session", None)
            _SESSION.clear()
            self._owns_session = False
        if spark is not None:
            spark.stop()

    # -- queries ----------------------------------------------------------------------------

    def _run(self, sql: str, timeout_s: float) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        problem = check_read_only(sql)
        if problem is not None:
            raise WarehouseError(f"query on {self.name!r} refused: {problem}", connection=self.name)
        spark = self.session()
        context = spark.sparkContext
        tag = f"pilothouse-{uuid.uuid4().hex}"
        done = threading.Event()
        fired = threading.Event()
        watchdog = threading.Thread(
            target=self._watch, args=(context, tag, timeout_s, done, fired), daemon=True
        )
        context.setInterruptOnCancel(True)
        context.addJobTag(tag)
        watchdog.start()
        try:
            frame = spark.sql(sql)
            rows = frame.collect()
            columns = list(frame.columns)
            local = [type(f.dataType).__name__ == "TimestampType" for f in frame.schema.fields]
        except Exception as exc:
            if fired.is_set():
                raise WarehouseTimeout(
                    f"query on {self.name!r} timed out after {timeout_s:g} s",
                    connection=self.name,
                    timeout_s=timeout_s,
                ) from None
            raise WarehouseError(
                f"query on {self.name!r} failed: {_first(exc)}", connection=self.name
            ) from None
        finally:
            done.set()
            context.removeJobTag(tag)
            watchdog.join()
        return columns, [
            tuple(_naive_utc(v) if zoned else v for v, zoned in zip(row, local, strict=True))
            for row in rows
        ]

    def _watch(
        self,
        context: Any,
        tag: str,
        timeout_s: float,
        done: threading.Event,
        fired: threading.Event,
    ) -> None:
        """After ``timeout_s``, cancel the tag's jobs (again and again) until the query ends.

        Jobs start only once Spark has planned the query, possibly after the deadline,
        so one cancellation could come too early to stop anything.
        """
        if done.wait(timeout_s):
            return
        fired.set()
        while not done.is_set():
            context.cancelJobsWithTag(tag)
            done.wait(self.CANCEL_INTERVAL_S)


def _first(exc: BaseException) -> str:
    """The first line of a Spark error, without the JVM stack trace."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


def _naive_utc(value: Any) -> Any:
    """pyspark returns TIMESTAMP (not TIMESTAMP_NTZ) values in local time; make them UTC."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
