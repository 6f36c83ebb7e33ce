"""Tools as the API shows them."""

from __future__ import annotations

from pilothouse.core.models import User
from pilothouse.tools.models import Tool
from pilothouse.tools.schemas import PersonBrief, ToolRead

__all__ = ["person_brief", "tool_read"]


def person_brief(user: User | None) -> PersonBrief | None:
    return None if user is None else PersonBrief(id=user.id, email=user.email, name=user.name)


def tool_read(tool: Tool) -> ToolRead:
    admins = [b for b in (person_brief(u) for u in tool.admins) if b is not None]
    return ToolRead(
        slug=tool.slug,
        name=tool.name,
        category=tool.category,
        description=tool.description,
        owner=person_brief(tool.owner),
        admins=admins,
        cost_cents=tool.cost_cents,
        currency=tool.currency,
        billing=tool.billing,
        annual_cents=tool.annual_cents,
        seats_bought=tool.seats_bought,
        seats_used=tool.seats_used,
        unused_seats=tool.unused_seats,
        seats_checked_on=tool.seats_checked_on,
        contract_start=tool.contract_start,
        renewal_date=tool.renewal_date,
        ended_on=tool.ended_on,
        notice_days=tool.notice_days,
        data_held=tool.data_held,
        sso=tool.sso,
        status=tool.status,
        capabilities=list(tool.capabilities or []),
    )
