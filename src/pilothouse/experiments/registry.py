"""The experiment registry and lifecycle: draft → running → stopped → decided.

Structure (variations, exposure, metrics, unit) can change only in draft, so an
analysis never mixes two designs. Starting checks the design is complete and the
workspace's rules (hypothesis, primary metric) are met. Every change is audited.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.links import ObjectRef, links_of
from pilothouse.core.models import ProductArea, Role, User
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.core.workspace import get_setting
from pilothouse.experiments.models import (
    DecisionOutcome,
    Experiment,
    ExperimentDecision,
    ExperimentMetric,
    ExperimentStatus,
    ExperimentVariation,
    MetricRole,
)

__all__ = [
    "ExperimentDesign",
    "MetricChoice",
    "VariationSpec",
    "check_exposure",
    "check_metrics",
    "check_variations",
    "create_experiment",
    "decide",
    "find_experiment",
    "list_experiments",
    "start",
    "stop",
    "update_design",
]

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
UNITS = ("user", "account")
EXPOSURE_KINDS = ("event", "table")


@dataclass(frozen=True)
class VariationSpec:
    key: str
    name: str
    weight: float


@dataclass(frozen=True)
class MetricChoice:
    metric: str
    role: MetricRole
    bad_direction: str | None = None
    margin: float | None = None


@dataclass(frozen=True)
class ExperimentDesign:
    """Everything that defines an experiment; ``None`` fields are left as they are."""

    name: str | None = None
    hypothesis: str | None = None
    owner_id: int | None = None
    product_area: str | None = None
    analysis_unit: str | None = None
    variations: Sequence[VariationSpec] | None = None
    exposure: dict[str, Any] | None = None
    metrics: Sequence[MetricChoice] | None = None
    analysis: dict[str, Any] | None = None


#: Design fields that may change only while an experiment is a draft.
STRUCTURAL_FIELDS = ("analysis_unit", "variations", "exposure", "metrics")


def _snapshot(experiment: Experiment) -> dict[str, Any]:
    return {
        "name": experiment.name,
        "hypothesis": experiment.hypothesis,
        "owner_id": experiment.owner_id,
        "product_area_id": experiment.product_area_id,
        "status": experiment.status.value,
        "analysis_unit": experiment.analysis_unit,
        "exposure": experiment.exposure,
        "analysis": experiment.analysis,
        "variations": [f"{v.key}:{v.name}:{v.weight:g}" for v in experiment.variations],
        "metrics": [f"{m.role.value}:{m.metric}" for m in experiment.metrics],
    }


def check_variations(variations: Sequence[VariationSpec]) -> None:
    problems = []
    keys = [v.key for v in variations]
    if len(variations) < 2:
        problems.append(FieldError("variations", "at least two variations (control first)"))
    if len(set(keys)) != len(keys):
        problems.append(FieldError("variations", "variation keys must be unique"))
    for i, v in enumerate(variations):
        if not _KEY.match(v.key):
            problems.append(FieldError(f"variations[{i}].key", "lower-case letters, digits, - _"))
        if not (v.weight > 0 and math.isfinite(v.weight)):
            problems.append(FieldError(f"variations[{i}].weight", "must be a positive number"))
    total = sum(v.weight for v in variations)
    if variations and abs(total - 1.0) > 1e-6:
        problems.append(
            FieldError("variations", f"weights must add up to 1 (they add to {total:g})")
        )
    if problems:
        raise ValidationFailed("the variations are not valid", errors=problems)


def check_exposure(exposure: dict[str, Any]) -> None:
    kind = exposure.get("kind")
    needed = {
        "event": ("event", "experiment_property", "variation_property"),
        "table": (
            "connection",
            "table",
            "unit_column",
            "experiment_column",
            "variation_column",
            "timestamp_column",
        ),
    }.get(str(kind))
    if needed is None:
        raise ValidationFailed(
            "exposure.kind must be 'event' or 'table'",
            errors=[FieldError("exposure.kind", "event or table")],
        )
    missing = [k for k in needed if not str(exposure.get(k) or "").strip()]
    if missing:
        raise ValidationFailed(
            f"the exposure source needs {', '.join(missing)}",
            errors=[FieldError(f"exposure.{k}", "required") for k in missing],
        )


def check_metrics(metrics: Sequence[MetricChoice], known: set[str] | None) -> None:
    problems = []
    names = [m.metric for m in metrics]
    if len(set(names)) != len(names):
        problems.append(FieldError("metrics", "a metric appears twice"))
    for i, m in enumerate(metrics):
        if known is not None and m.metric not in known:
            problems.append(FieldError(f"metrics[{i}].metric", f"unknown metric {m.metric!r}"))
        if m.role is MetricRole.guardrail and m.bad_direction not in ("increase", "decrease"):
            problems.append(
                FieldError(
                    f"metrics[{i}].bad_direction", "a guardrail needs 'increase' or 'decrease'"
                )
            )
        if m.margin is not None and not (0 <= m.margin < 1):
            problems.append(FieldError(f"metrics[{i}].margin", "between 0 and 1 (relative)"))
    if problems:
        raise ValidationFailed("the metric choice is not valid", errors=problems)


def _area_id(session: Session, slug: str | None) -> int | None:
    if not slug:
        return None
    area = session.scalar(select(ProductArea).where(ProductArea.slug == slug))
    if area is None:
        raise ValidationFailed(
            f"no product area {slug!r}", errors=[FieldError("product_area", "unknown")]
        )
    return area.id


def _next_key(session: Session) -> str:
    count = session.scalar(select(func.count()).select_from(Experiment)) or 0
    number = count + 1
    while session.scalar(select(Experiment.id).where(Experiment.key == f"EXP-{number}")):
        number += 1
    return f"EXP-{number}"


def _apply(
    session: Session,
    experiment: Experiment,
    design: ExperimentDesign,
    known_metrics: set[str] | None,
) -> None:
    if design.name is not None:
        if not design.name.strip():
            raise ValidationFailed("a name is needed", errors=[FieldError("name", "empty")])
        experiment.name = design.name.strip()
    if design.hypothesis is not None:
        experiment.hypothesis = design.hypothesis.strip()
    if design.owner_id is not None:
        if session.get(User, design.owner_id) is None:
            raise ValidationFailed("no such owner", errors=[FieldError("owner_id", "unknown")])
        experiment.owner_id = design.owner_id
    if design.product_area is not None:
        experiment.product_area_id = _area_id(session, design.product_area)
    if design.analysis_unit is not None:
        if design.analysis_unit not in UNITS:
            raise ValidationFailed(
                "analysis_unit is user or account",
                errors=[FieldError("analysis_unit", "user or account")],
            )
        experiment.analysis_unit = design.analysis_unit
    if design.exposure is not None:
        if design.exposure:  # a draft may leave it empty; start() requires it
            check_exposure(design.exposure)
        experiment.exposure = dict(design.exposure)
    if design.analysis is not None:
        experiment.analysis = dict(design.analysis)
    if design.variations is not None:
        check_variations(design.variations)
        experiment.variations = [
            ExperimentVariation(key=v.key, name=v.name or v.key, weight=v.weight, position=i)
            for i, v in enumerate(design.variations)
        ]
    if design.metrics is not None:
        check_metrics(design.metrics, known_metrics)
        experiment.metrics = [
            ExperimentMetric(
                metric=m.metric,
                role=m.role,
                bad_direction=m.bad_direction,
                margin=m.margin,
                position=i,
            )
            for i, m in enumerate(design.metrics)
        ]


def create_experiment(
    session: Session,
    actor: Actor,
    design: ExperimentDesign,
    *,
    known_metrics: set[str] | None = None,
) -> Experiment:
    """A new draft; ``known_metrics`` (the catalog's names) catches typos in metric names."""
    actor.require(Role.editor, write=True)
    experiment = Experiment(
        key=_next_key(session), name="", owner_id=actor.user_id, exposure={}, analysis={}
    )
    _apply(session, experiment, design, known_metrics)
    if not experiment.name:
        raise ValidationFailed("a name is needed", errors=[FieldError("name", "required")])
    session.add(experiment)
    session.flush()
    record_change(
        session,
        actor,
        object_type="experiment",
        object_id=experiment.key,
        action=Action.created,
        label=experiment.name,
        after=_snapshot(experiment),
    )
    return experiment


def update_design(
    session: Session,
    actor: Actor,
    experiment: Experiment,
    design: ExperimentDesign,
    *,
    known_metrics: set[str] | None = None,
) -> Experiment:
    """Change an experiment; its structure only while it is a draft."""
    actor.require(Role.editor, write=True)
    changed = [f for f in STRUCTURAL_FIELDS if getattr(design, f) is not None]
    if changed and experiment.status is not ExperimentStatus.draft:
        raise Conflict(
            f"{experiment.key} is {experiment.status.value}: "
            f"{', '.join(changed)} can only change in draft",
            errors=[FieldError(f, "locked after start") for f in changed],
        )
    before = _snapshot(experiment)
    _apply(session, experiment, design, known_metrics)
    session.flush()
    record_change(
        session,
        actor,
        object_type="experiment",
        object_id=experiment.key,
        action=Action.updated,
        label=experiment.name,
        before=before,
        after=_snapshot(experiment),
    )
    return experiment


def _transition(
    session: Session, actor: Actor, experiment: Experiment, to: ExperimentStatus, name: str
) -> None:
    before = {"status": experiment.status.value}
    experiment.status = to
    record_change(
        session,
        actor,
        object_type="experiment",
        object_id=experiment.key,
        action=Action.updated,
        name=name,
        label=experiment.name,
        before=before,
        after={"status": to.value},
    )


def start(session: Session, actor: Actor, experiment: Experiment) -> Experiment:
    """Start a draft, if its design is complete and meets the workspace's rules."""
    actor.require(Role.editor, write=True)
    if experiment.status is not ExperimentStatus.draft:
        raise Conflict(f"{experiment.key} is {experiment.status.value}; only a draft can start")
    problems = []
    if len(experiment.variations) < 2:
        problems.append(FieldError("variations", "at least two variations"))
    if not experiment.exposure:
        problems.append(FieldError("exposure", "where exposures come from"))
    if get_setting(session, "experiments.require_hypothesis") and not experiment.hypothesis:
        problems.append(FieldError("hypothesis", "required by the workspace before start"))
    primaries = [m for m in experiment.metrics if m.role is MetricRole.primary]
    if get_setting(session, "experiments.require_primary_metric") and not primaries:
        problems.append(FieldError("metrics", "a primary metric is required before start"))
    if problems:
        raise ValidationFailed(f"{experiment.key} cannot start yet", errors=problems)
    experiment.started_at = experiment.started_at or utcnow()
    _transition(session, actor, experiment, ExperimentStatus.running, "experiment.started")
    return experiment


def stop(session: Session, actor: Actor, experiment: Experiment) -> Experiment:
    actor.require(Role.editor, write=True)
    if experiment.status is not ExperimentStatus.running:
        raise Conflict(f"{experiment.key} is {experiment.status.value}; only a running one stops")
    experiment.ended_at = utcnow()
    _transition(session, actor, experiment, ExperimentStatus.stopped, "experiment.stopped")
    return experiment


def _linked_refs(session: Session, experiment: Experiment) -> list[str]:
    mine = ObjectRef("experiment", str(experiment.id))
    refs = []
    for link in links_of(session, mine):
        outgoing = link.from_type == mine.type and link.from_id == mine.id
        refs.append(
            f"{link.to_type}:{link.to_id}" if outgoing else f"{link.from_type}:{link.from_id}"
        )
    return refs


def decide(
    session: Session, actor: Actor, experiment: Experiment, outcome: DecisionOutcome, rationale: str
) -> ExperimentDecision:
    """Record the decision on a stopped experiment (ship, roll back or iterate) and why."""
    actor.require(Role.editor, write=True)
    if experiment.status is not ExperimentStatus.stopped:
        raise Conflict(f"{experiment.key} is {experiment.status.value}; stop it before deciding")
    if not rationale.strip():
        raise ValidationFailed("say why", errors=[FieldError("rationale", "required")])
    decision = ExperimentDecision(
        outcome=outcome,
        rationale=rationale.strip(),
        decided_by_id=actor.user_id,
        decided_by_label=actor.label,
        decided_at=utcnow(),
    )
    experiment.decision = decision
    _transition(session, actor, experiment, ExperimentStatus.decided, "experiment.decided")
    record_change(
        session,
        actor,
        object_type="experiment",
        object_id=experiment.key,
        action=Action.updated,
        name="experiment.decision_recorded",
        label=experiment.name,
        # The linked roadmap items and launches, so their pages (and automations reading
        # the event) know which work this decision is about.
        after={
            "outcome": outcome.value,
            "rationale": decision.rationale,
            "linked": _linked_refs(session, experiment),
        },
    )
    return decision


#: Built once: every experiment page, answer and edit starts here.
_EXPERIMENT_BY_KEY = select(Experiment).where(Experiment.key == bindparam("experiment_key"))


def find_experiment(session: Session, key: str) -> Experiment:
    experiment = session.scalar(_EXPERIMENT_BY_KEY, {"experiment_key": key.upper()})
    if experiment is None:
        raise NotFound(f"no experiment {key!r}")
    return experiment


def list_experiments(
    session: Session, page: PageRequest, *, status: ExperimentStatus | None = None
) -> Page[Experiment]:
    query = select(Experiment)
    if status is not None:
        query = query.where(Experiment.status == status)
    return paginate(session, query, Experiment.id, PageRequest(page.limit, page.cursor, True))
