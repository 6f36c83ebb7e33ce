"""The metric explorer offers only what works: for one metric of every type in the demo
catalog, every grain and breakdown the page offers is then queried and answers without an
error and without a series called "None"; what is not offered says why (rolling metrics
by day only; a dimension never set on the metric's events)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.metrics.demo import load_demo_events
from pilothouse.metrics.explorer import NOT_SET, build_explorer
from tests.support.accounts import Accounts, sign_in

# The event store is DuckDB on both app backends: once is enough.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def demo_client(client: TestClient, accounts: Accounts, runtime: Runtime) -> Iterator[TestClient]:
    with runtime.database.session() as session:
        load_demo_events(session, Actor.command_line(), runtime)
    sign_in(client, accounts.person(Role.viewer))
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
    demo_client: TestClient, runtime: Runtime
) -> None:
    by_type: dict[str, str] = {}
    for metric in runtime.metrics.catalog():
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
    demo_client: TestClient, runtime: Runtime
) -> None:
    rolling = next(m.name for m in runtime.metrics.catalog() if m.type.value == "rolling")
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
    demo_client: TestClient, runtime: Runtime
) -> None:
    del demo_client  # loads the demo events
    view = build_explorer(
        runtime, "signups", start=None, end=None, grain=None, by="", where=[], compare=False
    )
    refused = {o.value: o.reason for o in view.breakdown_options if not o.available}
    offered = [o.value for o in view.breakdown_options if o.available]
    assert offered and refused  # sign-ups carry some dimensions and not others
    assert all("never set" in r or "does not allow" in r for r in refused.values() if r)
    for by in offered:
        rows = build_explorer(
            runtime, "signups", start=None, end=None, grain=None, by=by, where=[], compare=False
        ).rows
        assert all(row[by] is not None for row in rows)
        assert all(row[by] != "None" or row[by] == NOT_SET for row in rows)
