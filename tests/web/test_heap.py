"""A served app freezes its start-up heap; an app built for tests does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.runtime import Runtime
from pilothouse.web.app import create_app
from pilothouse.web.heap import (
    FULL_COLLECTION_EVERY,
    SETTLE_AFTER_REQUESTS,
    YOUNG_COLLECTION_AFTER,
)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()  # give the test process its collector back
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("unfrozen")
def test_a_served_app_freezes_its_start_up_objects(runtime: Runtime) -> None:
    app = create_app(runtime=runtime, migrate=False, settle_heap=True)
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:  # runs the lifespan, as uvicorn does
        assert gc.get_freeze_count() > 10_000  # the route table, templates, mappers, ...
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_AFTER
        assert gc.get_threshold()[2] == FULL_COLLECTION_EVERY
        assert client.get("/healthz").status_code == 200


@pytest.mark.usefixtures("unfrozen")
def test_an_app_built_without_serving_leaves_the_collector_alone(runtime: Runtime) -> None:
    with TestClient(create_app(runtime=runtime, migrate=False)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold()[2] != FULL_COLLECTION_EVERY
        assert gc.get_threshold()[0] != YOUNG_COLLECTION_AFTER


def test_the_serve_factory_settles_the_heap_and_warms_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pilothouse serve`` builds its app with ``create_app_from_env``."""
    from pilothouse.web import app as app_module

    seen: dict[str, object] = {}
    monkeypatch.setattr(app_module, "create_app", lambda **kw: seen.update(kw) or "app")
    assert app_module.create_app_from_env() == "app"
    assert seen == {"settle_heap": True, "warm_up": True}


@pytest.mark.usefixtures("unfrozen")
def test_the_heap_settles_again_after_the_first_requests(runtime: Runtime) -> None:
    """What the first requests load (lazy imports, caches) is frozen at the marks."""
    app = create_app(runtime=runtime, migrate=False, settle_heap=True)
    with TestClient(app) as client:
        at_start = gc.get_freeze_count()
        marks = sorted(SETTLE_AFTER_REQUESTS)
        for _ in range(marks[0] - 1):
            assert client.get("/healthz").status_code == 200
        before_mark = gc.get_freeze_count()
        assert before_mark <= at_start  # nothing froze yet (frozen objects may die)
        kept = [[n] for n in range(5_000)]  # survivors of the warm-up, say (tracked)
        client.get("/healthz")  # the mark
        assert gc.get_freeze_count() >= before_mark + len(kept)
