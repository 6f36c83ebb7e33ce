"""Experiment templates: the defaults Product Ops prepares for a kind of experiment.

A template names a design that teams reuse (a pricing test always has revenue as
its primary metric and refunds as a guardrail, a 50/50 split, the standard
exposure event...). Its ``defaults`` hold any of::

    {"analysis_unit": "user",
     "variations": [{"key": "control", "name": "Control", "weight": 0.5}, ...],
     "exposure": {"kind": "event", "event": "Experiment Viewed", ...},
     "metrics": [{"metric": "revenue", "role": "primary"},
                 {"metric": "refunds", "role": "guardrail", "bad_direction": "increase"}],
     "analysis": {"cuped": true},
     "hypothesis_prompt": "We believe that ... for ... will ... because ..."}

They are checked with the same rules as an experiment's design when the template
is saved, so an experiment created from it starts valid. Creating an experiment
from a template (:func:`design_from_template`) takes every field the request does
not set from the template; the hypothesis prompt is a prompt (shown as the
placeholder of the hypothesis), never copied into the hypothesis, so the workspace
rule "a hypothesis before start" still means someone wrote one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.experiments import registry
from pilothouse.experiments.analysis.settings import parse_analysis_settings
from pilothouse.experiments.models import ExperimentTemplate, MetricRole

__all__ = [
    "DEFAULT_KEYS",
    "create_template",
    "delete_template",
    "design_from_template",
    "find_template",
    "list_templates",
    "metric_choices",
    "update_template",
]

DEFAULT_KEYS = frozenset(
    {"analysis_unit", "variations", "exposure", "metrics", "analysis", "hypothesis_prompt"}
)


def _prefixed(exc: ValidationFailed) -> ValidationFailed:
    errors = [FieldError(f"defaults.{e.field}", e.message) for e in exc.errors]
    return ValidationFailed(f"defaults: {exc.detail}", errors=errors)


def _variations(raw: Any) -> list[registry.VariationSpec]:
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise ValidationFailed(
            "defaults.variations is a list of {key, name, weight}",
            errors=[FieldError("defaults.variations", "a list of objects")],
        )
    try:
        specs = [
            registry.VariationSpec(
                str(v["key"]), str(v.get("name") or v["key"]), float(v["weight"])
            )
            for v in raw
        ]
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(
            "every variation needs a key and a numeric weight",
            errors=[FieldError("defaults.variations", "key and weight required")],
        ) from None
    registry.check_variations(specs)
    return specs


def _metrics(raw: Any) -> list[registry.MetricChoice]:
    if not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
        raise ValidationFailed(
            "defaults.metrics is a list of {metric, role}",
            errors=[FieldError("defaults.metrics", "a list of objects")],
        )
    try:
        return [
            registry.MetricChoice(
                str(m["metric"]),
                MetricRole(m.get("role", "secondary")),
                m.get("bad_direction"),
                None if m.get("margin") is None else float(m["margin"]),
            )
            for m in raw
        ]
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(
            "every metric needs a name and a role (primary, secondary or guardrail)",
            errors=[FieldError("defaults.metrics", "metric and role required")],
        ) from None


def metric_choices(raw: Any) -> list[registry.MetricChoice]:
    """Metric entries of a template's defaults as the registry's choices."""
    return _metrics(raw)


def _check_defaults(raw: Any, known_metrics: Collection[str] | None) -> dict[str, Any]:
    """The defaults, checked like an experiment design; errors name ``defaults.<field>``."""
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "defaults must be an object", errors=[FieldError("defaults", "an object")]
        )
    unknown = sorted(set(raw) - DEFAULT_KEYS)
    if unknown:
        raise ValidationFailed(
            f"defaults.{unknown[0]} is not a template field "
            f"(known: {', '.join(sorted(DEFAULT_KEYS))})",
            errors=[FieldError(f"defaults.{unknown[0]}", "unknown field")],
        )
    try:
        if "variations" in raw:
            _variations(raw["variations"])
        if raw.get("exposure"):
            if not isinstance(raw["exposure"], dict):
                raise ValidationFailed(
                    "exposure is an object", errors=[FieldError("exposure", "an object")]
                )
            registry.check_exposure(raw["exposure"])
        if "metrics" in raw:
            registry.check_metrics(
                _metrics(raw["metrics"]), None if known_metrics is None else set(known_metrics)
            )
        if "analysis" in raw:
            parse_analysis_settings(raw["analysis"])
    except ValidationFailed as exc:
        raise (
            exc if exc.errors and exc.errors[0].field.startswith("defaults") else _prefixed(exc)
        ) from None
    if raw.get("analysis_unit", "user") not in registry.UNITS:
        raise ValidationFailed(
            "defaults.analysis_unit is user or account",
            errors=[FieldError("defaults.analysis_unit", "user or account")],
        )
    if not isinstance(raw.get("hypothesis_prompt", ""), str):
        raise ValidationFailed(
            "defaults.hypothesis_prompt is text",
            errors=[FieldError("defaults.hypothesis_prompt", "text")],
        )
    return dict(raw)


def _snapshot(template: ExperimentTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "description": template.description,
        "defaults": template.defaults,
    }


def _unique_name(session: Session, name: str, template_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed("a name is needed", errors=[FieldError("name", "required")])
    clash = session.scalar(select(ExperimentTemplate).where(ExperimentTemplate.name == name))
    if clash is not None and clash.id != template_id:
        raise Conflict(
            f"a template named {name!r} exists", errors=[FieldError("name", "already used")]
        )
    return name


def create_template(
    session: Session,
    actor: Actor,
    *,
    name: str,
    description: str = "",
    defaults: dict[str, Any] | None = None,
    known_metrics: Collection[str] | None = None,
) -> ExperimentTemplate:
    """A new template (editors); ``known_metrics`` catches typos in metric names."""
    actor.require(Role.editor, write=True)
    template = ExperimentTemplate(
        name=_unique_name(session, name),
        description=description.strip(),
        defaults=_check_defaults(defaults or {}, known_metrics),
    )
    session.add(template)
    session.flush()
    record_change(
        session,
        actor,
        object_type="experiment_template",
        object_id=template.id,
        action=Action.created,
        label=template.name,
        after=_snapshot(template),
    )
    return template


def update_template(
    session: Session,
    actor: Actor,
    template: ExperimentTemplate,
    *,
    name: str | None = None,
    description: str | None = None,
    defaults: dict[str, Any] | None = None,
    known_metrics: Collection[str] | None = None,
) -> ExperimentTemplate:
    """Change a template; experiments created from it earlier keep their design."""
    actor.require(Role.editor, write=True)
    before = _snapshot(template)
    if name is not None:
        template.name = _unique_name(session, name, template.id)
    if description is not None:
        template.description = description.strip()
    if defaults is not None:
        template.defaults = _check_defaults(defaults, known_metrics)
    session.flush()
    record_change(
        session,
        actor,
        object_type="experiment_template",
        object_id=template.id,
        action=Action.updated,
        label=template.name,
        before=before,
        after=_snapshot(template),
    )
    return template


def delete_template(session: Session, actor: Actor, template: ExperimentTemplate) -> None:
    actor.require(Role.editor, write=True)
    record_change(
        session,
        actor,
        object_type="experiment_template",
        object_id=template.id,
        action=Action.deleted,
        label=template.name,
        before=_snapshot(template),
    )
    session.delete(template)
    session.flush()


def list_templates(session: Session) -> list[ExperimentTemplate]:
    return list(session.scalars(select(ExperimentTemplate).order_by(ExperimentTemplate.name)))


def find_template(session: Session, ref: int | str) -> ExperimentTemplate:
    """A template by id, or by its exact name."""
    template = None
    if isinstance(ref, int) or str(ref).isdigit():
        template = session.get(ExperimentTemplate, int(ref))
    if template is None:
        template = session.scalar(
            select(ExperimentTemplate).where(ExperimentTemplate.name == str(ref))
        )
    if template is None:
        raise NotFound(f"no experiment template {ref!r}")
    return template


def design_from_template(
    template: ExperimentTemplate, design: registry.ExperimentDesign
) -> registry.ExperimentDesign:
    """``design`` with every field it leaves as ``None`` taken from the template."""
    defaults = template.defaults or {}
    fills: dict[str, Any] = {}
    if design.analysis_unit is None and "analysis_unit" in defaults:
        fills["analysis_unit"] = defaults["analysis_unit"]
    if design.variations is None and "variations" in defaults:
        fills["variations"] = _variations(defaults["variations"])
    if design.exposure is None and "exposure" in defaults:
        fills["exposure"] = dict(defaults["exposure"])
    if design.metrics is None and "metrics" in defaults:
        fills["metrics"] = _metrics(defaults["metrics"])
    if design.analysis is None and "analysis" in defaults:
        fills["analysis"] = dict(defaults["analysis"])
    return replace(design, **fills)
