"""YAML shape -> typed model, for one file at a time.

A metric file is a mapping with up to three sections, all optional::

    metrics:        # list of metric definitions (see docs/metrics.md)
    dimensions:     # list of named breakdowns
    tracking_plan:  # declared events/properties/traits, to catch typos statically

Checks that need only this file happen here (keys, types, operators, slugs, e-mail
addresses, formulas). Checks across files (duplicates, references, cycles, the
tracking plan) happen in :mod:`pilothouse.metrics.definitions.validator`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pilothouse.metrics.definitions.errors import DefinitionProblem
from pilothouse.metrics.definitions.fields import Section
from pilothouse.metrics.definitions.loader import LoadedDocument
from pilothouse.metrics.definitions.model import (
    METRIC_NAME,
    Dimension,
    Location,
    Metric,
    MetricFormat,
    MetricType,
    TrackingPlan,
    ValueType,
)
from pilothouse.metrics.definitions.specs import ALL_SPEC_KEYS, SOURCES, field_ref, parse_spec

__all__ = ["FileDefinitions", "parse_document"]

AREA_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROOT_KEYS = ("version", "metrics", "dimensions", "tracking_plan")
COMMON_KEYS = (
    "name",
    "label",
    "description",
    "owner",
    "product_area",
    "tags",
    "certified",
    "type",
    "dimensions",
    "format",
)
RESERVED_NAMES = frozenset({"period_start", "value", "numerator", "denominator"})


@dataclass(frozen=True)
class FileDefinitions:
    """What one file defines, or would define if its problems were fixed."""

    file: str
    metrics: tuple[Metric, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    tracking_plan: TrackingPlan = TrackingPlan()
    problems: tuple[DefinitionProblem, ...] = ()
    document: LoadedDocument | None = field(default=None, compare=False, repr=False)
    positions: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Metric name -> index in the file's ``metrics`` list, for precise lines."""
    unbuilt: tuple[str, ...] = ()
    """Names of metrics too broken to build; references to them are not "unknown"."""

    def line_of(self, metric: str, *keys: str | int) -> int | None:
        """The line of ``metrics[i].<keys>`` for the metric called ``metric``."""
        if self.document is None or metric not in self.positions:
            return None
        return self.document.line(("metrics", self.positions[metric], *keys))

    @property
    def valid(self) -> bool:
        return not self.problems


def parse_document(doc: LoadedDocument) -> FileDefinitions:
    """Read every section of ``doc``; problems are returned, never raised."""
    problems: list[DefinitionProblem] = []
    root = Section(doc, (), doc.data if isinstance(doc.data, dict) else {}, problems)
    if not isinstance(doc.data, dict):
        root.problem(None, "a metric file must be a mapping with 'metrics' and/or 'dimensions'")
        return FileDefinitions(doc.file, problems=tuple(problems))
    root.check_keys(ROOT_KEYS, "a metric file")
    if root.has("version") and root.raw("version") != 1:
        root.problem("version", "only version 1 is supported")
    parsed = _items(root, "metrics", _parse_metric)
    raw_metrics = root.raw("metrics") if isinstance(root.raw("metrics"), list) else []
    unbuilt = tuple(
        str(item["name"])
        for item, metric in zip(raw_metrics, parsed, strict=False)
        if metric is None and isinstance(item, dict) and isinstance(item.get("name"), str)
    )
    positions = {m.name: i for i, m in enumerate(parsed) if m is not None}
    metrics = tuple(m for m in parsed if m is not None)
    dimensions = tuple(d for d in _items(root, "dimensions", _parse_dimension) if d is not None)
    plan = _parse_plan(root)
    return FileDefinitions(
        doc.file,
        metrics,
        dimensions,
        plan,
        tuple(problems),
        document=doc,
        positions=positions,
        unbuilt=unbuilt,
    )


def _items(root: Section, key: str, parse: Any) -> list[Any]:
    value = root.raw(key)
    if value is None:
        return []
    if not isinstance(value, list):
        root.problem(key, f"{key!r} must be a list")
        return []
    parsed = []
    for index, item in enumerate(value):
        section = root.child(key, {}).mapping(index, item)
        parsed.append(parse(section) if section is not None else None)
    return parsed  # aligned with the YAML list, None where an item was unusable


def _parse_metric(section: Section) -> Metric | None:
    name = section.pattern("name", METRIC_NAME, "a snake_case name", required=True)
    section.metric = name or None
    if name in RESERVED_NAMES:
        section.problem("name", f"{name!r} is reserved for result columns")
    metric_type = section.choice("type", MetricType)
    if metric_type is None:  # unknown type: accept any key some type would accept
        section.check_keys((*COMMON_KEYS, *ALL_SPEC_KEYS), "a metric")
        return None
    spec_fields = parse_spec(section, metric_type)
    section.check_keys((*COMMON_KEYS, *spec_fields.keys), f"a {metric_type.value} metric")
    common = _parse_common(section, name)
    if spec_fields.spec is None or not name:
        return None
    return Metric(
        name=name,
        type=metric_type,
        spec=spec_fields.spec,
        unit=spec_fields.unit,
        include_anonymous=spec_fields.include_anonymous,
        location=Location(section.doc.file, section.doc.line(section.path)),
        **common,
    )


def _parse_common(section: Section, name: str) -> dict[str, Any]:
    dimensions = None
    if section.has("dimensions"):
        dimensions = section.string_list("dimensions", pattern=METRIC_NAME)
    return {
        "label": section.text("label", default=name.replace("_", " ").capitalize()),
        "description": section.text("description", required=True),
        "owner": section.pattern("owner", EMAIL, "an e-mail address", required=True),
        "product_area": section.pattern(
            "product_area", AREA_SLUG, "a product-area slug", required=True
        ),
        "tags": section.string_list("tags"),
        "certified": section.flag("certified"),
        "dimensions": dimensions,
        "format": section.choice("format", MetricFormat, MetricFormat.NUMBER)
        or MetricFormat.NUMBER,
    }


def _parse_dimension(section: Section) -> Dimension | None:
    section.check_keys(("name", "label", "description", "type", *SOURCES), "a dimension")
    name = section.pattern("name", METRIC_NAME, "a snake_case name", required=True)
    if name in RESERVED_NAMES:
        section.problem("name", f"{name!r} is reserved for result columns")
    ref = field_ref(section, "a dimension")
    if not name or ref is None:
        return None
    return Dimension(
        name=name,
        field=ref,
        label=section.text("label", default=name.replace("_", " ").capitalize()),
        description=section.text("description"),
        location=Location(section.doc.file, section.doc.line(section.path)),
    )


def _parse_plan(root: Section) -> TrackingPlan:
    plan = root.mapping("tracking_plan", root.raw("tracking_plan", {}))
    if plan is None:
        return TrackingPlan()
    plan.check_keys(("events", "user_traits", "account_traits"), "the tracking plan")
    events: dict[str, dict[str, ValueType]] = {}
    declared = plan.mapping("events", plan.raw("events", {}))
    for event, props in (declared.data if declared else {}).items():
        properties = (
            declared.mapping(event, props if props is not None else {}) if declared else None
        )
        events[event] = _typed_keys(properties) if properties else {}
    return TrackingPlan(
        events=events,
        user_traits=_typed_keys(plan.mapping("user_traits", plan.raw("user_traits", {}))),
        account_traits=_typed_keys(plan.mapping("account_traits", plan.raw("account_traits", {}))),
    )


def _typed_keys(section: Section | None) -> dict[str, ValueType]:
    if section is None:
        return {}
    result: dict[str, ValueType] = {}
    for key in section.data:
        value_type = section.choice(key, ValueType, ValueType.TEXT)
        result[key] = value_type or ValueType.TEXT
    return result
