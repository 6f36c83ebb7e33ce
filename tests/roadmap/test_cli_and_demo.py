"""``pilothouse roadmap import|export|list`` in-process, and the demo roadmap."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.actor import Actor
from pilothouse.core.links import links_of
from pilothouse.core.models import ProductArea
from pilothouse.core.runtime import Runtime
from pilothouse.demo.core_data import load_people_and_areas
from pilothouse.metrics.demo import copy_demo_definitions
from pilothouse.roadmap import board, items, scoring
from pilothouse.roadmap.board_pages import quarter_of as board_quarter
from pilothouse.roadmap.demo import load_demo_roadmap
from pilothouse.roadmap.listing import ItemFilter, filtered_items
from pilothouse.roadmap.models import KeyResult, Objective, RoadmapItem
from tests.roadmap.helpers import FIXTURES

CLI = Actor.command_line()


@pytest.fixture
def cli(runtime: Runtime, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {
        "PILOTHOUSE_HOME": str(tmp_path / "cli-home"),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "COLUMNS": "200",
    }

    def run(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(cli_app, ["roadmap", *args], env=env)
        assert result.exit_code == code, (result.output, result.stderr)
        return result

    return run


def _count(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(RoadmapItem)) or 0)


def test_import_export_and_list(cli, runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    jira = str(FIXTURES / "jira_export.csv")
    dry = cli("import", jira, "--dry-run")
    assert "would create 5" in dry.stderr and "jira-csv" in dry.stderr
    assert _count(runtime) == 0
    cli("import", jira)
    again = cli("import", jira)
    assert "created 0, updated 0, unchanged 5" in again.stderr
    assert _count(runtime) == 5

    bad = cli("import", str(FIXTURES / "ideas_bad.csv"), "--map", "title=Name", code=1)
    assert "row 4, column 'Effort'" in bad.stderr
    assert "nothing was imported" in bad.stderr
    assert _count(runtime) == 5
    unknown = cli("import", jira, "--map", "nonsense", code=1)
    assert "FIELD=COLUMN" in unknown.stderr

    exported = cli("export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["external_key"] for r in rows} >= {"PLAT-101", "PLAT-102"}
    as_json = json.loads(cli("export", "--format", "json").stdout)
    assert len(as_json) == 5 and "rice" in as_json[0]["scores"]
    listed = json.loads(cli("list", "--format", "json", "--formula", "wsjf").stdout)
    assert {r["key"] for r in listed} == {r["key"] for r in rows}
    assert all(r["score"] is None and "business_value" in r["note"] for r in listed)

    github = tmp_path / "issues.json"
    github.write_text((FIXTURES / "github_issues.json").read_text())
    result = cli("import", str(github), "--kind", "idea")
    assert "created 3" in result.stderr and "pull request" in result.stderr


def test_demo_roadmap_is_scored_and_idempotent(runtime: Runtime) -> None:
    copy_demo_definitions(runtime.settings.effective_metrics_path)  # the catalog KRs must match
    with runtime.database.session() as session:
        load_people_and_areas(session, CLI, runtime)
        first = load_demo_roadmap(session, CLI, runtime)
    assert first.notices == []
    assert first.added["objectives"] == 3 and first.added["roadmap items"] >= 20
    assert first.added["roadmap views"] == 3 and first.added["metric links"] >= 8
    with runtime.database.session() as session:
        again = load_demo_roadmap(session, CLI, runtime)
        assert again.added == {}
        slugs = set(session.scalars(select(KeyResult.metric_slug)))
        assert slugs == {
            "card_delivery_contacts",
            "support_contact_rate",
            "activation_rate",
            "top_up_success_rate",
            "transfer_completion_rate",
        }
        assert session.scalar(select(func.count()).select_from(Objective)) == 3
        features = filtered_items(session, ItemFilter(kind="feature"))  # type: ignore[arg-type]
        ranked = scoring.rank_items(session, features, scoring.get_formula(session, "rice"))
        assert all(r.score is not None for r in ranked)
        assert ranked[0].score is not None and ranked[0].score >= ranked[-1].score  # type: ignore[operator]
        every = filtered_items(session, ItemFilter())
        assert all(i.owner_id and i.product_area_id for i in every)
        assert all(f.parent_id for f in features if f.title not in STANDALONE)
        story = {i.title: i for i in every if i.title in STORY}
        area_names = {a.id: a.name for a in session.scalars(select(ProductArea))}
        found = {t: (i.status.key, area_names[i.product_area_id]) for t, i in story.items()}  # type: ignore[index]
        assert found == STORY
        assert board.effective_horizon(story["Transfer status and arrival time"]).value == "next"  # type: ignore[union-attr]
        now = story["Instant top-ups with Apple Pay and Google Pay"]
        assert board.effective_horizon(now).value == "now"  # type: ignore[union-attr]
        later = story["Show the exchange rate before card payments"]
        assert board.effective_horizon(later).value == "later"  # type: ignore[union-attr]
        tracking = story["Card delivery tracking"]
        # Dates follow the day the demo is loaded: this quarter's OKRs, GA on day 85.
        today = date.today()
        assert {o.period for o in session.scalars(select(Objective))} == {board_quarter(today)}
        assert tracking.target_quarter == board_quarter(today - timedelta(days=35))
        measures = links_of(session, items.item_ref(tracking), kind="measures")
        assert {(link.to_type, link.to_id) for link in measures} == {
            ("metric", "card_delivery_contacts"),
            ("metric", "card_activation_rate"),
        }


#: The demo story's items: title → (status, product area).
STORY = {
    "Card delivery tracking": ("launched", "Cards"),
    "One-step identity verification": ("launched", "Onboarding & Verification"),
    "Instant top-ups with Apple Pay and Google Pay": ("in-progress", "Top-ups & Balance"),
    "Transfer status and arrival time": ("planned", "Payments & Transfers"),
    "Show the exchange rate before card payments": ("discovery", "Cards"),
    "Spending limits per card": ("in-progress", "Spend Management"),
}
STANDALONE = {
    "Multi-currency accounts",
    "Accounting export to Xero and QuickBooks",
    "Biometric sign-in",
    "Cash deposits at partner shops",
}
