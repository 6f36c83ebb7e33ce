"""Experiment pages: list with status filter, scorecard with forest plot, history,
decision form; editors act, viewers only read."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.experiments.forest import ForestRow, forest_svg
from tests.experiments.analysis.test_analysis_service import _create, shop  # noqa: F401
from tests.support.accounts import Accounts, csrf_of, sign_in


@pytest.mark.usefixtures("shop")
def test_scorecard_lifecycle_in_the_browser_forms(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    key = _create(runtime)
    sign_in(client, accounts.person(Role.editor))
    listing = client.get("/experiments", params={"status": "draft"})
    assert key in listing.text
    assert key not in client.get("/experiments", params={"status": "running"}).text
    csrf = csrf_of(client)
    for action in ("start", "analyze", "analyze"):
        response = client.post(
            f"/experiments/{key}/{action}", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
    page = client.get(f"/experiments/{key}")
    assert page.status_code == 200
    assert 'data-testid="forest"' in page.text and "<svg" in page.text
    assert len(re.findall('data-testid="scorecard-row"', page.text)) >= 6  # 3 metrics × 2
    assert "Effect over time" in page.text  # two successful snapshots
    assert "Record decision" not in page.text  # still running
    client.post(f"/experiments/{key}/stop", data={"csrf_token": csrf})
    decided = client.post(
        f"/experiments/{key}/decision",
        data={"csrf_token": csrf, "outcome": "ship", "rationale": "Revenue up, orders not harmed."},
    )
    assert 'data-testid="decision"' in decided.text and "Revenue up" in decided.text


@pytest.mark.usefixtures("shop")
def test_viewers_read_but_cannot_act(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    key = _create(runtime)
    sign_in(client, accounts.person(Role.viewer))
    page = client.get(f"/experiments/{key}")
    assert page.status_code == 200 and "New experiment" not in client.get("/experiments").text
    assert f'action="/experiments/{key}/start"' not in page.text
    refused = client.post(f"/experiments/{key}/start", data={"csrf_token": csrf_of(client)})
    assert refused.status_code == 403


def test_forest_plot_marks_wins_losses_and_breaches() -> None:
    svg = forest_svg(
        [
            ForestRow("revenue · B", 0.05, 0.01, 0.09, "better"),
            ForestRow("orders · B", -0.04, -0.07, -0.01, "breach"),
            ForestRow("<script>", 0.0, -0.02, 0.02, "inconclusive"),
        ],
        relative=True,
    )
    assert svg.count("<circle") == 3
    assert 'data-tone="better"' in svg and 'data-tone="breach"' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "+5.00%" in svg
    assert forest_svg([], relative=True) == ""
