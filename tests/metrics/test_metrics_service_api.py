"""The metric catalog and queries through the service, the API, the pages and the CLI.

Numbers are checked against counts worked out by hand from the events written here.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.metrics.demo import copy_demo_definitions
from pilothouse.metrics.segment import Group, Identify, TrackedEvent
from tests.support.accounts import Accounts

DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _event(
    n: int, event: str, user: str, account: str, days: float, **props: object
) -> TrackedEvent:
    return TrackedEvent(f"t-{n}", event, user, None, account, DAY + dt.timedelta(days=days), props)


@pytest.fixture
def metrics_runtime(runtime: Runtime) -> Runtime:
    """Demo definitions plus a tiny, hand-countable history of Ledgerly events.

    u1, u2 at a1 (grow); u3 at a2 (free). All sign up on DAY and u1, u3 are verified
    half a day later. u1 pays by card a day after signing up (activated), u3 only after
    10 days (not within 7). u1 pays for software, travel, travel; u3 pays for travel.
    """
    copy_demo_definitions(runtime.settings.effective_metrics_path)
    events = [
        _event(1, "Signed Up", "u1", "a1", 0),
        _event(2, "Signed Up", "u2", "a1", 0),
        _event(3, "Signed Up", "u3", "a2", 0),
        _event(4, "Identity Verified", "u1", "a1", 0.5),
        _event(5, "Identity Verified", "u3", "a2", 0.5),
        _event(6, "Card Payment", "u1", "a1", 1, merchant_category="software", amount_cents=1200),
        _event(7, "Card Payment", "u1", "a1", 3, merchant_category="travel", amount_cents=5000),
        _event(8, "Card Payment", "u1", "a1", 4, merchant_category="travel", amount_cents=7000),
        _event(9, "Card Payment", "u3", "a2", 10, merchant_category="travel", amount_cents=3000),
    ]
    groups = [
        Group(f"g-{u}", a, u, None, {"plan": p}, DAY)
        for u, a, p in (("u1", "a1", "grow"), ("u2", "a1", "grow"), ("u3", "a2", "free"))
    ]
    identifies = [
        Identify(f"i-{u}", u, None, None, {"role": "finance_admin"}, DAY)
        for u in ("u1", "u2", "u3")
    ]
    runtime.event_store.write(events=events, groups=groups, identifies=identifies, received_at=DAY)
    return runtime


def _series(client: TestClient, headers: dict[str, str], name: str, **params: object) -> list:  # type: ignore[type-arg]
    response = client.get(
        f"/api/v1/metrics/{name}/series",
        params={"from": "2026-11-01", "to": "2026-11-30", **params},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_catalog_lists_and_pages_the_demo_metrics(
    client: TestClient, accounts: Accounts, metrics_runtime: Runtime
) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    pages = [client.get("/api/v1/metrics", params={"limit": 10}, headers=headers).json()]
    while pages[-1]["next_cursor"] is not None and len(pages) < 5:
        params = {"limit": 10, "cursor": pages[-1]["next_cursor"]}
        pages.append(client.get("/api/v1/metrics", params=params, headers=headers).json())
    names = [m["name"] for page in pages for m in page["items"]]
    assert len(names) == len(set(names)) == len(metrics_runtime.metrics.catalog()) == 22
    assert len(pages) == 3 and pages[-1]["next_cursor"] is None
    one = client.get("/api/v1/metrics/activation_rate", headers=headers).json()
    assert one["certified"] is True and "type: funnel" in one["definition"]


def test_series_match_hand_counts(
    client: TestClient, accounts: Accounts, metrics_runtime: Runtime
) -> None:
    del metrics_runtime
    headers = accounts.bearer(accounts.person(Role.viewer))
    assert _series(client, headers, "signups", grain="total")[0]["value"] == 3
    activation = _series(client, headers, "activation_rate", grain="total")[0]
    assert (activation["numerator"], activation["denominator"]) == (1, 3)
    by_plan = {
        r["plan"]: r["value"]
        for r in _series(client, headers, "card_payments", grain="total", by="plan")
    }
    assert by_plan == {"grow": 3, "free": 1}
    assert _series(client, headers, "card_spend", grain="total")[0]["value"] == 16_200
    paid_travel = _series(
        client,
        headers,
        "card_payments",
        grain="total",
        where=["property.merchant_category = travel", "account.plan in grow,scale,enterprise"],
    )
    assert paid_travel[0]["value"] == 2
    filtered = _series(
        client,
        headers,
        "card_payments",
        grain="total",
        where=["account.plan = free", "property.merchant_category in travel,office"],
    )
    assert filtered[0]["value"] == 1
    daily = _series(client, headers, "card_payments", grain="day")
    assert sum(r["value"] for r in daily) == 4 and len(daily) == 4


def test_bad_queries_name_the_problem(
    client: TestClient, accounts: Accounts, metrics_runtime: Runtime
) -> None:
    del metrics_runtime
    headers = accounts.bearer(accounts.person(Role.viewer))
    unknown = client.get("/api/v1/metrics/nope/series", headers=headers)
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    grain = client.get("/api/v1/metrics/signups/series", params={"grain": "hour"}, headers=headers)
    assert grain.status_code == 422 and grain.json()["errors"][0]["field"] == "grain"
    where = client.get(
        "/api/v1/metrics/signups/series", params={"where": "plan is great"}, headers=headers
    )
    assert where.status_code == 422 and where.json()["errors"][0]["field"] == "where[0]"
    dimension = client.get(
        "/api/v1/metrics/signups/series", params={"by": "colour"}, headers=headers
    )
    assert dimension.status_code in (404, 422) and "colour" in dimension.json()["detail"]
    source = client.get(
        "/api/v1/metrics/signups/series", params={"source": "warehouse"}, headers=headers
    )
    assert source.status_code == 404 and "warehouse" in source.json()["detail"]


def test_sql_for_other_dialects_counts_distinct_exactly(
    client: TestClient, accounts: Accounts, metrics_runtime: Runtime
) -> None:
    del metrics_runtime
    headers = accounts.bearer(accounts.person(Role.viewer))
    sql = client.get(
        "/api/v1/metrics/active_accounts/sql", params={"dialect": "clickhouse"}, headers=headers
    ).json()["sql"]
    assert "uniq(" not in sql.replace("uniqExact(", "")


def test_an_invalid_file_never_replaces_a_valid_one(metrics_runtime: Runtime) -> None:
    registry = metrics_runtime.metrics
    assert "signups" in registry.catalog()
    path = registry.folder / "demo_onboarding.yaml"
    text = path.read_text()
    path.write_text(text.replace("type: count\n    event: Signed Up", "type: count\n    evnt: x"))
    os.utime(path, ns=(1, 1))  # a different signature even within the same mtime tick
    catalog = registry.catalog()
    assert "signups" in catalog and "activation_rate" in catalog
    assert any("demo_onboarding.yaml" in str(p) for p in registry.problems)


def test_pages_show_catalog_chart_definition_and_errors(
    client: TestClient, accounts: Accounts, metrics_runtime: Runtime
) -> None:
    del metrics_runtime
    from tests.support.accounts import sign_in

    sign_in(client, accounts.person(Role.viewer))
    catalog = client.get("/metrics", params={"q": "activation"})
    assert catalog.status_code == 200 and "Activation rate" in catalog.text
    assert "Sign-ups" not in catalog.text
    fragment = client.get("/metrics", params={"q": "spend"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "Card spend" in fragment.text
    page = client.get(
        "/metrics/signups", params={"from": "2026-11-01", "to": "2026-11-30", "compare": "true"}
    )
    assert "data-chart=" in page.text and "Generated SQL" in page.text
    assert 'data-testid="not-certified"' not in page.text
    uncertified = client.get("/metrics/card_payments")
    assert 'data-testid="not-certified"' in uncertified.text
    failing = client.get("/metrics/signups", params={"where": "nonsense"})
    assert failing.status_code == 200 and 'data-testid="query-error"' in failing.text


def test_cli_validate_compile_and_query(tmp_path: Path) -> None:
    env = {**os.environ, "PILOTHOUSE_HOME": str(tmp_path / "home")}
    folder = tmp_path / "home" / "metrics"
    copy_demo_definitions(folder)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pilothouse", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = cli("metrics", "validate")
    assert ok.returncode == 0, ok.stderr
    compiled = cli("metrics", "compile", "signups", "--dialect", "bigquery", "--grain", "month")
    assert compiled.returncode == 0 and "DATE_TRUNC" in compiled.stdout.upper()
    queried = cli("metrics", "query", "signups", "--grain", "total", "--format", "csv")
    assert queried.returncode == 0, queried.stderr
    assert queried.stdout.splitlines()[0] == "period_start,value"
    (folder / "broken.yaml").write_text("metrics:\n  - name: broken\n    type: count\n")
    bad = cli("metrics", "validate")
    assert bad.returncode == 1
    assert "broken.yaml:2: metrics[0]" in bad.stdout and "Traceback" not in bad.stderr


def test_current_values_for_key_results(runtime: Runtime) -> None:
    """What a key result bound to a metric shows: the last 30 days, or the latest day."""
    from pilothouse.metrics.service import current_metric_values

    copy_demo_definitions(runtime.settings.effective_metrics_path)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    events = [
        TrackedEvent(f"s{i}", "Signed Up", f"u{i}", None, f"a{i}", when, {})
        for i, when in enumerate([recent, recent, old])
    ]
    events += [
        TrackedEvent("v0", "Identity Verified", "u0", None, "a0", recent + HOUR, {}),
        TrackedEvent("p0", "Card Payment", "u0", None, "a0", recent + 2 * HOUR, {}),
    ]
    runtime.event_store.write(events=events, received_at=recent)
    values = current_metric_values(
        runtime, ["signups", "activation_rate", "weekly_active_accounts", "no_such_metric"]
    )
    assert values["signups"] == 2  # the 60-day-old sign-up is outside the window
    assert values["activation_rate"] == pytest.approx(0.5)
    assert values["weekly_active_accounts"] == 2  # rolling: the latest day, a0 and a1
    assert values["no_such_metric"] is None


def test_a_filter_on_a_property_never_set_is_an_error_not_zeros(
    client: TestClient, accounts: Accounts, metrics_runtime: Runtime
) -> None:
    del metrics_runtime
    headers = accounts.bearer(accounts.person(Role.viewer))
    response = client.get(
        "/api/v1/metrics/card_payments/series",
        params={"from": "2026-11-01", "to": "2026-11-30", "where": "property.colour = red"},
        headers=headers,
    )
    assert response.status_code == 422
    assert "card_payments" in response.json()["detail"]
    assert "colour" in response.json()["detail"]
    empty_range = _series(client, headers, "card_payments", grain="total", to="2026-11-01")
    assert all(not row["value"] for row in empty_range)  # no events at all: zeros, no error


def test_a_changed_definition_is_compiled_again(
    client: TestClient, accounts: Accounts, metrics_runtime: Runtime
) -> None:
    """Compiled SQL is kept per query (issue 14.3), but only while the catalog is the same:
    after the definition changes, the same query counts what the new definition says."""
    headers = accounts.bearer(accounts.person(Role.viewer))
    assert _series(client, headers, "signups", grain="total")[0]["value"] == 3
    assert _series(client, headers, "signups", grain="total")[0]["value"] == 3  # kept SQL
    path = metrics_runtime.metrics.folder / "demo_onboarding.yaml"
    text = path.read_text()
    changed = text.replace(
        "type: count\n    event: Signed Up", "type: count\n    event: Card Payment"
    )
    assert changed != text
    path.write_text(changed)
    os.utime(path, ns=(1, 1))  # a different signature even within the same mtime tick
    assert _series(client, headers, "signups", grain="total")[0]["value"] == 4


def test_the_catalog_signature_sees_nested_new_edited_and_removed_files(tmp_path: Path) -> None:
    from pilothouse.metrics.service import _signature

    assert _signature(tmp_path / "missing") == ()
    (tmp_path / "team" / "growth").mkdir(parents=True)
    (tmp_path / "a.yaml").write_text("metrics: []\n")
    (tmp_path / "team" / "growth" / "b.yml").write_text("metrics: []\n")
    (tmp_path / "notes.md").write_text("not a definition\n")
    outside = tmp_path.parent / f"{tmp_path.name}-linked"
    outside.mkdir()
    (outside / "c.yaml").write_text("metrics: []\n")
    (tmp_path / "linked").symlink_to(outside, target_is_directory=True)  # not followed
    first = _signature(tmp_path)
    assert [name for name, _mtime, _size in first] == ["a.yaml", "team/growth/b.yml"]
    (tmp_path / "team" / "growth" / "b.yml").write_text("metrics: [] # edited\n")
    assert _signature(tmp_path) != first
    (tmp_path / "a.yaml").unlink()
    assert [name for name, _m, _s in _signature(tmp_path)] == ["team/growth/b.yml"]
