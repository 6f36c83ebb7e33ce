"""Objectives and key results (OKRs), the goals roadmap items contribute to.

A key result may name a metric of the metrics catalog (``activation_rate``) with a
target. Its current value then comes from the metrics layer; see
:mod:`pilothouse.roadmap.kr_metrics` for how names are checked when saved (pass
``catalog``), resolved leniently when read and scaled (percent metrics in percent
points). For key results without a metric the value kept by hand in
``current_value`` is shown. Progress is how far the current value has come from the
baseline (0 unless given) towards the target, between 0 and 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import NotFound
from pilothouse.core.models import Role
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.roadmap import kr_metrics
from pilothouse.roadmap.common import clean_name, invalid, next_key, resolve_area, resolve_user
from pilothouse.roadmap.models import KeyResult, Objective, ObjectiveStatus

__all__ = [
    "METRICS_SERVICE",
    "KeyResultProgress",
    "MetricValues",
    "add_key_result",
    "create_objective",
    "delete_key_result",
    "delete_objective",
    "find_objective",
    "get_key_result",
    "get_objective",
    "list_objectives",
    "metric_values",
    "progress_of",
    "update_key_result",
    "update_objective",
]

METRICS_SERVICE = kr_metrics.METRICS_SERVICE
OBJECTIVE_FIELDS = (
    "key",
    "title",
    "description",
    "status",
    "period",
    "owner_id",
    "product_area_id",
)
KEY_RESULT_FIELDS = (
    "title",
    "metric_slug",
    "baseline_value",
    "target_value",
    "current_value",
    "unit",
    "position",
)
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


class MetricValues(Protocol):
    """Current values of metrics by slug; a slug it cannot compute maps to ``None``."""

    def __call__(self, runtime: Any, slugs: Sequence[str]) -> Mapping[str, float | None]: ...


def metric_values(runtime: Any, slugs: Sequence[str]) -> Mapping[str, float | None]:
    """Current values by metric name as stored on key results (see ``kr_metrics``)."""
    return kr_metrics.current_values(runtime, slugs)


@dataclass(frozen=True)
class KeyResultProgress:
    """A key result's current value, where it came from, and progress (0..1) to target."""

    current_value: float | None
    source: str | None  # "metric", "manual" or None
    progress: float | None


def progress_of(kr: KeyResult, values: Mapping[str, float | None]) -> KeyResultProgress:
    measured = values.get(kr.metric_slug) if kr.metric_slug else None
    current, source = (measured, "metric") if measured is not None else (kr.current_value, None)
    if source is None and current is not None:
        source = "manual"
    baseline = kr.baseline_value or 0.0
    if current is None or kr.target_value == baseline:
        return KeyResultProgress(current, source, None)
    share = (current - baseline) / (kr.target_value - baseline)
    return KeyResultProgress(current, source, round(min(1.0, max(0.0, share)), 4))


def get_objective(session: Session, ref: str | int) -> Objective:
    """An objective by id or key (``OBJ-3``); unknown → 404."""
    text = str(ref).strip()
    query = select(Objective).where(
        Objective.id == int(text) if text.isdigit() else Objective.key == text.upper()
    )
    objective = session.scalar(query)
    if objective is None:
        raise NotFound(f"no objective {text!r}")
    return objective


def find_objective(session: Session, ref: Any, field: str = "objective") -> Objective:
    """Like :func:`get_objective`, for references in input: unknown → 422 naming ``field``."""
    try:
        return get_objective(session, ref)
    except NotFound:
        raise invalid(field, f"no objective {ref!r}") from None


def list_objectives(
    session: Session,
    page: PageRequest,
    *,
    status: ObjectiveStatus | None = None,
    period: str | None = None,
    product_area_id: int | None = None,
    owner_id: int | None = None,
) -> Page[Objective]:
    query = select(Objective)
    if status is not None:
        query = query.where(Objective.status == status)
    if period:
        query = query.where(Objective.period == period)
    if product_area_id is not None:
        query = query.where(Objective.product_area_id == product_area_id)
    if owner_id is not None:
        query = query.where(Objective.owner_id == owner_id)
    return paginate(session, query, Objective.id, page)


def _apply_objective(session: Session, objective: Objective, values: Mapping[str, Any]) -> None:
    if "title" in values:
        objective.title = clean_name(values["title"], "title")
    if "description" in values:
        objective.description = (values["description"] or "").strip()
    if values.get("status") is not None:
        try:
            objective.status = ObjectiveStatus(values["status"])
        except ValueError:
            raise invalid("status", ", ".join(s.value for s in ObjectiveStatus)) from None
    if "period" in values:
        period = (values["period"] or "").strip().upper()
        if len(period) > 16:
            raise invalid("period", "at most 16 characters, such as 2026-Q3 or 2026-H1")
        objective.period = period
    if "owner_id" in values:
        objective.owner_id = resolve_user(session, values["owner_id"])
    if "product_area_id" in values:
        objective.product_area_id = resolve_area(session, values["product_area_id"])


def _audit(
    session: Session, actor: Actor, obj: Objective | KeyResult, action: Action, before: Any = None
) -> None:
    is_objective = isinstance(obj, Objective)
    fields = OBJECTIVE_FIELDS if is_objective else KEY_RESULT_FIELDS
    after = None if action is Action.deleted else snapshot(obj, fields)
    if isinstance(obj, KeyResult) and after is not None:
        after["objective"] = obj.objective.key
    record_change(
        session,
        actor,
        object_type="roadmap_objective" if is_objective else "roadmap_key_result",
        object_id=obj.id,
        action=action,
        label=f"{obj.key} {obj.title}" if isinstance(obj, Objective) else obj.title,
        before=before,
        after=after,
    )


def create_objective(
    session: Session,
    actor: Actor,
    values: Mapping[str, Any],
    *,
    catalog: kr_metrics.MetricCatalog | None = None,
) -> Objective:
    """Create an objective, with the key results listed in ``values["key_results"]``.

    With ``catalog``, metric names are checked against it (API and forms pass it).
    """
    actor.require(Role.editor, write=True)
    objective = Objective(
        key=next_key(session, "OBJ"), title=clean_name(values.get("title"), "title")
    )
    _apply_objective(session, objective, values)
    session.add(objective)
    session.flush()
    _audit(session, actor, objective, Action.created)
    for index, kr_values in enumerate(values.get("key_results") or []):
        add_key_result(
            session, actor, objective, kr_values, field=f"key_results.{index}", catalog=catalog
        )
    return objective


def update_objective(
    session: Session, actor: Actor, objective: Objective, values: Mapping[str, Any]
) -> Objective:
    actor.require(Role.editor, write=True)
    before = snapshot(objective, OBJECTIVE_FIELDS)
    _apply_objective(session, objective, values)
    session.flush()
    _audit(session, actor, objective, Action.updated, before)
    return objective


def delete_objective(session: Session, actor: Actor, objective: Objective) -> None:
    """Delete an objective with its key results; items lose the association."""
    actor.require(Role.editor, write=True)
    for kr in list(objective.key_results):
        _audit(session, actor, kr, Action.deleted, snapshot(kr, KEY_RESULT_FIELDS))
    _audit(session, actor, objective, Action.deleted, snapshot(objective, OBJECTIVE_FIELDS))
    session.delete(objective)
    session.flush()


def _value(values: Mapping[str, Any], name: str, prefix: str) -> float | None:
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise invalid(f"{prefix}{name}", f"a number expected, got {raw!r}") from None
    if not math.isfinite(number):
        raise invalid(f"{prefix}{name}", "a finite number expected")
    return number


def _metric_name(raw: Any, field: str, catalog: kr_metrics.MetricCatalog | None) -> str | None:
    """The metric a key result names, as the catalog spells it (checked when ``catalog``)."""
    slug = (raw or "").strip() or None
    if slug is None:
        return None
    if catalog is not None:
        return catalog.check(slug, field)
    if not _SLUG.match(slug) or len(slug) > 100:
        raise invalid(field, f"{slug!r} is not a metric slug")
    return slug


def _apply_key_result(
    kr: KeyResult,
    values: Mapping[str, Any],
    field: str,
    catalog: kr_metrics.MetricCatalog | None = None,
) -> None:
    prefix = f"{field}." if field else ""
    if "title" in values:
        kr.title = clean_name(values["title"], f"{prefix}title")
    if "metric_slug" in values:
        kr.metric_slug = _metric_name(values["metric_slug"], f"{prefix}metric_slug", catalog)
    for name in ("baseline_value", "current_value", "target_value"):
        if name in values:
            setattr(kr, name, _value(values, name, prefix))
    if kr.target_value is None:
        raise invalid(f"{prefix}target_value", "a key result needs a target value")
    if "unit" in values:
        kr.unit = (values["unit"] or "").strip()[:32]
    if values.get("position") is not None:
        kr.position = int(values["position"])


def add_key_result(
    session: Session,
    actor: Actor,
    objective: Objective,
    values: Mapping[str, Any],
    *,
    field: str = "",
    catalog: kr_metrics.MetricCatalog | None = None,
) -> KeyResult:
    actor.require(Role.editor, write=True)
    count = session.scalar(
        select(func.count()).select_from(KeyResult).where(KeyResult.objective_id == objective.id)
    )
    kr = KeyResult(title="", position=count or 0)
    _apply_key_result(kr, {"title": values.get("title"), **values}, field, catalog)
    objective.key_results.append(kr)
    session.flush()
    _audit(session, actor, kr, Action.created)
    return kr


def get_key_result(session: Session, key_result_id: int) -> KeyResult:
    kr = session.get(KeyResult, key_result_id)
    if kr is None:
        raise NotFound(f"no key result with id {key_result_id}")
    return kr


def update_key_result(
    session: Session,
    actor: Actor,
    kr: KeyResult,
    values: Mapping[str, Any],
    *,
    catalog: kr_metrics.MetricCatalog | None = None,
) -> KeyResult:
    actor.require(Role.editor, write=True)
    before = snapshot(kr, KEY_RESULT_FIELDS)
    before["objective"] = kr.objective.key
    _apply_key_result(kr, values, "", catalog)
    session.flush()
    _audit(session, actor, kr, Action.updated, before)
    return kr


def delete_key_result(session: Session, actor: Actor, kr: KeyResult) -> None:
    actor.require(Role.editor, write=True)
    before = snapshot(kr, KEY_RESULT_FIELDS)
    before["objective"] = kr.objective.key
    _audit(session, actor, kr, Action.deleted, before)
    kr.objective.key_results.remove(kr)
    session.flush()
