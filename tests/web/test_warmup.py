"""A served process warms up in the background (issue 14.3): its first requests no longer
pay for route analysis, template compilation, ``scipy.stats``, Arrow's conversions or
the embedding model.

What each step leaves behind is checked in a fresh interpreter (this one has imported
everything already); the embedder's rule (loaded only when the workspace stores vectors)
and a failing step's fallback are checked here. Nothing here measures time.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import embeddings, insights, service
from pilothouse.web import route_guard, warmup
from pilothouse.web.app import create_app
from tests.core.test_crash_safety import process_env
from tests.feedback.themes.conftest import CLI
from tests.support.accounts import Accounts, sign_in

FRESH_PROCESS = """
import json, sys
from pilothouse.web.app import create_app
from pilothouse.web import route_guard, warmup

app = create_app(migrate=False)
heavy = ("scipy.stats", "pandas", "onnxruntime")
before = {name: name in sys.modules for name in heavy}
warmup.warm_up(app)
after = {name: name in sys.modules for name in heavy}
env = app.state.templates.env
print(json.dumps({
    "before": before,
    "after": after,
    "reaches": len(route_guard._REACHES),
    "current": all(known.current() for known in route_guard._REACHES.values()),
    "guarded": sum(hasattr(r.matches, "reach") for r in app.router.routes),
    "templates": len(env.cache),
}))
"""


def test_warm_up_in_a_fresh_process_imports_and_prepares_what_first_requests_need(
    runtime: Runtime,
) -> None:
    """An empty workspace: everything but the embedder, which it has no use for."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        env=process_env(runtime),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["before"] == {"scipy.stats": False, "pandas": False, "onnxruntime": False}
    assert found["after"] == {"scipy.stats": True, "pandas": True, "onnxruntime": False}
    assert found["guarded"] >= 50 and found["reaches"] == found["guarded"]
    assert found["current"]
    assert found["templates"] >= 100


@pytest.fixture
def no_embedder_loaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's embedders forgotten for the test (the real ones are kept)."""
    monkeypatch.setattr(embeddings, "_embedders", {})
    yield


@pytest.mark.usefixtures("no_embedder_loaded")
def test_the_embedder_is_loaded_only_where_vectors_are_stored(runtime: Runtime) -> None:
    with runtime.database.session(reading=True) as session:
        assert embeddings.load_if_in_use(session) is False
    assert not embeddings.embedder_is_loaded()
    with runtime.database.session() as session:
        item = service.create_feedback(
            session, CLI, {"text": "The export never finishes", "source_kind": "support_ticket"}
        )
        embeddings.ensure_embeddings(session, [item], embeddings.embedder())
    embeddings._embedders.clear()
    with runtime.database.session(reading=True) as session:
        assert embeddings.load_if_in_use(session) is True
    assert embeddings.embedder_is_loaded()


def test_after_warming_up_pages_compile_no_template_and_routes_are_analysed(
    runtime: Runtime, accounts: Accounts
) -> None:
    app = create_app(runtime=runtime, migrate=False)
    warmup.warm_up(app)
    env = app.state.templates.env
    compiled = dict(env.cache)
    reaches = dict(route_guard._REACHES)
    client = TestClient(app)
    sign_in(client, accounts.person(Role.editor))
    for path in ("/", "/roadmap", "/feedback", "/launches", "/experiments"):
        assert client.get(path).status_code == 200, path
    assert dict(env.cache).keys() == compiled.keys()
    assert all(route_guard._REACHES[key] is known for key, known in reaches.items())


def test_a_failing_step_is_logged_and_the_others_still_run(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("no statistics today")

    monkeypatch.setattr(insights, "import_statistics", broken)
    app = create_app(runtime=runtime, migrate=False)
    assert "metrics" not in runtime.__dict__
    with caplog.at_level(logging.WARNING, logger="pilothouse.web"):
        warmup.warm_up(app)
    assert "warm-up step 'statistics' failed" in caplog.text
    assert "no statistics today" in caplog.text
    assert "metrics" in runtime.__dict__  # a later step (the metric catalog) still ran
