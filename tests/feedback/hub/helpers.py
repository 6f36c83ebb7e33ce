"""Shared helpers of the feedback hub tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from pilothouse.accounts import service as accounts_service
from pilothouse.core import areas
from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.feedback.importers import ImportFormat
from pilothouse.feedback.imports import ImportReport, run_import
from pilothouse.feedback.models import FeedbackItem

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feedback"
CLI = Actor.command_line()
API = "/api/v1/feedback"


def count(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(FeedbackItem)) or 0)


def load(
    runtime: Runtime, name: str, fmt: ImportFormat, *, dry_run: bool = False, **options: Any
) -> ImportReport:
    with runtime.database.session() as session:
        return run_import(
            session, CLI, (FIXTURES / name).read_bytes(), fmt, dry_run=dry_run, **options
        )


def seed(runtime: Runtime) -> dict[str, int]:
    """Two product areas and three accounts (acct-001..003, ARR in cents)."""
    with runtime.database.session() as session:
        for name in ("Analytics & Reporting", "Onboarding & Activation"):
            areas.create_area(session, CLI, name=name, description="", owner_id=None)
        made = {}
        for key, name, arr in (
            ("acct-001", "Acme Labs", 1_250_050),
            ("acct-002", "Globex Bank", 9_800_000),
            ("acct-003", "Initech Health", None),
        ):
            account = accounts_service.create_account(
                session,
                CLI,
                {"external_id": key, "name": name, "arr_cents": arr, "domain": key + ".example"},
            )
            made[key] = account.id
        return made
