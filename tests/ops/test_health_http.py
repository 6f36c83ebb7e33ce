"""Process health over HTTP on SQLite and PostgreSQL: the JSON API with the figures and
the drill-down (names and addresses of the items behind a number), refusals with the
field named, and the pages (every number a link, trend charts as SVG, no inline script)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from tests.ops.health_fixture import EXPECTED, build
from tests.support.accounts import Accounts, sign_in


@pytest.fixture
def ids(runtime: Runtime) -> dict[str, int]:
    with runtime.database.session() as session:
        return build(session)


@pytest.mark.usefixtures("ids")
def test_the_api_gives_every_figure_and_its_items(client: TestClient, accounts: Accounts) -> None:
    auth = accounts.bearer(accounts.person(Role.viewer))
    body = client.get("/api/v1/ops/health", headers=auth).json()
    got = {f["key"]: f for f in body["figures"]}
    assert set(got) == set(EXPECTED)
    for key in ("cycle_time", "launch_on_time", "gate_wait", "win_rate", "decisions_per_launch"):
        value, p85, n = EXPECTED[key]
        assert got[key]["value"] == pytest.approx(value) and got[key]["n"] == n, key
        assert got[key]["p85"] == (pytest.approx(p85) if p85 is not None else None), key
    assert got["cycle_time"]["url"] == "/ops/health/cycle_time"
    assert [t["period"] for t in got["cycle_time"]["trend"]] == ["2026-Q1", "2026-Q2"]
    detail = client.get("/api/v1/ops/health/cycle_time?quarter=2026-Q1", headers=auth).json()
    assert detail["value"] == 19 and detail["filter"] == {"quarter": "2026-Q1", "area": None}
    names = [(i["name"], i["value"], i["period"]) for i in detail["items"]]
    assert names == [("Backwards", 30.0, "2026-Q1"), ("Straight", 19.0, "2026-Q1")]
    assert all(i["url"].startswith("/roadmap/") for i in detail["items"])
    assert all(i["url"] for i in detail["items"]) and not any(i["deleted"] for i in detail["items"])
    area = client.get("/api/v1/ops/health?area=growth", headers=auth).json()
    assert {f["key"]: f["n"] for f in area["figures"]}["cycle_time"] == 2


@pytest.mark.usefixtures("ids")
def test_bad_filters_and_unknown_figures_are_refused(
    client: TestClient, accounts: Accounts
) -> None:
    auth = accounts.bearer(accounts.person(Role.viewer))
    bad = client.get("/api/v1/ops/health?quarter=2026-Q9", headers=auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "quarter"
    area = client.get("/api/v1/ops/health/gate_wait?area=nowhere", headers=auth)
    assert area.status_code == 422 and area.json()["errors"][0]["field"] == "area"
    missing = client.get("/api/v1/ops/health/nonsense", headers=auth)
    assert missing.status_code == 404 and "nonsense" in missing.json()["detail"]
    assert client.get("/api/v1/ops/health").status_code == 401


def test_the_pages_link_every_number_to_its_items(
    client: TestClient, accounts: Accounts, ids: dict[str, int]
) -> None:
    sign_in(client, accounts.person(Role.viewer))
    page = client.get("/ops/health?area=growth")
    assert page.status_code == 200
    for key in EXPECTED:
        assert f'href="/ops/health/{key}?area=growth"' in page.text, key
    assert page.text.count('<svg class="health-chart"') >= 10
    assert 'href="/ops/health"' in page.text  # the Workspace menu entry
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and " onclick=" not in page.text
    drill = client.get("/ops/health/cycle_time")
    assert drill.status_code == 200
    rows = re.findall(
        r'<tr data-testid="health-item"><td><a href="([^"]+)">([^<]+)</a>', drill.text
    )
    assert [name for _, name in rows] == ["Reopened", "Backwards", "Straight"]
    assert all(url.startswith("/roadmap/") for url, _ in rows)
    backlog = client.get("/ops/health/untriaged_backlog")
    assert backlog.text.count('data-testid="health-item"') == 2 and "Age in days" in backlog.text
    assert client.get("/ops/health/nonsense").status_code == 404
    assert client.get("/ops/health?quarter=bad").status_code == 422
    assert str(ids["deleted"]) not in re.findall(r"/roadmap/items/(\d+)", drill.text)
