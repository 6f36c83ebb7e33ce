"""The CLI commands (one real subprocess), CRM account imports, and the feedback pages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.feedback.hub.helpers import CLI, FIXTURES, count, seed
from tests.support.accounts import Accounts, sign_in
from typer.testing import CliRunner

from pilothouse.accounts.importers import AccountFormat, import_accounts, parse_cents
from pilothouse.accounts.models import CustomerAccount
from pilothouse.cli.main import app as cli_app
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime


@pytest.fixture
def env(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    return {
        "PILOTHOUSE_HOME": str(tmp_path / "cli-home"),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "COLUMNS": "200",
    }


def _run(env: dict[str, str], *args: str, code: int = 0):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli_app, list(args), env=env)
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def test_import_dry_run_then_import_then_export(env: dict[str, str], runtime: Runtime) -> None:
    zendesk = str(FIXTURES / "zendesk_tickets.json")
    dry = _run(env, "feedback", "import", zendesk, "--format", "zendesk", "--dry-run")
    assert "would import 3 rows" in dry.stderr and count(runtime) == 0
    result = subprocess.run(
        [sys.executable, "-m", "pilothouse", "feedback", "import", zendesk, "--format", "zendesk"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "3 new" in result.stderr and count(runtime) == 3
    bad = _run(env, "feedback", "import", str(FIXTURES / "generic_bad.csv"), code=1)
    assert "line 3, column 'comment'" in bad.stderr and "nothing was imported" in bad.stderr
    exported = _run(env, "feedback", "export", "--format", "json")
    assert [r["external_id"] for r in json.loads(exported.stdout)] == ["35436", "35437", "35438"]
    as_csv = _run(env, "feedback", "export", "--source", "nobody")
    assert as_csv.stdout.startswith("id,external_id,source,created_at,text,theme_id,theme,")


def test_survey_text_column_option(env: dict[str, str], runtime: Runtime) -> None:
    path = FIXTURES / "surveymonkey_nps.csv"
    _run(
        env,
        "feedback",
        "import",
        str(path),
        "--format",
        "survey",
        "--text-column",
        "Email Address",
        "--source",
        "q1-nps",
    )
    with runtime.database.session() as session:
        from pilothouse.feedback.models import FeedbackItem

        texts = sorted(session.scalars(select(FeedbackItem.text)))
    assert texts == ["nina@gringotts-bank.example", "omar@virtucon.example"]


def test_money_is_parsed_to_exact_cents() -> None:
    assert parse_cents("$12,500.50") == 1_250_050
    assert parse_cents("USD 98,000.00") == 9_800_000
    assert parse_cents("45,000.99") == 4_500_099
    assert parse_cents("1.234,56") == 123_456
    assert parse_cents("0.29") == 29  # float(0.29) * 100 would be 28.999...
    for bad in ("twelve", "-5", "1.001"):
        with pytest.raises(ValueError):
            parse_cents(bad)


def test_crm_account_imports(env: dict[str, str], runtime: Runtime) -> None:
    sf = str(FIXTURES / "salesforce_accounts.csv")
    _run(env, "accounts", "import", sf, "--format", "salesforce", "--dry-run")
    _run(env, "accounts", "import", sf, "--format", "salesforce")
    again = _run(env, "accounts", "import", sf, "--format", "salesforce")
    assert "0 new, 0 updated, 3 unchanged" in again.stderr
    with runtime.database.session() as session:
        acme = session.scalar(
            select(CustomerAccount).where(CustomerAccount.external_id == "0015g00000XyZ1AAA")
        )
        assert acme is not None
        assert (acme.arr_cents, acme.domain, acme.plan) == (
            1_250_050,
            "acme-labs.example",
            "enterprise",
        )
        text = (FIXTURES / "hubspot_companies.csv").read_text()
        report = import_accounts(session, CLI, text, AccountFormat.hubspot, dry_run=False)
        assert [(p.line, p.column) for p in report.problems] == [(4, "Annual Recurring Revenue")]
        assert not report.committed
        assert (
            session.scalar(select(CustomerAccount).where(CustomerAccount.external_id == "9001"))
            is None
        )


def test_form_logs_feedback_and_viewers_cannot(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    ids = seed(runtime)
    editor = accounts.person(Role.editor)
    csrf = sign_in(client, editor)
    page = client.get("/feedback")
    assert page.status_code == 200 and 'data-testid="log-feedback"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    posted = client.post(
        "/feedback",
        data={
            "csrf_token": csrf,
            "text": "Wants SSO before renewal",
            "account": "acct-002",
            "source_kind": "sales_note",
            "product_area": "analytics-reporting",
            "tags": "sso, renewal",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    listed = client.get("/feedback", params={"account": "acct-002"})
    assert "Wants SSO before renewal" in listed.text and "Globex Bank" in listed.text
    assert count(runtime) == 1
    viewer_client = TestClient(client.app)
    viewer_csrf = sign_in(viewer_client, accounts.person(Role.viewer))
    page = viewer_client.get("/feedback")
    assert 'data-testid="log-feedback"' not in page.text
    refused = viewer_client.post(
        "/feedback", data={"csrf_token": viewer_csrf, "text": "sneaky"}, follow_redirects=False
    )
    assert refused.status_code == 403 and count(runtime) == 1
    assert ids["acct-002"] > 0 and re.search(r"feedback-row", listed.text)
