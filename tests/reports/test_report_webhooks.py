"""Scheduled reports are published as ``report.published`` and reach a real webhook
receiver as a Slack body through an ordinary automation rule, on SQLite and PostgreSQL.

Each of the three reports (weekly review, voice-of-customer digest, leadership digest)
has its own rule filtered on ``report``: producing one report fires only its rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from pilothouse.automations import rules
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.events import CATALOGUE
from pilothouse.automations.webhooks import slack_body
from pilothouse.core.actor import Actor
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.core.workspace import set_setting
from pilothouse.reports.leadership_mail import send_leadership_digest
from pilothouse.reports.mail import send_weekly_review
from pilothouse.reports.voc_digest import send_voc_digest
from pilothouse.reports.weeks import last_complete_week
from tests.automations.receiver import Receiver

CLI = Actor.command_line()
KINDS = ("weekly_review", "voc_digest", "leadership_digest")


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    found = {kind: Receiver() for kind in KINDS}
    servers = [r.start() for r in found.values()]
    yield found
    for server in servers:
        server.shutdown()
        server.server_close()


def _rules(runtime: Runtime, receivers: dict[str, Receiver]) -> None:
    with runtime.database.session() as session:
        set_setting(session, CLI, "automations.allow_private_targets", True)
        for kind, receiver in receivers.items():
            rules.create_rule(
                session,
                CLI,
                {
                    "name": f"{kind} to chat",
                    "trigger": "report.published",
                    "conditions": [{"field": "report", "op": "eq", "value": kind}],
                    "actions": [{"kind": "webhook", "url": receiver.url, "format": "slack"}],
                },
            )


def _text(body: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")


def test_report_published_is_in_the_catalogue() -> None:
    kind = CATALOGUE["report.published"]
    assert kind.object_type == "report"
    assert set(kind.fields) == {"report", "period", "title", "url", "summary"}


def test_each_report_reaches_its_own_rules_receiver_as_a_slack_message(
    runtime: Runtime, receivers: dict[str, Receiver]
) -> None:
    _rules(runtime, receivers)
    week = last_complete_week(runtime.settings.timezone).key
    base = runtime.settings.effective_public_url
    sent = {
        "weekly_review": send_weekly_review(runtime),
        "voc_digest": send_voc_digest(runtime),
        "leadership_digest": send_leadership_digest(runtime),
    }
    result = dispatch_once(runtime, run_now=True)
    assert result.firings == 3
    for kind, receiver in receivers.items():
        [got] = receiver.received
        body = got.json
        assert sent[kind]["week"] == week
        text = _text(body)
        url = {
            "weekly_review": f"{base}/reports/weekly-review?week={week}",
            "leadership_digest": f"{base}/reports/leadership-digest?week={week}",
        }.get(kind, f"{base}/feedback/reports?start=")
        assert url.replace("&", "&amp;") in text, (kind, text)
        assert body["text"].startswith(("Weekly product review", "Voice of the customer",
                                        "Leadership digest"))  # fmt: skip
        assert week in body["text"]
        assert "report.published" in body["blocks"][-1]["elements"][0]["text"]
    review = _text(receivers["weekly_review"].received[0].json)
    assert "Metrics outside normal variation: none" in review
    assert "Key results: 0 on track" in _text(receivers["leadership_digest"].received[0].json)
    with runtime.database.session() as session:
        events = session.scalars(select(Event).where(Event.name == "report.published")).all()
        assert sorted(e.object_id for e in events) == sorted(f"{k}:{week}" for k in KINDS)
        assert {e.id for e in events} == {s["event"] for s in sent.values()}
    assert dispatch_once(runtime, run_now=True).firings == 0  # each report once


def test_the_slack_body_turns_markdown_links_into_slack_links() -> None:
    data = {
        "type": "report.published",
        "occurred_at": "2026-12-07T08:00:00+00:00",
        "object": {"type": "report", "id": "weekly_review:2026-W49", "label": "Review"},
        "fields": {
            "title": "Weekly product review 2026-W49",
            "url": "https://ph.example/reports/weekly-review?week=2026-W49",
            "summary": "**Review <W49>**\n[Open](https://ph.example/r?a=1&b=2)\n",
        },
    }
    body = slack_body(data, "to chat")
    blocks = json.loads(body)["blocks"]
    assert blocks[0]["text"]["text"] == (
        "*<https://ph.example/reports/weekly-review?week=2026-W49|Weekly product review 2026-W49>*"
    )
    assert blocks[1]["text"]["text"] == (
        "*Review &lt;W49&gt;*\n<https://ph.example/r?a=1&amp;b=2|Open>\n"
    )
