"""The metric explorer offers only what works: for one metric of every type in the demo
catalog, every grain and breakdown the page offers is then queried and answers without an
error and without a series called "None"; what is not offered says why (rolling metrics
by day only; a dimension never set on the metric's events)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.metrics.explorer import NOT_SET, build_explorer
from pilothouse.web.app import create_app
from tests.support.accounts import Accounts, sign_in
from tests.support.demo_workspace import demo_copy


@pytest.fixture(scope="module")
def demo(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A copy of the loaded demo workspace (tests/support/demo_workspace.py), on SQLite:
    the event store is DuckDB on both app backends, and the tests only read it."""
    loaded = demo_copy(database_factory, tmp_path_factory, "explorer-demo")
    yield loaded.runtime
    loaded.close()


@pytest.fixture
def demo_client(demo: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=demo, migrate=False)) as client:
        sign_in(client, Accounts(demo).person(Role.viewer))
        yield client


def _options(page: str, name: str) -> tuple[list[str], list[str]]:
    """(offered, not offered) option values of the select called ``name``."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    offered, refused = [], []
    for attrs in re.findall(r"<option([^>]*)>", select.group(1)):
        value = re.search(r'value="([^"]*)"', attrs)
        assert value
        (refused if " disabled" in attrs else offered).append(html.unescape(value.group(1)))
    return offered, refused


def _ok(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    page = response.text
    assert 'data-testid="query-error"' not in page, (path, page[page.find("query-error") :][:400])
    assert 'data-testid="explorer-notice"' not in page, path  # nothing was swapped silently
    chart = re.search(r'data-chart="([^"]*)"', page)
    assert chart and "&#34;label&#34;: &#34;None&#34;" not in chart.group(1), path
    assert '"label": "None"' not in html.unescape(chart.group(1)), path
    return page


def test_every_offered_option_works_for_every_metric_type(
    demo_client: TestClient, demo: Runtime
) -> None:
    by_type: dict[str, str] = {}
    for metric in demo.metrics.catalog():
        by_type.setdefault(metric.type.value, metric.name)
    assert {"count", "rolling", "conversion", "ratio"} <= set(by_type)
    for name in by_type.values():
        page = _ok(demo_client, f"/metrics/{name}")
        grains, _ = _options(page, "grain")
        breakdowns, _ = _options(page, "by")
        assert grains, name
        for grain in grains:
            _ok(demo_client, f"/metrics/{name}?grain={grain}")
        for by in breakdowns[1:]:  # the first is "none"
            _ok(demo_client, f"/metrics/{name}?by={by}")


def test_rolling_metrics_offer_days_only_and_say_why(
    demo_client: TestClient, demo: Runtime
) -> None:
    rolling = next(m.name for m in demo.metrics.catalog() if m.type.value == "rolling")
    page = _ok(demo_client, f"/metrics/{rolling}")
    offered, refused = _options(page, "grain")
    assert offered == ["day"] and set(refused) == {"week", "month", "total"}
    reasons = page[page.find('data-testid="unavailable-options"') :]
    assert "a rolling metric is computed per day" in reasons
    # an old link asking for weeks gets days, and is told so (no failed query)
    asked = demo_client.get(f"/metrics/{rolling}?grain=week").text
    assert 'data-testid="query-error"' not in asked
    assert "Grain week is not available (a rolling metric is computed per day)" in asked


def test_a_breakdown_never_set_on_the_events_is_not_offered(
    demo_client: TestClient, demo: Runtime
) -> None:
    del demo_client  # signs in
    view = build_explorer(
        demo, "signups", start=None, end=None, grain=None, by="", where=[], compare=False
    )
    refused = {o.value: o.reason for o in view.breakdown_options if not o.available}
    offered = [o.value for o in view.breakdown_options if o.available]
    assert offered and refused  # sign-ups carry some dimensions and not others
    assert all("never set" in r or "does not allow" in r for r in refused.values() if r)
    for by in offered:
        rows = build_explorer(
            demo, "signups", start=None, end=None, grain=None, by=by, where=[], compare=False
        ).rows
        assert all(row[by] is not None for row in rows)
        assert all(row[by] != "None" or row[by] == NOT_SET for row in rows)
