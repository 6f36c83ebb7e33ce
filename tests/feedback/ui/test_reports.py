"""The voice-of-customer report: the same content as JSON, Markdown and HTML; API, page, CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.feedback.ui.conftest import Workspace
from tests.support.accounts import Accounts, sign_in
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime

API = "/api/v1/feedback/reports/voc"


class _Tags(HTMLParser):
    """Collects the tags and attributes an HTML document uses."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _range(workspace: Workspace) -> str:
    end = workspace.now.date()
    return f"start={end - timedelta(days=27)}&end={end}"


def test_json_report_has_top_themes_spikes_and_quotes(
    client: TestClient, accounts: Accounts, workspace: Workspace
) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    report = client.get(f"{API}?{_range(workspace)}&format=json", headers=headers)
    assert report.status_code == 200, report.text
    data = report.json()
    # the last 28 days: Exports has this week's 10 + weeks -1..-3 (3), Billing its 3
    # (2-4 weeks ago), Onboarding (5 weeks ago) is out of range
    top = [
        (t["label"], t["item_count"], t["customer_count"], t["arr_cents"]) for t in data["themes"]
    ]
    assert top[0][0] == "Exports" and top[0][2:] == (2, 105_000_00)
    assert "Onboarding" not in [t[0] for t in top]
    assert top[0][1] in (13, 14) and {t[0]: t[1] for t in top}["Billing"] in (2, 3)
    assert [s["label"] for s in data["spikes"]] == ["Exports"]
    assert {t["label"] for t in data["new_themes"]} == {"Exports", "Billing", "Onboarding"} - {
        "Onboarding"
    }
    exports = data["themes"][0]
    assert 2 <= len(exports["quotes"]) <= 3
    assert all("export" in q["text"].lower() for q in exports["quotes"])
    assert exports["sentiment"]["negative"] >= 6
    assert data["item_count"] == sum(t["item_count"] for t in data["themes"]) + 1  # + dark mode


def test_markdown_and_html_say_the_same(
    client: TestClient, accounts: Accounts, workspace: Workspace
) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    md = client.get(f"{API}?{_range(workspace)}&format=md", headers=headers)
    assert md.headers["content-type"].startswith("text/markdown")
    text = md.text
    assert text.startswith(f"# Voice of the customer: {workspace.now.date() - timedelta(days=27)}")
    assert re.search(r"\| 1 \| Exports \| 1[34] \| 2 \| \$105,000 \| rising", text), text
    assert "## Spikes" in text and "- **Exports**: 10 items in the last week" in text
    assert "> CSV export times out again" in text
    page = client.get(f"{API}?{_range(workspace)}&format=html&download=true", headers=headers)
    assert page.headers["content-type"].startswith("text/html")
    assert "attachment;" in page.headers["content-disposition"]
    parser = _Tags()
    parser.feed(page.text)
    used = {tag for tag, _ in parser.tags}
    assert "script" not in used and "link" not in used and "img" not in used  # standalone
    assert not [a for _, attrs in parser.tags for a in attrs.values() if a and "http" in a]
    assert (
        "Exports" in page.text and "$105,000" in page.text and "CSV export times out" in page.text
    )


@pytest.mark.usefixtures("workspace")
def test_bad_ranges_are_refused(client: TestClient, accounts: Accounts) -> None:
    headers = accounts.bearer(accounts.person(Role.viewer))
    backwards = client.get(f"{API}?start=2026-03-10&end=2026-03-01", headers=headers)
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "end"
    assert client.get(f"{API}?start=2026-03-01", headers=headers).status_code == 422
    assert client.get(f"{API}?start=2020-01-01&end=2026-01-01", headers=headers).status_code == 422
    assert client.get(f"{API}?start=2026-03-01&end=2026-03-02").status_code == 401


@pytest.mark.usefixtures("workspace")
def test_report_page_and_downloads(client: TestClient, accounts: Accounts) -> None:
    sign_in(client, accounts.person(Role.viewer))
    end = datetime.now(UTC).date()
    days = f"start={end - timedelta(days=27)}&end={end}"
    page = client.get(f"/feedback/reports?{days}&segment=smb")
    assert page.status_code == 200
    assert 'data-testid="report-downloads"' in page.text
    assert "&amp;segment=smb&amp;format=md" in page.text
    download = client.get(f"/feedback/reports?{days}&segment=smb&format=md")
    assert "attachment;" in download.headers["content-disposition"]
    assert "Filters: segment = smb" in download.text
    assert "| Exports | 5 | 1 | $5,000 |" in download.text  # only Globex's (smb) items count


def test_cli_report(runtime: Runtime, workspace: Workspace, tmp_path: Path) -> None:
    env = {"PILOTHOUSE_HOME": str(tmp_path / "h"), "PILOTHOUSE_DATABASE_URL": runtime.database.url}
    end = workspace.now.date()
    args = ["feedback", "report", "--start", str(end - timedelta(days=27)), "--end", str(end)]
    result = CliRunner().invoke(cli_app, [*args, "--format", "md"], env=env)
    assert result.exit_code == 0, result.output
    assert "| 1 | Exports |" in result.stdout
    out = tmp_path / "voc.html"
    result = CliRunner().invoke(cli_app, [*args, "--format", "html", "-o", str(out)], env=env)
    assert result.exit_code == 0 and "<h1>Voice of the customer</h1>" in out.read_text()
    bad = CliRunner().invoke(cli_app, ["feedback", "report", "--start", "x", "--end", "y"], env=env)
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.stderr
