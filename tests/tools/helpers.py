"""Shared bits of the tool tests: a CSV with an overlap and a renewal, and counting."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.tools.models import Tool

TODAY = date.today()


def tool_csv(owner: str, *, renew_in: int = 20, notice: int = 45) -> str:
    """Three tools: two analytics tools sharing ``session-replay`` (an overlap), one
    renewing inside its notice period, one billed monthly, one in EUR."""
    renews = (TODAY + timedelta(days=renew_in)).isoformat()
    later = (TODAY + timedelta(days=300)).isoformat()
    return (
        "Name,Category,Cost,Currency,Billing,Owner,Admins,Seats bought,Seats used,"
        "Contract start,Renewal date,Notice days,SSO,Capabilities,Data held\n"
        f"Amplitude,analytics,12000.00,USD,annual,{owner},{owner},50,20,2025-01-15,"
        f"{renews},{notice},yes,product-analytics;session-replay,Product events\n"
        f"FullStory,analytics,500,USD,monthly,,,10,10,2026-03-01,{later},30,no,"
        "session-replay,Recordings\n"
        f'Miro,design,"1,200.50",EUR,annual,{owner},,,,2024-06-01,{later},30,yes,whiteboard,\n'
    )


def count_tools(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Tool)) or 0)


def count_events(runtime: Runtime, name: str) -> int:
    with runtime.database.session() as session:
        query = select(func.count()).where(Event.name == name)
        return int(session.scalar(query) or 0)
