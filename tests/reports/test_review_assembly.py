"""The weekly review assembled from hand-built objects, on SQLite and PostgreSQL.

Everything is created through the domains' services, so its times are "now": the
review covers the current week (the latest week the review may show) and the objects
are placed relative to it (an overdue launch's GA date lies before the week).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.actor import Actor
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.decisions import service as decisions
from pilothouse.experiments import registry as experiments
from pilothouse.experiments.models import DecisionOutcome, MetricRole
from pilothouse.feedback import service as feedback
from pilothouse.feedback import themes
from pilothouse.launches import blueprints, gates, launching
from pilothouse.launches.common import workspace_today
from pilothouse.reports.render import to_markdown
from pilothouse.reports.review import assemble, to_dict
from pilothouse.reports.weeks import parse_week, week_of
from tests.support.accounts import Accounts, sign_in

CLI = Actor.command_line()


def _build(runtime: Runtime) -> dict[str, Any]:
    today = workspace_today(runtime.settings.timezone)
    week = week_of(today)
    with runtime.database.session() as session:
        template = blueprints.create_template(
            session, CLI, {"name": "Two steps", "stages": [{"name": "Build"}, {"name": "GA"}]}
        )
        shipped = launching.create_launch(
            session, CLI, {"template": template.id, "name": "Card freeze", "target_date": today}
        )
        gates.advance(session, CLI, shipped)
        late_day = week.start - timedelta(days=3)
        late = launching.create_launch(
            session, CLI, {"template": template.id, "name": "Bulk export", "target_date": late_day}
        )
        soon_day = week.end + timedelta(days=5)
        soon = launching.create_launch(
            session, CLI, {"template": template.id, "name": "Dark mode", "target_date": soon_day}
        )
        design = experiments.ExperimentDesign(
            name="Shorter signup",
            variations=[
                experiments.VariationSpec("control", "Control", 0.5),
                experiments.VariationSpec("short", "Short form", 0.5),
            ],
            hypothesis="A shorter form gets more sign-ups.",
            exposure={
                "kind": "event",
                "event": "Signup Viewed",
                "experiment_property": "experiment",
                "variation_property": "variation",
            },
            metrics=[experiments.MetricChoice("signups", MetricRole.primary)],
        )
        experiment = experiments.create_experiment(session, CLI, design)
        experiments.start(session, CLI, experiment)
        experiments.stop(session, CLI, experiment)
        experiments.decide(session, CLI, experiment, DecisionOutcome.ship, "Clearly better")
        decision = decisions.create_decision(
            session, CLI, {"title": "Sunset the legacy API", "context": "Costs too much"}
        )
        decisions.decide(session, CLI, decision, {"chosen_option": "Sunset in Q1"})
        ids = [
            feedback.create_feedback(
                session, CLI, {"text": f"Exports time out ({n})", "source_name": "mail"}
            ).id
            for n in range(3)
        ]
        theme = themes.create_theme(session, CLI, label="Exports time out")
        themes.move_items(session, CLI, ids, theme)
        return {
            "week": week, "today": today, "shipped": shipped.key, "late": late.key,
            "soon": soon.key, "late_day": late_day, "soon_day": soon_day,
            "experiment": experiment.key, "decision": decision.key, "theme": theme,
        }  # fmt: skip


def test_assembles_every_section_from_the_services(runtime: Runtime) -> None:
    made = _build(runtime)
    week = made["week"]
    with runtime.database.session() as session:
        review = assemble(runtime, session, parse_week(week.key, runtime.settings.timezone))
    data = to_dict(review)
    assert data["week"] == {
        "key": week.key, "start": week.start.isoformat(), "end": week.end.isoformat()
    }  # fmt: skip
    assert data["metrics"] == []  # the test workspace certifies no metric
    (started,) = data["experiments_started"]
    (finished,) = data["experiments_finished"]
    for entry in (started, finished):
        assert entry["experiment"]["name"] == "Shorter signup"
        assert entry["experiment"]["url"] == f"/experiments/{made['experiment']}"
        assert entry["status"] == "decided"
        assert entry["result"] == "not analysed yet"
        assert entry["decision"].startswith("ship (")
    (shipped,) = data["launches_shipped"]
    assert shipped["launch"] == {
        "type": "launch", "id": made["shipped"], "name": "Card freeze",
        "url": f"/launches/{made['shipped']}",
    }  # fmt: skip
    (upcoming,) = data["launches_upcoming"]
    assert upcoming["launch"]["name"] == "Dark mode"
    assert upcoming["note"] == f"GA planned {made['soon_day']:%a %d %b}"
    (overdue,) = data["launches_overdue"]
    assert overdue["launch"]["name"] == "Bulk export"
    days = (week.end + timedelta(days=1) - made["late_day"]).days
    assert overdue["note"].startswith(f"{days} days late: GA date {made['late_day']} has passed")
    assert data["feedback_items"] == 3
    (theme,) = data["themes_top"]
    assert theme["theme"]["name"] == "Exports time out"
    assert theme["theme"]["url"] == f"/feedback/themes/{made['theme']}"
    assert theme["items"] == 3
    assert data["themes_spiking"] == []  # three items are no significant spike
    (decision,) = data["decisions"]
    assert decision["decision"]["name"] == "Sunset the legacy API"
    assert decision["decision"]["url"] == f"/decisions/{made['decision']}"
    assert decision["chosen"] == "Sunset in Q1"
    assert decision["decided_on"] == made["today"].isoformat()
    assert data["next_week"] is None  # the current week is the latest one
    assert data["previous_week"] == week.shifted(-1).key
    markdown = to_markdown(review, "https://ph.example")
    assert f"[Card freeze](https://ph.example/launches/{made['shipped']})" in markdown
    assert "- [Sunset the legacy API](https://ph.example/decisions/" in markdown


def test_a_week_outside_the_bounds_or_misspelt_is_refused_naming_the_field(
    runtime: Runtime,
) -> None:
    zone = runtime.settings.timezone
    current = week_of(workspace_today(zone))
    for bad in ("2026-48", "2026-W60", current.shifted(1).key, current.shifted(-200).key):
        with pytest.raises(ValidationFailed) as caught:
            parse_week(bad, zone)
        assert caught.value.errors[0].field == "week"


def test_the_api_returns_the_review_and_names_a_bad_week(
    runtime: Runtime, client: TestClient, accounts: Accounts
) -> None:
    made = _build(runtime)
    sign_in(client, accounts.person(Role.viewer))
    answer = client.get("/api/v1/reports/weekly-review", params={"week": made["week"].key})
    assert answer.status_code == 200
    body = answer.json()
    assert [x["launch"]["name"] for x in body["launches_shipped"]] == ["Card freeze"]
    assert body["url"] == f"/reports/weekly-review?week={made['week'].key}"
    bad = client.get("/api/v1/reports/weekly-review", params={"week": "last week"})
    assert bad.status_code == 422 and "week" in bad.text
    page = client.get("/reports/weekly-review", params={"week": made["week"].key})
    assert page.status_code == 200
    assert f'<a href="/launches/{made["shipped"]}">Card freeze</a>' in page.text
    assert f'<a href="/decisions/{made["decision"]}">Sunset the legacy API</a>' in page.text
    settings_page = client.get("/account/notifications").text
    assert "The weekly product review, Monday mornings" in settings_page
    assert "The voice-of-customer digest, Monday mornings" in settings_page
    home = client.get("/")
    assert '<a href="/reports/weekly-review">the weekly product review</a>' in home.text
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/reports/weekly-review" in schema["paths"]
