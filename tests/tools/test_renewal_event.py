"""``tool.renewal_due`` end to end on SQLite and PostgreSQL: the daily check records it
once per tool and renewal date, and a rule on it fires exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from pilothouse.automations import rules
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.events import CATALOGUE, sample_event
from pilothouse.automations.models import AutomationFiring
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.notifications.models import Notification
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedules import BUILTIN_SCHEDULES
from pilothouse.tools import renewals, service
from tests.support.accounts import Accounts
from tests.tools.helpers import TODAY, count_events

CLI = Actor.command_line()


def test_a_rule_on_renewal_due_fires_once(runtime: Runtime) -> None:
    owner = Accounts(runtime).person(Role.editor)
    with runtime.database.session() as session:
        for name, days in (("Zoom", 25), ("Slack", 75)):
            service.create_tool(
                session,
                CLI,
                {
                    "name": name,
                    "category": "communication",
                    "cost": "7200",
                    "currency": "USD",
                    "owner": owner.email,
                    "notice_days": 30,
                    "renewal_date": TODAY + timedelta(days=days),
                },
            )
        rule = rules.create_rule(
            session,
            CLI,
            {
                "name": "Renewals to the owner",
                "trigger": "tool.renewal_due",
                "conditions": [{"field": "category", "op": "eq", "value": "communication"}],
                "actions": [
                    {
                        "kind": "notify",
                        "users": [owner.email],
                        "title": "{{ tool }} renews on {{ renewal_date }}",
                    }
                ],
            },
        )
        rule_id = rule.id
    assert renewals.check_renewals(runtime, today=TODAY) == {"tool.renewal_due": 1}
    assert renewals.check_renewals(runtime, today=TODAY + timedelta(days=1)) == {
        "tool.renewal_due": 0
    }  # same tool, same renewal date: not again
    dispatch_once(runtime, run_now=True)
    dispatch_once(runtime, run_now=True)
    assert count_events(runtime, "tool.renewal_due") == 1
    with runtime.database.session() as session:
        firings = session.scalar(select(func.count()).where(AutomationFiring.rule_id == rule_id))
        titles = list(
            session.scalars(select(Notification.title).where(Notification.recipient_id == owner.id))
        )
    assert firings == 1
    assert titles == [f"zoom renews on {(TODAY + timedelta(days=25)).isoformat()}"]
    with runtime.database.session() as session:  # renewed: the next date is announced again
        zoom = service.find_tool(session, "zoom")
        service.update_tool(session, CLI, zoom, {"renewal_date": TODAY + timedelta(days=10)})
    assert renewals.check_renewals(runtime, today=TODAY) == {"tool.renewal_due": 1}


def test_the_event_is_in_the_catalogue_and_scheduled_daily() -> None:
    kind = CATALOGUE["tool.renewal_due"]
    assert kind.object_type == "tool" and "renewal_date" in kind.fields
    assert sample_event("tool.renewal_due").fields["object_type"] == "tool"
    schedule = BUILTIN_SCHEDULES["tools.renewal_check"]
    assert schedule.cron == "30 7 * * *" and schedule.job_kind == renewals.RENEWAL_JOB
