"""Metrics as code: the YAML format, its typed model, validation and the catalog.

Pure: no database, web or environment access. Files go YAML -> line-aware load
(:mod:`.loader`) -> typed model per file (:mod:`.parser`, :mod:`.specs`) -> checks
across files (:mod:`.validator`) -> :class:`Catalog`. Every problem carries its file,
line and field; :class:`ErrorLevel` decides whether problems are collected or raised.
The format is documented in ``docs/metrics.md``.

Example:
    >>> report = validate_sources({"growth.yaml": '''
    ... metrics:
    ...   - name: signups
    ...     description: New accounts created.
    ...     owner: pm@example.com
    ...     product_area: growth
    ...     type: count
    ...     event: Signed Up
    ...   - name: activation
    ...     description: Share of sign-ups that export a report.
    ...     owner: pm@example.com
    ...     product_area: growth
    ...     type: ratio
    ...     numerator: exporters
    ...     denominator: signups
    ... '''})
    >>> print(report.problems[0])
    growth.yaml:14: metrics[1].numerator: unknown metric 'exporters' (metric 'activation')
"""

from pilothouse.metrics.definitions.adhoc import (
    InvalidFilter,
    adhoc_dimension,
    filter_from_mapping,
    parse_where,
)
from pilothouse.metrics.definitions.catalog import (
    Catalog,
    ReloadResult,
    ValidationReport,
    load_catalog,
    parse_sources,
    read_folder,
    reload_catalog,
    validate_folder,
    validate_sources,
)
from pilothouse.metrics.definitions.errors import (
    DefinitionProblem,
    ErrorLevel,
    MetricDefinitionError,
    UnknownDimension,
    UnknownMetric,
)
from pilothouse.metrics.definitions.formula import FormulaError, parse_formula
from pilothouse.metrics.definitions.model import (
    AggregateFunction,
    AggregateSpec,
    CountSpec,
    CumulativeSpec,
    Dimension,
    DistinctSpec,
    EventSelection,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    FormulaSpec,
    FunnelSpec,
    Grain,
    Location,
    Metric,
    MetricFormat,
    MetricType,
    RatioSpec,
    RetentionMode,
    RetentionSpec,
    RollingSpec,
    TrackingPlan,
    Unit,
    ValueType,
)
from pilothouse.metrics.definitions.parser import FileDefinitions

__all__ = [
    "AggregateFunction",
    "AggregateSpec",
    "Catalog",
    "CountSpec",
    "CumulativeSpec",
    "DefinitionProblem",
    "Dimension",
    "DistinctSpec",
    "ErrorLevel",
    "EventSelection",
    "FieldRef",
    "FieldSource",
    "FileDefinitions",
    "Filter",
    "FilterOp",
    "FormulaError",
    "FormulaSpec",
    "FunnelSpec",
    "Grain",
    "InvalidFilter",
    "Location",
    "Metric",
    "MetricDefinitionError",
    "MetricFormat",
    "MetricType",
    "RatioSpec",
    "ReloadResult",
    "RetentionMode",
    "RetentionSpec",
    "RollingSpec",
    "TrackingPlan",
    "Unit",
    "UnknownDimension",
    "UnknownMetric",
    "ValidationReport",
    "ValueType",
    "adhoc_dimension",
    "filter_from_mapping",
    "load_catalog",
    "parse_formula",
    "parse_sources",
    "parse_where",
    "read_folder",
    "reload_catalog",
    "validate_folder",
    "validate_sources",
]
