"""Demo tool stack: what Ledgerly pays for (docs/demo.md, docs/tools.md).

About fifteen tools a fintech product team of Ledgerly's size runs, with owners and
admins from the demo people, costs in USD, EUR and GBP, and dates relative to today
so that the page always has something to say: two analytics tools and two
session-replay tools overlap, Zoom and Productboard pay for seats nobody uses, and
Amplitude and Zoom renew inside their notice period. Idempotent: tools are found
again by name, so a reload adds nothing twice and leaves edits alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import NotFound
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.tools import service
from pilothouse.tools.checks import slugify

__all__ = ["TOOLS", "load_demo_tools"]

_EX = "@pilothouse.example"

#: One dict per tool; ``renews_in``/``started_ago`` are days from today, people are the
#: local part of a demo e-mail, ``cost`` is per billing period in currency units.
TOOLS: list[dict[str, Any]] = [
    {
        "name": "Amplitude",
        "category": "analytics",
        "cost": "48000",
        "currency": "USD",
        "billing": "annual",
        "seats_bought": 60,
        "seats_used": 41,
        "renews_in": 21,
        "notice_days": 60,
        "started_ago": 700,
        "owner": "kenji.watanabe",
        "admins": ["kenji.watanabe", "amara.mensah"],
        "sso": True,
        "capabilities": ["product-analytics", "funnels", "cohorts"],
        "data_held": "Product events with user and account ids (pseudonymous)",
        "description": "Product analytics for the web and mobile apps.",
    },
    {
        "name": "Mixpanel",
        "category": "analytics",
        "cost": "833",
        "currency": "USD",
        "billing": "monthly",
        "seats_bought": 10,
        "seats_used": 6,
        "renews_in": 200,
        "notice_days": 30,
        "started_ago": 160,
        "owner": "lucas.moreau",
        "admins": ["lucas.moreau"],
        "sso": False,
        "capabilities": ["product-analytics", "funnels"],
        "data_held": "Mobile app events with device ids",
        "description": "Mobile team's own analytics, bought for the app redesign.",
    },
    {
        "name": "Hotjar",
        "category": "feedback",
        "cost": "289",
        "currency": "EUR",
        "billing": "monthly",
        "seats_bought": 10,
        "seats_used": 7,
        "renews_in": 110,
        "notice_days": 30,
        "started_ago": 900,
        "owner": "sofia.lindqvist",
        "admins": ["sofia.lindqvist"],
        "sso": False,
        "capabilities": ["session-replay", "surveys", "heatmaps"],
        "data_held": "Session recordings of the web app (inputs masked)",
        "description": "Heatmaps, recordings and on-page surveys on the site and web app.",
    },
    {
        "name": "FullStory",
        "category": "analytics",
        "cost": "24000",
        "currency": "USD",
        "billing": "annual",
        "seats_bought": 15,
        "seats_used": 11,
        "renews_in": 240,
        "notice_days": 60,
        "started_ago": 400,
        "owner": "daniel.okafor",
        "admins": ["daniel.okafor"],
        "sso": True,
        "capabilities": ["session-replay"],
        "data_held": "Session recordings of the web app with user ids",
        "description": "Session replay for support escalations.",
    },
    {
        "name": "Typeform",
        "category": "feedback",
        "cost": "59",
        "currency": "EUR",
        "billing": "monthly",
        "seats_bought": 3,
        "seats_used": 3,
        "renews_in": 18,
        "notice_days": 7,
        "started_ago": 600,
        "owner": "hannah.goldberg",
        "admins": ["hannah.goldberg"],
        "sso": False,
        "capabilities": ["surveys"],
        "data_held": "Survey answers with customer e-mails",
        "description": "NPS and research screener surveys.",
    },
    {
        "name": "Productboard",
        "category": "product management",
        "cost": "14400",
        "currency": "USD",
        "billing": "annual",
        "seats_bought": 15,
        "seats_used": 6,
        "renews_in": 150,
        "notice_days": 30,
        "started_ago": 580,
        "owner": "priya.natarajan",
        "admins": ["priya.natarajan"],
        "sso": True,
        "capabilities": ["roadmaps", "feedback-inbox"],
        "data_held": "Feature requests with customer names",
        "description": "Roadmaps and the feedback inbox, before Pilothouse.",
    },
    {
        "name": "Jira Software",
        "category": "engineering",
        "cost": "1020",
        "currency": "USD",
        "billing": "monthly",
        "seats_bought": 120,
        "seats_used": 112,
        "renews_in": 95,
        "notice_days": 30,
        "started_ago": 1400,
        "owner": "daniel.okafor",
        "admins": ["daniel.okafor", "mateo.alvarez"],
        "sso": True,
        "capabilities": ["issue-tracking"],
        "data_held": "Tickets, some with customer names",
        "description": "Engineering tickets and sprints.",
    },
    {
        "name": "Figma",
        "category": "design",
        "cost": "11250",
        "currency": "USD",
        "billing": "annual",
        "seats_bought": 25,
        "seats_used": 22,
        "renews_in": 260,
        "notice_days": 30,
        "started_ago": 1100,
        "owner": "sofia.lindqvist",
        "admins": ["sofia.lindqvist"],
        "sso": True,
        "capabilities": ["design", "prototyping"],
        "data_held": "Designs and prototypes",
        "description": "Product design and prototypes.",
    },
    {
        "name": "Miro",
        "category": "design",
        "cost": "4800",
        "currency": "EUR",
        "billing": "annual",
        "seats_bought": 30,
        "seats_used": 19,
        "renews_in": 330,
        "notice_days": 30,
        "started_ago": 760,
        "owner": "hannah.goldberg",
        "admins": ["hannah.goldberg"],
        "sso": True,
        "capabilities": ["whiteboard"],
        "data_held": "Workshop boards",
        "description": "Whiteboards for discovery workshops.",
    },
    {
        "name": "Slack",
        "category": "communication",
        "cost": "34000",
        "currency": "USD",
        "billing": "annual",
        "seats_bought": 180,
        "seats_used": 171,
        "renews_in": 75,
        "notice_days": 30,
        "started_ago": 1500,
        "owner": "priya.natarajan",
        "admins": ["priya.natarajan", "mateo.alvarez"],
        "sso": True,
        "capabilities": ["chat", "video-calls"],
        "data_held": "All internal chat",
        "description": "Company chat and huddles.",
    },
    {
        "name": "Zoom",
        "category": "communication",
        "cost": "7200",
        "currency": "USD",
        "billing": "annual",
        "seats_bought": 40,
        "seats_used": 12,
        "renews_in": 25,
        "notice_days": 30,
        "started_ago": 1200,
        "owner": "mateo.alvarez",
        "admins": ["mateo.alvarez"],
        "sso": True,
        "capabilities": ["video-calls"],
        "data_held": "Meeting recordings",
        "description": "Customer calls; most meetings moved to Slack huddles.",
    },
    {
        "name": "Optimizely",
        "category": "experimentation",
        "cost": "36000",
        "currency": "USD",
        "billing": "annual",
        "seats_bought": 8,
        "seats_used": 3,
        "renews_in": 45,
        "notice_days": 90,
        "started_ago": 800,
        "owner": "amara.mensah",
        "admins": ["amara.mensah"],
        "sso": True,
        "status": "cancelling",
        "capabilities": ["ab-testing"],
        "data_held": "Experiment assignments with user ids",
        "description": "Web A/B tests; notice given, experiments move to Pilothouse.",
    },
    {
        "name": "LaunchDarkly",
        "category": "engineering",
        "cost": "1200",
        "currency": "USD",
        "billing": "monthly",
        "seats_bought": 20,
        "seats_used": 18,
        "renews_in": 190,
        "notice_days": 30,
        "started_ago": 650,
        "owner": "mateo.alvarez",
        "admins": ["mateo.alvarez"],
        "sso": True,
        "capabilities": ["feature-flags"],
        "data_held": "Flag rules with account ids",
        "description": "Feature flags and rollouts.",
    },
    {
        "name": "Intercom",
        "category": "support",
        "cost": "1480",
        "currency": "EUR",
        "billing": "monthly",
        "seats_bought": 22,
        "seats_used": 20,
        "renews_in": 120,
        "notice_days": 30,
        "started_ago": 980,
        "owner": "hannah.goldberg",
        "admins": ["hannah.goldberg"],
        "sso": True,
        "capabilities": ["help-desk", "in-app-chat"],
        "data_held": "Customer conversations, names, e-mails",
        "description": "Support inbox and in-app chat.",
    },
    {
        "name": "Zendesk",
        "category": "support",
        "cost": "9600",
        "currency": "EUR",
        "billing": "annual",
        "seats_bought": 18,
        "seats_used": 0,
        "status": "retired",
        "ended_ago": 300,
        "notice_days": 30,
        "started_ago": 1300,
        "owner": "hannah.goldberg",
        "sso": False,
        "capabilities": ["help-desk"],
        "data_held": "Archived tickets (export kept)",
        "description": "Replaced by Intercom.",
    },
    {
        "name": "Snowflake",
        "category": "data",
        "cost": "60000",
        "currency": "USD",
        "billing": "annual",
        "renews_in": 280,
        "notice_days": 60,
        "started_ago": 1000,
        "owner": "amara.mensah",
        "admins": ["amara.mensah"],
        "sso": True,
        "capabilities": ["warehouse"],
        "data_held": "All product and billing data",
        "description": "The data warehouse (capacity contract).",
    },
    {
        "name": "dbt Cloud",
        "category": "data",
        "cost": "4800",
        "currency": "GBP",
        "billing": "annual",
        "seats_bought": 8,
        "seats_used": 7,
        "renews_in": 170,
        "notice_days": 30,
        "started_ago": 540,
        "owner": "amara.mensah",
        "admins": ["amara.mensah"],
        "sso": True,
        "capabilities": ["transformation"],
        "data_held": "Models over the warehouse",
        "description": "Warehouse transformations.",
    },
]


def _values(spec: dict[str, Any]) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    values = {k: v for k, v in spec.items() if k not in ("renews_in", "started_ago", "ended_ago")}
    values["owner"] = spec["owner"] + _EX
    values["admins"] = [a + _EX for a in spec.get("admins", [])]
    values["contract_start"] = today - timedelta(days=spec["started_ago"])
    if "renews_in" in spec:
        values["renewal_date"] = today + timedelta(days=spec["renews_in"])
    if "ended_ago" in spec:
        values["ended_on"] = today - timedelta(days=spec["ended_ago"])
    return values


def load_demo_tools(session: Session, actor: Actor, _runtime: Runtime) -> DemoResult:
    """Add the demo tools that are not there yet."""
    added = 0
    for spec in TOOLS:
        try:
            service.find_tool(session, slugify(spec["name"]))
            continue
        except NotFound:
            pass
        service.create_tool(session, actor, _values(spec))
        added += 1
    return DemoResult(added={"tools": added})
