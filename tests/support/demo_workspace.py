"""The whole demo workspace on SQLite, loaded once per test run and copied for each reader.

Loading the demo (every step of ``pilothouse.demo.load_demo``: 185,000 events, feedback
synthesis, analysed experiments) takes 15-25 s. Story, report, health, backup and
browser tests read a loaded workspace; each domain's demo tests test its own step.
Those readers call :func:`demo_copy`, which loads the demo once into a template (a
SQLite file and a data folder, shared by the xdist workers of this run under a file
lock) and gives each caller its own copy, with the template's secret key, its load
time and what each step reported.

The template is loaded as after a plain ``pip install``: every read below
``shared/data`` (test data next to the repository) is refused while it loads, so a
demo that needed a file outside the package fails to load
(``tests/demo/test_demo_story.py`` checks the load's results).

The demo is dated relative to its load time, so a template is used only on the day
(UTC and workspace time zone) it was loaded; on a new day a new template is loaded.
Tests take dates from :attr:`LoadedDemo.loaded_at`, never from a second clock read.
"""

from __future__ import annotations

import builtins
import fcntl
import io
import json
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url

from pilothouse.core.actor import Actor
from pilothouse.core.config import Settings
from pilothouse.core.db import Database
from pilothouse.core.migrate import upgrade
from pilothouse.core.runtime import Runtime

__all__ = ["LoadedDemo", "demo_copy"]

#: A template once built is read from here by every later caller in this process.
_META = "meta.json"


@dataclass(frozen=True)
class LoadedDemo:
    """A private copy of the loaded demo: its runtime, admin password and load time."""

    runtime: Runtime
    password: str
    loaded_at: datetime  # when loading began (UTC): the demo's dates count from it
    added: dict[str, dict[str, int]]  # what each step added to the template, by step name
    notices: dict[str, list[str]]  # what each step told the person loading, by step name
    finished_at: datetime  # when loading ended (UTC)

    @property
    def home(self) -> Path:
        return self.runtime.settings.home

    @property
    def url(self) -> str:
        return self.runtime.database.url

    def close(self) -> None:
        self.runtime.close()


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    """This run's temporary folder, the same for every xdist worker of the run."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _day_key() -> str:
    """The template's day: a demo loaded yesterday no longer ends today."""
    timezone = Settings.model_fields["timezone"].default
    now = datetime.now(UTC)
    return f"{now.date()}_{now.astimezone(ZoneInfo(timezone)).date()}"


def _refuse_shared_data(real: Any) -> Any:
    """``open`` that fails for anything under ``shared/data``: the demo must not need it."""
    from tests.conftest import SHARED_DATA

    shared = str(SHARED_DATA.resolve())

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | Path) and str(Path(file).resolve()).startswith(shared):
            raise FileNotFoundError(f"the demo read {file} (not in an installed package)")
        return real(file, *args, **kwargs)

    return guarded


def _load_from_the_package_alone(runtime: Runtime) -> list[tuple[Any, Any]]:
    """Every demo step, with reads below ``shared/data`` refused as in a plain install."""
    from pilothouse.demo import load_demo

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builtins, "open", _refuse_shared_data(builtins.open))
        patch.setattr(io, "open", _refuse_shared_data(io.open))
        return load_demo(runtime, Actor.command_line())


def _build(folder: Path) -> None:
    """Load the whole demo into ``folder`` (a SQLite file and a data folder)."""
    from tests.conftest import test_settings

    database = Database(f"sqlite:///{folder / 'demo.db'}")
    upgrade(database)
    settings = test_settings(folder / "home", database.url, jobs_mode="immediate")
    settings.ensure_home()
    runtime = Runtime(settings=settings, database=database)
    loaded_at = datetime.now(UTC)
    try:
        results = _load_from_the_package_alone(runtime)
    finally:
        runtime.close()
    finished_at = datetime.now(UTC)
    notice = next(n for _, result in results for n in result.notices)
    password = re.fullmatch(r"Sign in as \S+ with password (\S+) .*", notice)
    assert password is not None, notice
    meta = {
        "password": password.group(1),
        "secret_key": settings.resolved_secret_key(),
        "loaded_at": loaded_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "added": {step.name: result.added for step, result in results},
        "notices": {step.name: result.notices for step, result in results},
    }
    (folder / _META).write_text(json.dumps(meta))


def _template(factory: pytest.TempPathFactory) -> Path:
    """The folder of today's template, loaded by the first caller of the run."""
    root = _shared_root(factory)
    folder = root / f"demo-template-{_day_key()}"
    if (folder / _META).is_file():
        return folder
    with open(root / "demo-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / _META).is_file():
            building = root / f"{folder.name}.building-{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            _build(building)
            building.rename(folder)
    return folder


def demo_copy(database_factory: Any, factory: pytest.TempPathFactory, name: str) -> LoadedDemo:
    """A fresh copy of the loaded demo workspace: its own SQLite file and data folder."""
    from tests.conftest import test_settings

    template = _template(factory)
    meta = json.loads((template / _META).read_text())
    url = database_factory.new_url("sqlite")
    source = sqlite3.connect(template / "demo.db")
    target = sqlite3.connect(str(make_url(url).database))
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    home = factory.mktemp(name)
    shutil.copytree(template / "home", home, dirs_exist_ok=True)
    settings = test_settings(home, url, jobs_mode="immediate", secret_key=meta["secret_key"])
    settings.ensure_home()
    runtime = Runtime(settings=settings, database=Database(url))
    loaded_at = datetime.fromisoformat(meta["loaded_at"])
    finished_at = datetime.fromisoformat(meta["finished_at"])
    return LoadedDemo(
        runtime, meta["password"], loaded_at, meta["added"], meta["notices"], finished_at
    )
