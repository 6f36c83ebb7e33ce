"""What the inventory says at a glance: overlap, unused seats, renewals, totals.

Only tools in use count (``evaluating``, ``active``, ``cancelling``); retired tools
count only in the yearly totals of the years they ran.

- **Overlap**: two or more tools in one category (other than ``other``), or sharing
  a capability tag.
- **Unused seats**: seats bought minus seats used, with the yearly cost of the
  unused ones (annual cost × unused ÷ bought).
- **Renewal due**: the renewal date is today or within the tool's notice period
  (``0 ≤ renewal − today ≤ notice_days``); the daily check announces these as
  ``tool.renewal_due``. ``cancelling`` tools are left out: notice was given.
- **Totals**: annual cost (monthly × 12) per category and currency, and per calendar
  year and currency. A tool counts in every year from its contract start (or the year
  it was added) to the year it ended (or next year, as a projection). Amounts in
  different currencies are never added together or converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pilothouse.tools.models import Tool
from pilothouse.tools.schemas import (
    CategoryTotal,
    OverlapRead,
    RenewalRead,
    ToolSummary,
    UnusedRead,
    YearTotal,
)

__all__ = [
    "IN_USE",
    "by_category",
    "by_year",
    "overlaps",
    "renewal_due",
    "renewals",
    "summary",
    "unused",
]

IN_USE = frozenset({"evaluating", "active", "cancelling"})


@dataclass(frozen=True)
class _Years:
    first: int
    last: int


def _in_use(tools: Iterable[Tool]) -> list[Tool]:
    return [t for t in tools if t.status in IN_USE]


def overlaps(tools: Iterable[Tool]) -> list[OverlapRead]:
    """Categories and capability tags that more than one tool in use covers."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for tool in _in_use(tools):
        if tool.category != "other":
            groups[("category", tool.category)].append(tool.slug)
        for tag in tool.capabilities or []:
            groups[("capability", tag)].append(tool.slug)
    found = [
        OverlapRead(kind=kind, value=value, tools=sorted(slugs))
        for (kind, value), slugs in groups.items()
        if len(slugs) > 1
    ]
    return sorted(found, key=lambda o: (o.kind != "capability", o.value))


def unused(tools: Iterable[Tool]) -> list[UnusedRead]:
    """Tools paying for seats nobody used, most expensive waste first."""
    rows = []
    for tool in _in_use(tools):
        if tool.unused_seats and tool.seats_bought:
            waste = tool.annual_cents * tool.unused_seats // tool.seats_bought
            rows.append(
                UnusedRead(
                    tool=tool.slug,
                    unused_seats=tool.unused_seats,
                    annual_cents_unused=waste,
                    currency=tool.currency,
                )
            )
    return sorted(rows, key=lambda r: (-r.annual_cents_unused, r.tool))


def renewal_due(tool: Tool, today: date) -> bool:
    """Today is inside the notice period before the tool's renewal date."""
    if tool.renewal_date is None or tool.status not in ("active", "evaluating"):
        return False
    days_left = (tool.renewal_date - today).days
    return 0 <= days_left <= tool.notice_days


def renewals(tools: Iterable[Tool], today: date) -> list[RenewalRead]:
    """Tools whose renewal is inside their notice period, soonest first."""
    rows = [
        RenewalRead(
            tool=t.slug,
            renewal_date=t.renewal_date,
            days_left=(t.renewal_date - today).days,
            notice_days=t.notice_days,
            annual_cents=t.annual_cents,
            currency=t.currency,
        )
        for t in tools
        if t.renewal_date is not None and renewal_due(t, today)
    ]
    return sorted(rows, key=lambda r: (r.renewal_date, r.tool))


def by_category(tools: Iterable[Tool]) -> list[CategoryTotal]:
    """Annual cost per category and currency, largest first."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for tool in _in_use(tools):
        cell = sums[(tool.category, tool.currency)]
        cell[0] += tool.annual_cents
        cell[1] += 1
    rows = [
        CategoryTotal(category=c, currency=cur, annual_cents=v[0], tools=v[1])
        for (c, cur), v in sums.items()
    ]
    return sorted(rows, key=lambda r: (r.currency, -r.annual_cents, r.category))


def _years(tool: Tool, today: date) -> _Years:
    start = tool.contract_start or tool.created_at.date()
    if tool.status == "retired":
        end = tool.ended_on or tool.updated_at.date()
    else:
        end = tool.ended_on or date(today.year + 1, 1, 1)
    return _Years(start.year, max(end.year, start.year))


def by_year(tools: Iterable[Tool], today: date) -> list[YearTotal]:
    """Annual cost per calendar year and currency (next year projected)."""
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for tool in tools:
        span = _years(tool, today)
        for year in range(max(span.first, today.year - 9), min(span.last, today.year + 1) + 1):
            sums[(year, tool.currency)] += tool.annual_cents
    rows = [YearTotal(year=y, currency=c, annual_cents=v) for (y, c), v in sums.items()]
    return sorted(rows, key=lambda r: (r.year, r.currency))


def summary(tools: list[Tool], today: date) -> ToolSummary:
    return ToolSummary(
        today=today,
        overlaps=overlaps(tools),
        unused=unused(tools),
        renewals=renewals(tools, today),
        by_category=by_category(tools),
        by_year=by_year(tools, today),
    )
