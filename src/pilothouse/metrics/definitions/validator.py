"""Checks across files: duplicates, references, cycles, dimensions, the tracking plan.

Each check is a small function ``(Definitions) -> Iterator[DefinitionProblem]`` and
``CHECKS`` runs them in order, so a new rule is one function added to the tuple.
Every check reports each problem at the line of the offending key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pilothouse.metrics.definitions.errors import DefinitionProblem, did_you_mean
from pilothouse.metrics.definitions.model import (
    AGGREGATE_TYPES,
    AggregateSpec,
    Dimension,
    EventSelection,
    FieldRef,
    FieldSource,
    Metric,
    MetricType,
    RatioSpec,
    TrackingPlan,
    ValueType,
)
from pilothouse.metrics.definitions.parser import FileDefinitions

__all__ = [
    "CHECKS",
    "Definitions",
    "check_cycles",
    "check_dimensions",
    "check_duplicates",
    "check_references",
    "check_tracking_plan",
    "merge_plans",
    "validate_definitions",
]


@dataclass(frozen=True)
class Definitions:
    """Everything the files define, keyed for the checks."""

    files: tuple[FileDefinitions, ...]
    metrics: dict[str, tuple[Metric, FileDefinitions]]
    dimensions: dict[str, Dimension]
    plan: TrackingPlan
    unbuilt: frozenset[str] = frozenset()


def merge_plans(plans: list[TrackingPlan]) -> TrackingPlan:
    """One tracking plan from the sections of every file (later keys add to earlier)."""
    merged = TrackingPlan()
    for plan in plans:
        for event, props in plan.events.items():
            merged.events.setdefault(event, {}).update(props)
        merged.user_traits.update(plan.user_traits)
        merged.account_traits.update(plan.account_traits)
    return merged


def _problem(
    file: FileDefinitions, metric: str | None, keys: tuple[str | int, ...], message: str
) -> DefinitionProblem:
    index = file.positions.get(metric or "")
    path = ("metrics", index, *keys) if index is not None else keys
    field = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")
    line = file.line_of(metric, *keys) if metric else None
    return DefinitionProblem(file.file, line, field, message, metric)


def _duplicates(files: tuple[FileDefinitions, ...]) -> Iterator[DefinitionProblem]:
    seen: dict[str, str] = {}
    dims: dict[str, str] = {}
    for file in files:
        for metric in file.metrics:
            if metric.name in seen:
                message = f"metric {metric.name!r} is already defined at {seen[metric.name]}"
                yield _problem(file, metric.name, ("name",), message)
            else:
                seen[metric.name] = str(metric.location)
        for dimension in file.dimensions:
            where = str(dimension.location)
            if dimension.name in dims:
                message = (
                    f"dimension {dimension.name!r} is already defined at {dims[dimension.name]}"
                )
                line = dimension.location.line if dimension.location else None
                yield DefinitionProblem(file.file, line, "dimensions.name", message)
            else:
                dims[dimension.name] = where


def check_references(defs: Definitions) -> Iterator[DefinitionProblem]:
    """Ratio, rolling, cumulative and formula metrics must name existing metrics."""
    for metric, file in defs.metrics.values():
        keys = _reference_keys(metric)
        for key, name in keys:
            if name in defs.unbuilt and name not in defs.metrics:
                continue  # its own problems are reported; "unknown" would mislead
            if name not in defs.metrics:
                hint = did_you_mean(name, defs.metrics)
                yield _problem(file, metric.name, (key,), f"unknown metric {name!r}{hint}")
            elif metric.type in (MetricType.ROLLING, MetricType.CUMULATIVE):
                target = defs.metrics[name][0]
                if target.type not in AGGREGATE_TYPES:
                    message = (
                        f"a {metric.type.value} metric wraps an event aggregate "
                        f"(count, sum, average, min, max, distinct), not {target.type.value} "
                        f"metric {name!r}"
                    )
                    yield _problem(file, metric.name, (key,), message)


def _reference_keys(metric: Metric) -> list[tuple[str, str]]:
    if isinstance(metric.spec, RatioSpec):
        return [("numerator", metric.spec.numerator), ("denominator", metric.spec.denominator)]
    key = "formula" if metric.type is MetricType.FORMULA else "of"
    return [(key, name) for name in metric.references]


def check_cycles(defs: Definitions) -> Iterator[DefinitionProblem]:
    """Derived metrics must not depend on themselves, directly or through others."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> Iterator[DefinitionProblem]:
        state[name] = 1
        for ref in defs.metrics[name][0].references:
            if ref not in defs.metrics:
                continue
            if state.get(ref) == 1:
                cycle = [*path[path.index(ref) :], ref]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    metric, file = defs.metrics[ref]
                    key = _reference_keys(metric)[0][0] if metric.references else "name"
                    message = f"circular reference: {' -> '.join(cycle)}"
                    yield _problem(file, ref, (key,), message)
            elif ref not in state:
                yield from visit(ref, [*path, ref])
        state[name] = 2

    for name in defs.metrics:
        if name not in state:
            yield from visit(name, [name])


def check_dimensions(defs: Definitions) -> Iterator[DefinitionProblem]:
    """A metric's ``dimensions`` list may only name dimensions defined somewhere."""
    for metric, file in defs.metrics.values():
        for index, name in enumerate(metric.dimensions or ()):
            if name not in defs.dimensions:
                hint = did_you_mean(name, defs.dimensions)
                message = f"unknown dimension {name!r}{hint}"
                yield _problem(file, metric.name, ("dimensions", index), message)


def check_tracking_plan(defs: Definitions) -> Iterator[DefinitionProblem]:
    """With a declared tracking plan, events, properties and traits must exist in it."""
    if not defs.plan.declared:
        return
    for metric, file in defs.metrics.values():
        for index, selection in enumerate(metric.selections):
            for keys, message in _selection_problems(defs.plan, selection, metric, index):
                yield _problem(file, metric.name, keys, message)
        for name in metric.dimensions or ():
            dimension = defs.dimensions.get(name)
            if dimension is None:
                continue
            for selection in metric.selections:
                found = _field_problem(defs.plan, dimension.field, selection)
                if found:
                    text = f"dimension {name!r}: {found}"
                    yield _problem(file, metric.name, ("dimensions",), text)


_STEP_KEYS = {
    MetricType.CONVERSION: ("from", "to"),
    MetricType.RETENTION: ("start", "return"),
}


def _selection_key(metric: Metric, index: int) -> tuple[str | int, ...]:
    """Where selection ``index`` of ``metric`` is written in the YAML."""
    if metric.type in _STEP_KEYS:
        return (_STEP_KEYS[metric.type][index],)
    if metric.type is MetricType.FUNNEL:
        return ("steps", index)
    return ()


def _selection_problems(
    plan: TrackingPlan, selection: EventSelection, metric: Metric, index: int
) -> list[tuple[tuple[str | int, ...], str]]:
    """(YAML keys, message) for each undeclared event, property or trait of a selection."""
    base = _selection_key(metric, index)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if plan.events:
        for event in selection.events:
            if event not in plan.events:
                hint = did_you_mean(event, plan.events)
                key = base or ("events" if len(selection.events) > 1 else "event",)
                problems.append((key, f"event {event!r} is not in the tracking plan{hint}"))
    fields = [(base or ("filters", i), f.field) for i, f in enumerate(selection.filters)]
    if isinstance(metric.spec, AggregateSpec):
        ref = FieldRef(FieldSource.PROPERTY, metric.spec.property, metric.spec.value_type)
        fields.append((("property",), ref))
    for keys, field in fields:
        message = _field_problem(plan, field, selection)
        if message:
            problems.append((keys, message))
    return problems


def _field_problem(plan: TrackingPlan, field: FieldRef, selection: EventSelection) -> str | None:
    if field.source is FieldSource.PROPERTY:
        if not plan.events:
            return None
        events = [e for e in selection.events if e in plan.events] or list(plan.events)
        declared = {k: v for e in events for k, v in plan.events[e].items()}
        where = f"events {', '.join(repr(e) for e in events)}" if selection.events else "any event"
    else:
        declared = (
            plan.user_traits if field.source is FieldSource.USER_TRAIT else plan.account_traits
        )
        if not declared:
            return None
        where = "the tracking plan"
    if field.key not in declared:
        hint = did_you_mean(field.key, declared)
        return (
            f"{field.source.value.replace('_', ' ')} {field.key!r} is not declared on {where}{hint}"
        )
    if field.value_type is not ValueType.TEXT and declared[field.key] is ValueType.TEXT:
        kind = field.source.value.replace("_", " ")
        return f"{kind} {field.key!r} is declared as text but used as a number"
    return None


def check_duplicates(defs: Definitions) -> Iterator[DefinitionProblem]:
    """Metric and dimension names are unique across the whole folder."""
    yield from _duplicates(defs.files)


CHECKS: tuple[Callable[[Definitions], Iterator[DefinitionProblem]], ...] = (
    check_duplicates,
    check_references,
    check_cycles,
    check_dimensions,
    check_tracking_plan,
)


def validate_definitions(
    files: tuple[FileDefinitions, ...],
) -> tuple[Definitions, list[DefinitionProblem]]:
    """Run every check in ``CHECKS`` over the given (individually valid) files."""
    metrics: dict[str, tuple[Metric, FileDefinitions]] = {}
    dimensions: dict[str, Dimension] = {}
    for file in files:
        for metric in file.metrics:
            metrics.setdefault(metric.name, (metric, file))
        for dimension in file.dimensions:
            dimensions.setdefault(dimension.name, dimension)
    plan = merge_plans([file.tracking_plan for file in files])
    unbuilt = frozenset(name for file in files for name in file.unbuilt)
    defs = Definitions(files, metrics, dimensions, plan, unbuilt)
    problems = [problem for check in CHECKS for problem in check(defs)]
    return defs, problems
