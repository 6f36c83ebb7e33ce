"""Importing customer accounts from CRM exports: Salesforce, HubSpot or plain CSV.

All or nothing, like every import: each row is checked and applied in its own
savepoint inside one outer savepoint; any problem (named by line and column) or a
dry run rolls everything back. Accounts are found again by external id (the CRM
record id) and updated, so a re-import never duplicates. ARR is parsed from text
to integer cents exactly (``"$12,500.50"`` → ``1250050``), never through a float.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.accounts import service
from pilothouse.core.actor import Actor
from pilothouse.core.audit import snapshot
from pilothouse.core.errors import NotFound, PilothouseError
from pilothouse.core.models import Role

__all__ = ["AccountFormat", "AccountImportReport", "import_accounts", "parse_cents"]


class AccountFormat(enum.StrEnum):
    salesforce = "salesforce"
    hubspot = "hubspot"
    csv = "csv"


#: field → column names (normalised: lower case, ``_`` for other characters), by format.
COLUMNS: dict[AccountFormat, dict[str, tuple[str, ...]]] = {
    AccountFormat.salesforce: {
        "external_id": ("account_id", "id", "18_digit_account_id"),
        "name": ("account_name", "name"),
        "domain": ("website", "domain"),
        "plan": ("plan_c", "plan", "account_type", "type"),
        "segment": ("segment_c", "segment", "customer_segment", "industry"),
        "arr": ("arr_c", "arr", "annual_recurring_revenue", "annual_revenue"),
    },
    AccountFormat.hubspot: {
        "external_id": ("record_id", "company_id", "hs_object_id"),
        "name": ("company_name", "name"),
        "domain": ("company_domain_name", "domain", "website_url"),
        "plan": ("plan", "subscription_plan", "lifecycle_stage"),
        "segment": ("segment", "customer_segment", "company_size"),
        "arr": ("arr", "annual_recurring_revenue", "annual_revenue"),
    },
    AccountFormat.csv: {
        "external_id": ("external_id", "account_id", "id"),
        "name": ("name", "account_name", "company"),
        "domain": ("domain", "website"),
        "plan": ("plan",),
        "segment": ("segment",),
        "arr": ("arr", "annual_recurring_revenue"),
        "arr_cents": ("arr_cents",),
    },
}
_CURRENCY = re.compile(r"^(?:[A-Z]{3}\s*)?[$€£¥]?\s*|\s*(?:[A-Z]{3})?$")


@dataclass(frozen=True)
class AccountProblem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return where + (f", column {self.column!r}" if self.column else "") + f": {self.message}"


@dataclass
class AccountImportReport:
    format: str
    dry_run: bool
    committed: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[AccountProblem] = field(default_factory=list)


def parse_cents(raw: str) -> int:
    """Money text to integer cents exactly: ``"$12,500.50"`` → 1250050, ``"1.234,5"`` → 123450.

    Raises:
        ValueError: not an amount, negative, or finer than a cent.
    """
    text = _CURRENCY.sub("", raw.strip()).replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        decimal_mark = "," if len(text) - text.rfind(",") - 1 in (1, 2) else ""
    else:
        decimal_mark = "."
    thousands = {",", "."} - {decimal_mark}
    for mark in thousands:
        text = text.replace(mark, "")
    text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {raw!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"not a positive amount: {raw!r}")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"finer than a cent: {raw!r}")
    return int(cents)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _domain(raw: str) -> str | None:
    text = re.sub(r"^[a-z]+://", "", raw.strip().lower()).removeprefix("www.")
    return text.split("/")[0] or None


def _row_values(
    record: Mapping[str, str], columns: Mapping[str, str], line: int, report: AccountImportReport
) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    for name, column in columns.items():
        raw = (record.get(column) or "").strip()
        if name == "arr" and raw:
            try:
                values["arr_cents"] = parse_cents(raw)
            except ValueError as exc:
                report.problems.append(AccountProblem(line, column, str(exc)))
                return None
        elif name == "arr_cents" and raw:
            if not raw.isdigit():
                report.problems.append(AccountProblem(line, column, "whole cents expected"))
                return None
            values["arr_cents"] = int(raw)
        elif name == "domain":
            values["domain"] = _domain(raw) if raw else None
        elif raw:
            values[name] = raw
    if not values.get("external_id"):
        report.problems.append(AccountProblem(line, columns.get("external_id"), "no account id"))
        return None
    return values


def _apply(session: Session, actor: Actor, values: dict[str, Any]) -> str:
    try:
        account = service.find_account(session, values["external_id"])
    except NotFound:
        service.create_account(session, actor, values)
        return "created"
    fields = ("name", "domain", "plan", "segment", "arr_cents")
    before = snapshot(account, fields)
    service.update_account(
        session, actor, account, {k: v for k, v in values.items() if k in fields}
    )
    return "updated" if snapshot(account, fields) != before else "unchanged"


def import_accounts(
    session: Session, actor: Actor, text: str, fmt: AccountFormat, *, dry_run: bool = True
) -> AccountImportReport:
    """Check and (unless ``dry_run`` or any problem) store the accounts of one CSV file."""
    actor.require(Role.editor, write=True)
    report = AccountImportReport(format=fmt.value, dry_run=dry_run)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = {_normal(c): c for c in reader.fieldnames or []}
    columns = {
        name: next((header[n] for n in names if n in header), "")
        for name, names in COLUMNS[fmt].items()
    }
    columns = {k: v for k, v in columns.items() if v}
    if "external_id" not in columns:
        report.problems.append(AccountProblem(0, None, "no account id column"))
        return report
    outer = session.begin_nested()
    line = 1
    for record in reader:
        start, line = line + 1, reader.line_num
        report.rows += 1
        values = _row_values(record, columns, start, report)
        if values is None:
            continue
        savepoint = session.begin_nested()
        try:
            action = _apply(session, actor, values)
        except PilothouseError as exc:
            savepoint.rollback()
            report.problems.append(AccountProblem(start, None, exc.detail))
            continue
        savepoint.commit()
        setattr(report, action, getattr(report, action) + 1)
    if dry_run or report.problems:
        outer.rollback()
        return report
    outer.commit()
    report.committed = True
    return report
