"""The impact chain as JSON (schemas) and as display text for the pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pilothouse.core.references import Reference
from pilothouse.roadmap.impact.chain import EvidenceView, ImpactChain
from pilothouse.roadmap.impact.its import ItsResult
from pilothouse.roadmap.impact.measure import MetricImpact
from pilothouse.roadmap.impact.schemas import (
    CustomerRead,
    EstimateRead,
    EvidenceRead,
    ExperimentImpactRead,
    ImpactRead,
    LaunchImpactRead,
    MetricImpactRead,
    ReferenceRead,
    StageImpactRead,
)

__all__ = [
    "evidence_read",
    "impact_read",
    "metric_impact_read",
    "metric_row",
    "money",
    "reference_read",
]


def reference_read(ref: Reference) -> ReferenceRead:
    return ReferenceRead(**ref.as_dict())


def evidence_read(evidence: EvidenceView) -> EvidenceRead:
    return EvidenceRead(
        themes=[reference_read(t) for t in evidence.themes],
        feedback=[reference_read(f) for f in evidence.feedback],
        feedback_count=evidence.feedback_count,
        customers=[CustomerRead(customer=reference_read(c.reference), arr_cents=c.arr_cents)
                   for c in evidence.customers],
        customer_count=evidence.customer_count,
        arr_cents=evidence.arr_cents,
    )  # fmt: skip


def _estimate(result: ItsResult | None) -> EstimateRead | None:
    if result is None:
        return None
    values = asdict(result)
    values["cannot_tell"] = result.cannot_tell
    return EstimateRead(**{k: v for k, v in values.items() if k in EstimateRead.model_fields})


def metric_impact_read(impact: MetricImpact) -> MetricImpactRead:
    return MetricImpactRead(
        metric=reference_read(impact.metric),
        ga_date=impact.ga_date,
        message=impact.message,
        estimate=_estimate(impact.result),
        window_start=impact.window_start,
        window_end=impact.window_end,
    )


def impact_read(chain: ImpactChain) -> ImpactRead:
    return ImpactRead(
        subject=reference_read(chain.subject),
        ga_date=chain.ga_date,
        evidence=evidence_read(chain.evidence),
        launches=[
            LaunchImpactRead(
                launch=reference_read(v.reference), status=v.status, stage=v.stage,
                stages=[StageImpactRead(**asdict(s)) for s in v.stages],
                ga_date=v.ga_date, launched=v.launched,
            )
            for v in chain.launches
        ],
        experiments=[
            ExperimentImpactRead(
                experiment=reference_read(x.reference), status=x.status,
                primary_metric=reference_read(x.primary_metric) if x.primary_metric else None,
                result=x.result,
            )
            for x in chain.experiments
        ],
        metrics=[metric_impact_read(m) for m in chain.metrics],
    )  # fmt: skip


def money(cents: int) -> str:
    """Integer cents as ``$1,300.00``; money is never a float until it is shown."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def _level(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4g}"


def _signed(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "?"
    return f"{value * 100:+.1f}%" if percent else f"{value:+,.4g}"


def metric_row(impact: MetricImpact) -> dict[str, Any]:
    """Display text of one measured metric: before/after levels, change and interval."""
    result = impact.result
    row: dict[str, Any] = {"metric": impact.metric, "ga": impact.ga_date, "message": impact.message}
    row["status"] = result.status if result else "unknown"
    row["cannot_tell"] = result.cannot_tell if result else True
    if result is None or result.level_change is None:
        return row
    row["before"], row["after"] = _level(result.mean_before), _level(result.mean_after)
    row["change"] = _signed(result.level_change)
    row["interval"] = f"[{_signed(result.ci_low)}, {_signed(result.ci_high)}]"
    if result.relative_change is not None:
        row["relative"] = _signed(result.relative_change, percent=True)
        row["relative_interval"] = (
            f"[{_signed(result.relative_ci_low, True)}, {_signed(result.relative_ci_high, True)}]"
        )
    row["days"] = f"{result.days_before} days before, {result.days_after} after"
    return row
