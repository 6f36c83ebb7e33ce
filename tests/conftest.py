"""Shared fixtures: a real SQLite and a real PostgreSQL database for every data-layer test.

Tests that use ``runtime``, ``client`` or ``served`` run once per backend, with ids
``[sqlite]`` and ``[postgresql]``. PostgreSQL comes from
``PILOTHOUSE_TEST_DATABASE_URL`` (an admin URL; ``scripts/test.sh`` starts a
throwaway cluster and sets it). Without it the PostgreSQL runs fail loudly; to
leave them out on purpose, deselect them with ``-m "not postgresql"``.

Each backend's database is migrated once per run; after every test all rows are
deleted. (Tests reach the app over HTTP, from other connections and processes,
so a rolled-back outer transaction could not isolate them.)
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pilothouse.core.config import Settings
from pilothouse.core.db import Base, Database
from pilothouse.core.migrate import upgrade
from pilothouse.core.registry import import_all_models
from pilothouse.core.runtime import Runtime
from tests.support import Accounts, served_app
from tests.support.browser import browser  # noqa: F401  (the session-wide Chromium fixture)
from tests.support.fast_routes import install as share_built_routes

BACKENDS = ["sqlite", "postgresql"]

# A write in a GET request's reading session is an error in the tests (a warning in
# production), so read paths that write are found here: on SQLite under load such a
# write fails with "database is locked" (docs/architecture.md, "Data"). Served apps
# inherit it from this process's environment.
os.environ.setdefault("PILOTHOUSE_TEST_STRICT_READS", "1")
# The home page keeps its spike alerts up to 30 s by default, per database URL; the
# tests reuse URLs for new databases within seconds, so the home page checks on every
# view here (tests/feedback/test_spike_alert_cache.py tests the window itself).
os.environ.setdefault("PILOTHOUSE_SPIKE_ALERTS_MAX_AGE_SECONDS", "0")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Every test's app reuses the routes the first app of this process built (0.5-1 s of CPU
# per app otherwise; tests/support/fast_routes.py says why that is the same app).
share_built_routes()
# The int8 embedder is derived once for the whole run (both workers, every served app
# and command), not once per throwaway home: files there are checked by hash and
# replaced atomically (PILOTHOUSE_MODELS_DIR in docs/configuration.md).
os.environ.setdefault(
    "PILOTHOUSE_MODELS_DIR",
    str(Path(tempfile.gettempdir()) / f"pilothouse-test-models-{os.getuid()}"),
)
# Python processes the tests start (served apps, workers, commands) share one bytecode
# cache, outside the source tree. This tree's environment sets PYTHONDONTWRITEBYTECODE,
# so each of them compiled every Pilothouse module again: about 0.7 s of CPU per
# server start (benchmarks/server_start.py runs its processes the same way). The cache
# is checked against each source file's time and size, so edits are picked up.
if "PYTHONPYCACHEPREFIX" not in os.environ:
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(
        Path(tempfile.gettempdir()) / f"pilothouse-test-pycache-{os.getuid()}"
    )


#: Test files that start the process-wide embedded ClickHouse (chdb) or Spark session.
#: Each engine allows one session per process, so under pytest-xdist they share one
#: worker and run in collection order (experiments' module fixtures close before the
#: metrics parity suite opens its session-wide ones), as in a one-process run.
EMBEDDED_ENGINE_TESTS = (
    "tests/experiments/analysis/test_analysis_engines.py",
    "tests/metrics/parity/",
)


#: Test files that read the demo's ``core`` and ``events`` steps, loaded once per backend
#: and process (tests/support/demo_events.py): one worker takes them all, so the
#: 4-8 s load runs once per backend instead of once per file and worker.
DEMO_EVENTS_TESTS = (
    "tests/metrics/test_demo.py",
    "tests/metrics/test_anomaly_service.py",
    "tests/experiments/test_demo.py",
)


#: The databases a test that drives Chromium runs on. A page looks and behaves the same
#: on either database, and every route under those pages is tested over HTTP on both;
#: a Chromium test costs seconds, so it runs on SQLite only unless this says otherwise.
BROWSER_BACKENDS = os.environ.get("PILOTHOUSE_TEST_BROWSER_BACKENDS", "sqlite").split(",")


def worker_group(nodeid: str) -> str:
    """The unit a worker takes whole: the test's file, or a group of files sharing state."""
    path = nodeid.split("::", 1)[0]
    if any(path.startswith(prefix) for prefix in EMBEDDED_ENGINE_TESTS):
        return "embedded-engines"
    return "demo-events" if path in DEMO_EVENTS_TESTS else path


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadgroup`` (scripts/test.sh) with our groups: a file stays in one worker.

    pytest-xdist 3.8 marks an ``xdist_group`` on ``item._nodeid``, which pytest 9 no
    longer reads, so its own loadgroup splits files across workers and every module
    fixture (a loaded demo, a served app) is built twice. This scheduler groups by
    :func:`worker_group` instead, from the node ids alone.
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return FileGroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skipped = [item for item in items if _browser_test_off_its_backends(item)]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if item not in set(skipped)]
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgresql)


def _browser_test_off_its_backends(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("backend") if callspec is not None else None
    uses_browser = "browser" in getattr(item, "fixturenames", ())
    return uses_browser and backend is not None and backend not in BROWSER_BACKENDS


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against the PostgreSQL test server")


def _admin_url() -> str:
    url = os.environ.get("PILOTHOUSE_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "PILOTHOUSE_TEST_DATABASE_URL is not set: run the suite with scripts/test.sh, "
            "or deselect PostgreSQL runs with -m 'not postgresql'",
            pytrace=False,
        )
    return Settings(database_url=url).effective_database_url


class DatabaseFactory:
    """Creates throwaway databases for one test run and drops them at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self._pg_created: list[str] = []
        self._templates: dict[str, str] = {}

    def new_url(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / f'{uuid.uuid4().hex[:8]}.db'}"
        admin = make_url(_admin_url())
        name = f"pilothouse_test_{uuid.uuid4().hex[:10]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        self._pg_created.append(name)
        return admin.set(database=name).render_as_string(hide_password=False)

    def migrated_url(self, backend: str) -> str:
        """A new database at the head revision: a copy of one migrated once per run.

        For tests whose subject is not the migrations (they have their own tests): a
        copy costs a file copy on SQLite and ``CREATE DATABASE ... TEMPLATE`` on
        PostgreSQL, where migrating costs one to several seconds.
        """
        if backend not in self._templates:
            template = self.new_url(backend)
            database = Database(template)
            upgrade(database)
            database.dispose()
            self._templates[backend] = template
        return self.copy_of(self._templates[backend], backend)

    def copy_of(self, url: str, backend: str) -> str:
        """A new database holding what the database at ``url`` holds.

        A file copy on SQLite; ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, which
        needs every connection to ``url`` closed (dispose its engine first).
        """
        if backend == "sqlite":
            copy = self.new_url(backend)
            source = sqlite3.connect(str(make_url(url).database))
            target = sqlite3.connect(str(make_url(copy).database))
            with closing(source), closing(target):
                source.backup(target)  # consistent, whatever the WAL holds
            return copy
        admin = make_url(_admin_url())
        name = f"pilothouse_test_{uuid.uuid4().hex[:10]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(
                text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"')
            )
        engine.dispose()
        self._pg_created.append(name)
        return admin.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self._pg_created:
            return
        engine = create_engine(make_url(_admin_url()), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in self._pg_created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class PerBackend:
    """What a session fixture makes for one backend, kept until the session ends.

    pytest holds one value per session fixture: when the next test asks for the other
    backend, a fixture that depends on ``backend`` is finished, and made again when the
    first backend comes back. Under xdist a worker runs a file at a time, its SQLite
    tests and then its PostgreSQL ones, so every file switched backends twice:
    ``migrated_database`` migrated a new database (0.4-1 s) and ``served_server``
    started a new server (4-8 s) per file and backend. Such fixtures get their value
    from here instead: made on first use, closed (``ExitStack``) when the session ends,
    as a one-process run (``PILOTHOUSE_TEST_WORKERS=0``), which groups the tests by
    backend, always kept them.
    """

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._made: dict[tuple[str, str], Any] = {}

    def get(self, name: str, backend: str, make: Callable[[ExitStack], Any]) -> Any:
        """``make(stack)``'s value for ``(name, backend)``, made once per session."""
        key = (name, backend)
        if key not in self._made:
            self._made[key] = make(self._stack)
        return self._made[key]


@pytest.fixture(scope="session")
def per_backend(database_factory: DatabaseFactory) -> Iterator[PerBackend]:
    """Closed before the factory drops its databases: it depends on the factory, so
    pytest finishes it first."""
    del database_factory
    with ExitStack() as stack:
        yield PerBackend(stack)


def clear_all_rows(database: Database) -> None:
    """Delete every row a test left, and restart PostgreSQL's id sequences.

    Only tables that hold rows are touched (one probe query finds them): a ``TRUNCATE``
    of all 80-odd tables cost PostgreSQL 0.3-1 s per test, most of the suite's time,
    while a test writes to a handful. Rows go by ``DELETE``, children first; the
    sequences that were used restart at 1, as ``TRUNCATE ... RESTART IDENTITY`` did.
    """
    import_all_models()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    probe = " UNION ALL ".join(
        f'SELECT {i} WHERE EXISTS (SELECT 1 FROM "{name}")' for i, name in enumerate(tables)
    )
    with database.engine.begin() as connection:
        filled = [tables[i] for i in sorted(connection.execute(text(probe)).scalars())]
        for name in filled:
            connection.execute(text(f'DELETE FROM "{name}"'))
        if not database.is_sqlite:
            connection.execute(text(RESTART_USED_SEQUENCES))


#: Every sequence that has handed out a value starts again at its first value.
RESTART_USED_SEQUENCES = """
SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
FROM pg_sequences WHERE last_value IS NOT NULL
"""


def test_settings(home: Path, database_url: str, **overrides: object) -> Settings:
    """Settings for tests: cheap password hashing, everything else as in production."""
    values: dict[str, object] = {
        "home": home,
        "database_url": database_url,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8192,
        "secret_key": secrets.token_urlsafe(32),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def migrated_database(
    backend: str, database_factory: DatabaseFactory, per_backend: PerBackend
) -> Database:
    def make(stack: ExitStack) -> Database:
        database = Database(database_factory.new_url(backend))
        upgrade(database)
        stack.callback(database.dispose)
        return database

    database: Database = per_backend.get("migrated_database", backend, make)
    return database


@pytest.fixture
def runtime(migrated_database: Database, tmp_path: Path) -> Iterator[Runtime]:
    settings = test_settings(tmp_path / "home", migrated_database.url)
    settings.ensure_home()
    runtime = Runtime(settings=settings, database=migrated_database)
    yield runtime
    if "event_store" in runtime.__dict__:
        runtime.event_store.close()
    clear_all_rows(migrated_database)


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from pilothouse.web.app import create_app

    return create_app(runtime=runtime, migrate=False)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def accounts(runtime: Runtime) -> Accounts:
    """Creates people and credentials directly through the services."""
    return Accounts(runtime)


@pytest.fixture(scope="session")
def served_server(
    backend: str,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
    per_backend: PerBackend,
) -> served_app.ServedApp:
    """``pilothouse serve`` in a child process on a free loopback port, per backend
    (one per backend and worker for the whole session: see :class:`PerBackend`).

    Its database is a copy of one migrated once per run, so the server starts without
    migrating (a second or two, more on PostgreSQL); that ``serve`` migrates an empty
    database first is what the API fuzz and SSO servers, started on empty ones, go through.
    """

    def make(stack: ExitStack) -> served_app.ServedApp:
        home = tmp_path_factory.mktemp(f"served-{backend}")
        url = database_factory.migrated_url(backend)
        return stack.enter_context(served_app.serve(home, url))

    server: served_app.ServedApp = per_backend.get("served_server", backend, make)
    return server


@pytest.fixture
def served(served_server: served_app.ServedApp) -> Iterator[served_app.ServedApp]:
    yield served_server
    clear_all_rows(served_server.runtime.database)
