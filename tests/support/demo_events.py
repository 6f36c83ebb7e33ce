"""The demo's ``core`` and ``events`` steps, loaded once per backend and copied per reader.

Loading the events step (120 simulated days: 185,000 events through the real
ingestion path, 8,000 accounts and contacts into the app database, the metric files
into the data folder) takes 4-8 s per load. ``tests/metrics/test_demo.py`` tests
that load and what it leaves; ``tests/experiments/test_demo.py`` and
``tests/metrics/test_anomaly_service.py`` build on it. Each takes :func:`events_copy`:
the steps are loaded once per backend and process into a template (an app database
and a data folder holding the DuckDB event store), and every caller gets its own
copy, so a test that writes leaves the template and the other tests as they were.
``tests/conftest.py`` keeps these files in one xdist worker so they share one load.

The events are dated relative to their load, so a template is used only on the UTC
day it was loaded (a new day loads a new one), and readers take their dates from
:attr:`LoadedEvents.loaded_at`, never from a second clock read.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.db import Database
from pilothouse.core.runtime import Runtime
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.metrics.demo import load_demo_events

__all__ = ["LoadedEvents", "events_copy"]


@dataclass(frozen=True)
class _Template:
    """A loaded app database (nobody connected to it) and its data folder."""

    url: str
    home: Path
    secret_key: str
    loaded_at: datetime
    added: dict[str, int]


@dataclass(frozen=True)
class LoadedEvents:
    """A private copy of the loaded ``core`` and ``events`` steps."""

    runtime: Runtime
    loaded_at: datetime  # the ``now`` the events were simulated up to (UTC)
    added: dict[str, int]  # what the events step added when the template was loaded

    def close(self) -> None:
        self.runtime.close()


#: (backend, UTC day, database factory) → the template loaded for it in this process.
_TEMPLATES: dict[tuple[str, date, int], _Template] = {}


def _settings(home: Path, url: str, secret_key: str | None = None) -> Any:
    """The suite's test settings (cheap hashing) for a data folder and database."""
    from tests.conftest import test_settings

    overrides = {} if secret_key is None else {"secret_key": secret_key}
    settings = test_settings(home, url, **overrides)
    settings.ensure_home()
    return settings


def _build(backend: str, database_factory: Any, home: Path) -> _Template:
    """Load the ``core`` and ``events`` steps into a migrated database and ``home``."""
    url = database_factory.migrated_url(backend)
    settings = _settings(home, url)
    runtime = Runtime(settings=settings, database=Database(url))
    actor, now = Actor.command_line(), datetime.now(UTC)
    try:
        with runtime.database.session() as session:
            load_people_and_areas(session, actor, runtime)
            added = load_demo_events(session, actor, runtime, now=now).added
    finally:
        runtime.close()  # the event store checkpointed, no connection left to copy under
    return _Template(url, home, settings.resolved_secret_key(), now, added)


def _template(backend: str, database_factory: Any, factory: pytest.TempPathFactory) -> _Template:
    """Today's template for ``backend``, loaded by this process's first caller."""
    key = (backend, datetime.now(UTC).date(), id(database_factory))
    if key not in _TEMPLATES:
        home = factory.mktemp(f"demo-events-{backend}")
        _TEMPLATES[key] = _build(backend, database_factory, home)
    return _TEMPLATES[key]


def events_copy(
    backend: str, database_factory: Any, factory: pytest.TempPathFactory, name: str
) -> LoadedEvents:
    """A fresh copy of the loaded steps on ``backend``: its own database and data folder."""
    template = _template(backend, database_factory, factory)
    url = database_factory.copy_of(template.url, backend)
    home = factory.mktemp(name)
    shutil.copytree(template.home, home, dirs_exist_ok=True)
    settings = _settings(home, url, template.secret_key)
    runtime = Runtime(settings=settings, database=Database(url))
    return LoadedEvents(runtime, template.loaded_at, dict(template.added))
