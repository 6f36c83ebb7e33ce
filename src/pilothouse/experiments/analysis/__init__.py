"""Warehouse-native experiment analysis: SQL where the data lives, statistics here.

An experiment (exposure source, variations, metrics, ``analysis`` settings) becomes
an :class:`AnalysisPlan` (:func:`build_plan`); the plan compiles to SQL for any of
the metrics layer's dialects (:func:`compile_exposures`, :func:`compile_statistics`)
that returns only per-variation (and per-dimension) sufficient statistics; the
runner executes it, feeds the stats engine and builds the scorecard document
(:func:`run_analysis`); the service stores every run as a snapshot. See
``docs/experiments.md``.
"""

from pilothouse.experiments.analysis.plan import (
    EMBEDDED,
    QUERY_ERROR,
    UNKNOWN_METRIC,
    UNSUPPORTED_METRIC,
    WAREHOUSE_ERROR,
    AnalysisPlan,
    Component,
    DimensionPlan,
    EventExposure,
    MetricPlan,
    TableExposure,
    build_plan,
    metric_components,
)
from pilothouse.experiments.analysis.runner import (
    AnalysisFailed,
    AnalysisOutcome,
    Target,
    run_analysis,
)
from pilothouse.experiments.analysis.settings import (
    AnalysisSettings,
    Capping,
    MetricSettings,
    parse_analysis_settings,
)
from pilothouse.experiments.analysis.sql import (
    CompiledAnalysis,
    compile_exposures,
    compile_statistics,
    metric_fields,
)

__all__ = [
    "EMBEDDED",
    "QUERY_ERROR",
    "UNKNOWN_METRIC",
    "UNSUPPORTED_METRIC",
    "WAREHOUSE_ERROR",
    "AnalysisFailed",
    "AnalysisOutcome",
    "AnalysisPlan",
    "AnalysisSettings",
    "Capping",
    "CompiledAnalysis",
    "Component",
    "DimensionPlan",
    "EventExposure",
    "MetricPlan",
    "MetricSettings",
    "TableExposure",
    "Target",
    "build_plan",
    "compile_exposures",
    "compile_statistics",
    "metric_components",
    "metric_fields",
    "parse_analysis_settings",
    "run_analysis",
]
