"""The daily anomaly check of certified metrics, run by a schedule.

Each certified metric's series is checked (``metrics.anomaly_service``); a day out of
normal variation becomes the domain event ``metric.anomaly_detected`` in the audit
log, which automation rules can route to a webhook, an e-mail or people's bells.
The event is written once per metric and day, so re-running the check (by hand, or
after a crash) never announces the same anomaly twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.audit_log import already_recorded
from pilothouse.core.jobs import JobContext, job_handler
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.core.schedules import builtin_schedule
from pilothouse.core.workspace import get_setting
from pilothouse.metrics.anomaly import AnomalyConfig, DayCheck
from pilothouse.metrics.anomaly_service import check_metric

__all__ = [
    "ANOMALY_EVENT",
    "CHECK_JOB",
    "SENSITIVITY_SETTING",
    "alert_sensitivity",
    "anomaly_check_job",
    "check_certified_metrics",
]

CHECK_JOB = "metrics.check_anomalies"
ANOMALY_EVENT = "metric.anomaly_detected"
#: The workspace setting that says how sensitive the daily check is.
SENSITIVITY_SETTING = "metrics.anomaly_sensitivity"
logger = logging.getLogger(__name__)
_CHECKER = Actor(None, "anomaly check", Role.admin)

builtin_schedule(
    "metrics.anomaly_check",
    "0 6 * * *",
    job_kind=CHECK_JOB,
    title="Daily anomaly check of certified metrics",
    description="Flags yesterday's value of each certified metric when it is outside normal "
    "variation (weekly pattern and trend allowed) and records metric.anomaly_detected.",
)


def _already_recorded(runtime: Runtime, metric: str, day: dt.date) -> bool:
    with runtime.database.session() as session:
        return already_recorded(session, ANOMALY_EVENT, "metric", metric, "day", day.isoformat())


def _episode_recorded(runtime: Runtime, metric: str, checks: list[DayCheck]) -> bool:
    """Whether the run of flagged days ending at the last day (same direction) was
    already reported: a step that persists is flagged day after day until the
    baseline learns it, and one alert per shift is what people want, not one a day."""
    direction = checks[-1].direction
    for check in reversed(checks):
        if not check.anomalous or check.direction != direction:
            return False
        if _already_recorded(runtime, metric, check.day):
            return True
    return False


def _record(runtime: Runtime, metric: str, label: str, check: DayCheck) -> None:
    with runtime.database.session() as session:
        record_change(
            session,
            _CHECKER,
            object_type="metric",
            object_id=metric,
            action=Action.updated,
            label=label,
            name=ANOMALY_EVENT,
            after={
                "day": check.day.isoformat(),
                "value": round(check.value, 6),
                "expected": round(check.expected, 6),
                "score": round(check.score, 2),
                "direction": check.direction,
            },
        )


def alert_sensitivity(runtime: Runtime) -> str:
    """The workspace's ``metrics.anomaly_sensitivity`` (admins set it on /admin/settings)."""
    with runtime.database.session(reading=True) as session:
        return str(get_setting(session, SENSITIVITY_SETTING))


def check_certified_metrics(
    runtime: Runtime, *, today: dt.date | None = None, sensitivity: str | None = None
) -> dict[str, Any]:
    """Check the last complete day of every certified metric; returns what was found.

    ``sensitivity`` defaults to the workspace setting, so the alerts that reach
    automation rules are as sensitive as the workspace chose."""
    chosen = sensitivity or alert_sensitivity(runtime)
    config = AnomalyConfig(sensitivity=chosen)  # type: ignore[arg-type]
    found, checked, failed = [], 0, []
    for metric in runtime.metrics.catalog():
        if not metric.certified:
            continue
        try:
            checks = check_metric(runtime, metric.name, today=today, config=config)
        except Exception as exc:  # one broken metric must not hide the others
            logger.warning("anomaly check of %s failed: %s", metric.name, exc)
            failed.append(metric.name)
            continue
        checked += 1
        last = checks[-1] if checks else None
        if last is None or not last.anomalous or _episode_recorded(runtime, metric.name, checks):
            continue
        _record(runtime, metric.name, metric.label or metric.name, last)
        found.append(
            {"metric": metric.name, "day": last.day.isoformat(), "direction": last.direction}
        )
    return {"checked": checked, "sensitivity": chosen, "anomalies": found, "failed": failed}


@job_handler(CHECK_JOB, title="Check certified metrics for anomalies")
def anomaly_check_job(ctx: JobContext) -> dict[str, Any]:
    """Check certified metrics for anomalies"""
    sensitivity = ctx.payload.get("sensitivity")
    return check_certified_metrics(ctx.runtime, sensitivity=str(sensitivity or "") or None)
