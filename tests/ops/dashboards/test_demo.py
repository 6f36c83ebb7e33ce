"""The demo's "Product review" dashboard (Ledgerly) shows real data in every tile.

The module reads a copy of the demo loaded on SQLite once per test run
(tests/support/demo_workspace.py), whose load added the dashboard and its tiles.
Every tile is rendered through the tile fragment (HTTP) and must hold data: charts
with points, scorecards with variations, roadmap rows, theme rows, figures. In
Chromium at 1280 px every tile loads with data, the page does not scroll sideways, and
changing the date range and the area reloads the tiles with the new filters (the theme
ranking narrows). A screenshot goes to /work/helpers/screens when that folder exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.ops.dashboards import service
from pilothouse.ops.dashboards.demo import SLUG, TILES
from pilothouse.ops.dashboards.tiles import KINDS
from pilothouse.web.app import create_app
from tests.reports.test_review_demo import _serve
from tests.support.accounts import Person, sign_in
from tests.support.demo_workspace import demo_copy

pytestmark = pytest.mark.slow
SCREENS = Path("/work/helpers/screens")
Loaded = tuple[Runtime, str]


@pytest.fixture(scope="module")
def demo(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """A copy of the whole demo loaded on SQLite (tests/support/demo_workspace.py)."""
    loaded = demo_copy(database_factory, tmp_path_factory, "dashboards-demo")
    assert loaded.added["dashboards"] == {"dashboards": 1, "dashboard tiles": len(TILES)}
    yield loaded.runtime, loaded.password
    loaded.close()


def _admin(password: str) -> Person:
    return Person(0, "admin@pilothouse.example", Role.admin, password)


def test_every_tile_of_the_demo_dashboard_has_data(demo: Loaded) -> None:
    runtime, password = demo
    with TestClient(create_app(runtime=runtime, migrate=False)) as client:
        sign_in(client, _admin(password))
        page = client.get(f"/dashboards/{SLUG}")
        assert page.status_code == 200
        ids = re.findall(rf'hx-get="/dashboards/{SLUG}/tiles/(\d+)\?', page.text)
        assert len(ids) == len(TILES)
        kinds: dict[str, int] = {}
        for tile_id in ids:
            body = client.get(f"/dashboards/{SLUG}/tiles/{tile_id}").text
            state = re.search(r'data-state="(\w+)" data-kind="(\w+)"', body)
            assert state is not None and state.group(1) == "ok", body
            kinds[state.group(2)] = kinds.get(state.group(2), 0) + 1
            assert "<a href=" in body  # every tile names and links what it shows
            assert "is not available" not in body  # the grain and breakdown asked for
        assert kinds == {
            "metric_chart": 4,
            "experiment_scorecard": 3,
            "roadmap_view": 1,
            "theme_ranking": 1,
            "health_figure": 3,
        }
        listed = client.get("/api/v1/dashboards").json()
        assert [d["slug"] for d in listed["items"]] == [SLUG]


def test_the_area_filter_narrows_themes_and_roadmap(demo: Loaded) -> None:
    runtime, password = demo
    with TestClient(create_app(runtime=runtime, migrate=False)) as client:
        sign_in(client, _admin(password))
        with runtime.database.session() as session:
            board = service.get_dashboard(session, Actor.command_line(), SLUG)
            tiles = {t.kind: t.id for t in board.tiles}

        def rows(kind: str, testid: str, **params: str) -> int:
            url = f"/dashboards/{SLUG}/tiles/{tiles[kind]}"
            return client.get(url, params=params).text.count(f'data-testid="{testid}"')

        assert rows("theme_ranking", "theme-row") == 6
        everything = rows("roadmap_view", "roadmap-row")
        cards = rows("roadmap_view", "roadmap-row", area="cards")
        assert 0 < cards < everything
        older = client.get(
            f"/dashboards/{SLUG}/tiles/{tiles['theme_ranking']}",
            params={"from": "2000-01-01", "to": "2000-01-31"},
        )
        assert 'data-state="empty"' in older.text  # nothing was said back then


def test_the_dashboard_in_chromium(demo: Loaded, browser: Any) -> None:
    runtime, password = demo
    server, thread, base = _serve(runtime)
    try:
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto("/login")
        page.get_by_label("E-mail").fill("admin@pilothouse.example")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.get_by_role("link", name="Dashboards").first.click()
        page.get_by_role("link", name="Product review").click()
        page.wait_for_url(re.compile(rf"/dashboards/{SLUG}$"))
        _all_tiles_loaded(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        charts = page.locator('[data-kind="metric_chart"] canvas')
        assert charts.count() == 4
        assert all(charts.nth(i).bounding_box()["height"] > 100 for i in range(4))  # type: ignore[index]
        if SCREENS.is_dir():
            page.screenshot(path=str(SCREENS / "dashboard-product-review-1280.png"), full_page=True)
        page.get_by_test_id("filter-from").fill("2000-01-01")
        page.get_by_test_id("filter-to").fill("2000-02-01")
        page.get_by_test_id("filter-area").select_option("cards")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"area=cards"))
        _all_tiles_loaded(page, allow_empty=set(KINDS))  # none failed; some have no data
        themes = page.locator('[data-kind="theme_ranking"][data-state]')
        assert themes.get_attribute("data-state") == "empty"
        assert page.get_by_test_id("filter-area").input_value() == "cards"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert errors == []
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _all_tiles_loaded(page: Any, allow_empty: set[str] | None = None) -> None:
    """Wait until no tile is loading; then every tile has data (or may be empty)."""
    loading = page.locator('[data-testid="dash-tile-body"][data-state="loading"]')
    expect(loading).to_have_count(0, timeout=60_000)
    bodies = page.get_by_test_id("dash-tile-body")
    assert bodies.count() == len(TILES)
    for i in range(bodies.count()):
        state = bodies.nth(i).get_attribute("data-state")
        kind = bodies.nth(i).get_attribute("data-kind")
        assert state == "ok" or (state == "empty" and kind in (allow_empty or set())), (kind, state)


def test_add_to_dashboard_from_the_explorer(demo: Loaded) -> None:
    runtime, password = demo
    with TestClient(create_app(runtime=runtime, migrate=False)) as client:
        csrf = sign_in(client, _admin(password))
        explorer = client.get("/metrics/signups", params={"grain": "week"}).text
        assert 'hx-get="/dashboards/explorer-form/signups?grain=week' in explorer
        form = client.get("/dashboards/explorer-form/signups", params={"grain": "week"}).text
        assert f'<option value="{SLUG}">Product review</option>' in form
        added = client.post(
            "/dashboards/from-explorer/signups",
            data={"csrf_token": csrf, "dashboard": SLUG, "grain": "week", "by": "plan"},
            follow_redirects=False,
        )
        assert added.status_code == 303 and added.headers["location"] == f"/dashboards/{SLUG}"
        tiles = client.get(f"/api/v1/dashboards/{SLUG}").json()["tiles"]
        assert len(tiles) == len(TILES) + 1
        new = tiles[-1]
        assert new["config"] == {"metric": "signups", "grain": "week", "by": "plan"}
        assert new["row"] == 7  # a new row below the others
        body = client.get(f"/dashboards/{SLUG}/tiles/{new['id']}").text
        assert 'data-state="ok"' in body and "/metrics/signups?" in body
