"""Where every domain's tables are imported, so Alembic and tests see the whole schema."""

from __future__ import annotations

import importlib

__all__ = ["JOB_MODULES", "MODEL_MODULES", "REFERENCE_MODULES", "import_all_models"]

#: One module per domain that defines tables; a domain adds its own line here.
MODEL_MODULES: tuple[str, ...] = (
    "pilothouse.core.models",
    "pilothouse.core.job_models",
    "pilothouse.core.schedule_models",
    "pilothouse.accounts.models",
    "pilothouse.metrics.models",
    "pilothouse.roadmap.models",
    "pilothouse.experiments.models",
    "pilothouse.feedback.models",
    "pilothouse.decisions.models",
    "pilothouse.playbooks.models",
    "pilothouse.launches.models",
    "pilothouse.launches.subscriber_models",
    "pilothouse.automations.models",
    "pilothouse.core.notifications.models",
    "pilothouse.core.sso.models",
    "pilothouse.tools.models",
    "pilothouse.ops.health.models",
    "pilothouse.ops.dashboards.models",
)

#: Modules that register job handlers (``core.jobs.job_handler``); a domain adds its line.
JOB_MODULES: tuple[str, ...] = (
    "pilothouse.core.job_builtins",
    "pilothouse.core.notifications.jobs",
    "pilothouse.experiments.jobs",
    "pilothouse.feedback.jobs",
    "pilothouse.automations.delivery",
    "pilothouse.core.builtin_schedules",
    "pilothouse.metrics.anomaly_job",
    "pilothouse.automations.periodic",
    "pilothouse.reports.mail",
    "pilothouse.reports.voc_digest",
    "pilothouse.reports.leadership_mail",
    "pilothouse.launches.subscriber_mail",
    "pilothouse.tools.renewals",
)

#: Modules that register reference resolvers (``core.references.register_type``): how each
#: domain's objects are named and linked on every page. A domain adds its line.
REFERENCE_MODULES: tuple[str, ...] = (
    "pilothouse.core.reference_types",
    "pilothouse.roadmap.references",
    "pilothouse.feedback.references",
    "pilothouse.launches.references",
    "pilothouse.experiments.references",
    "pilothouse.metrics.references",
    "pilothouse.decisions.references",
    "pilothouse.playbooks.references",
    "pilothouse.accounts.references",
    "pilothouse.tools.references",
    "pilothouse.ops.dashboards.references",
)


def import_all_models() -> None:
    """Import every model module so that ``Base.metadata`` holds all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
