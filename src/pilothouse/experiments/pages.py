"""Experiment pages: the list, and one experiment's scorecard, history, power and decision."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from pilothouse.core.errors import NotFound, PilothouseError
from pilothouse.core.links import ObjectRef
from pilothouse.core.pagination import PageRequest
from pilothouse.core.references import resolve
from pilothouse.core.runtime import Runtime
from pilothouse.experiments import experiment_links, registry, template_pages, template_service
from pilothouse.experiments.forest import forest_rows, forest_svg
from pilothouse.experiments.models import DecisionOutcome, ExperimentStatus, MetricRole
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/experiments", include_in_schema=False)
# Before "/{key}", so that /experiments/templates is not read as an experiment key.
router.include_router(template_pages.router)
DEFAULT_EXPOSURE = {
    "kind": "event",
    "event": "Experiment Viewed",
    "experiment_property": "experiment",
    "variation_property": "variation",
}


@router.get("")
def list_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    status: str = "",
    template: int | None = None,
) -> Response:
    chosen = ExperimentStatus(status) if status in ExperimentStatus.__members__ else None
    page = registry.list_experiments(session, PageRequest(limit=200), status=chosen)
    metrics = sorted(m.name for m in runtime.metrics.catalog())
    templates = template_service.list_templates(session)
    picked = next((t for t in templates if t.id == template), None)
    return render(
        request,
        "experiments/list.html",
        {
            "experiments": page.items,
            "status": status,
            "statuses": list(ExperimentStatus),
            "metrics": metrics,
            "templates": templates,
            "picked": picked,
        },
    )


@router.post("")
def create_from_form(
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=300)],
    hypothesis: Annotated[str, Form(max_length=10_000)] = "",
    primary_metric: Annotated[str, Form(max_length=200)] = "",
    template: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    design = _form_design(session, name, hypothesis, primary_metric, template)
    experiment = registry.create_experiment(
        session, principal.actor, design, known_metrics={m.name for m in runtime.metrics.catalog()}
    )
    return flash_redirect(f"/experiments/{experiment.key}", f"Created draft {experiment.key}.")


def _form_design(
    session: Session, name: str, hypothesis: str, primary_metric: str, template: str
) -> registry.ExperimentDesign:
    """The new-experiment form: a template's design, or two 50/50 variations on the
    standard exposure event; a primary metric chosen in the form replaces the template's."""
    metrics = (
        [registry.MetricChoice(primary_metric, MetricRole.primary)] if primary_metric else None
    )
    design = registry.ExperimentDesign(name=name, hypothesis=hypothesis, metrics=metrics)
    if template:
        chosen = template_service.find_template(session, template)
        design = template_service.design_from_template(chosen, design)
        if metrics and design.metrics is not None:
            kept = [m for m in (chosen.defaults.get("metrics") or []) if m.get("role") != "primary"]
            design = replace(design, metrics=[*metrics, *template_service.metric_choices(kept)])
    return replace(
        design,
        exposure=design.exposure if design.exposure is not None else dict(DEFAULT_EXPOSURE),
        metrics=design.metrics or [],
        variations=design.variations
        or [
            registry.VariationSpec("control", "Control", 0.5),
            registry.VariationSpec("treatment", "Treatment", 0.5),
        ],
    )


def _latest(session: Session, experiment: Any) -> Any:
    from pilothouse.experiments.analysis import service as analysis

    try:
        return analysis.latest_results(session, experiment)
    except NotFound:
        return None


def _history_chart(session: Session, experiment: Any) -> str:
    """Effect of the first primary metric over the snapshots, for the over-time chart."""
    from pilothouse.experiments.analysis import service as analysis

    snapshots = list(
        reversed(analysis.list_snapshots(session, experiment, PageRequest(limit=200)).items)
    )
    primary = next((m.metric for m in experiment.metrics if m.role is MetricRole.primary), None)
    labels, effect, lower, upper = [], [], [], []
    for snapshot in snapshots:
        if not snapshot.succeeded:
            continue
        entry = next(
            (m for m in snapshot.results.get("metrics", []) if m["metric"] == primary), None
        )
        variations = entry.get("variations", []) if entry else []
        if len(variations) < 2 or variations[1].get("effect") is None:
            continue
        ci = variations[1].get("ci") or [None, None]
        labels.append(snapshot.computed_at.strftime("%Y-%m-%d %H:%M"))
        effect.append(variations[1]["effect"])
        lower.append(ci[0] if isinstance(ci[0], float | int) else None)
        upper.append(ci[1] if isinstance(ci[1], float | int) else None)
    if len(labels) < 2:
        return ""
    datasets = [
        {"label": f"effect on {primary}", "data": effect, "borderColor": "#1d4ed8"},
        {"label": "interval, lower", "data": lower, "borderColor": "#93c5fd", "borderDash": [4, 3]},
        {"label": "interval, upper", "data": upper, "borderColor": "#93c5fd", "borderDash": [4, 3]},
    ]
    return json.dumps(
        {
            "type": "line",
            "data": {"labels": labels, "datasets": datasets},
            "options": {"responsive": True, "maintainAspectRatio": False},
        }
    )


def _power(session: Session, runtime: Runtime, experiment: Any) -> tuple[Any, str | None]:
    from pilothouse.experiments.analysis import service as analysis

    try:
        return analysis.power_for(session, runtime, experiment), None
    except PilothouseError as exc:
        return None, exc.detail


@router.get("/{key}")
def experiment_page(
    request: Request,
    key: str,
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    dimension: str = "",
) -> Response:
    experiment = registry.find_experiment(session, key)
    snapshot = _latest(session, experiment)
    results = snapshot.results if snapshot else {}
    dimension_names = [d["name"] for d in results.get("dimensions", [])]
    if dimension not in dimension_names:
        dimension = dimension_names[0] if dimension_names else ""
    relative = results.get("settings", {}).get("difference", "relative") == "relative"
    power, power_error = (
        _power(session, runtime, experiment) if experiment.metrics else (None, None)
    )
    return render(
        request,
        "experiments/experiment.html",
        {
            "e": experiment,
            "snapshot": snapshot,
            "results": results,
            "relative": relative,
            "forest": Markup(forest_svg(forest_rows(results), relative=relative)),
            "history_chart": _history_chart(session, experiment),
            "power": power,
            "power_error": power_error,
            "outcomes": list(DecisionOutcome),
            "dimension_names": dimension_names,
            "dimension": dimension,
            "links": experiment_links.experiment_links(session, experiment),
            "metric_refs": _metric_refs(session, runtime, experiment),
            "logged_decisions": _logged_decisions(session, experiment),
        },
    )


def _metric_refs(session: Session, runtime: Runtime, experiment: Any) -> dict[str, Any]:
    """The experiment's metrics named and linked by the catalog (``core.references``)."""
    refs = [ObjectRef("metric", m.metric) for m in experiment.metrics]
    return {ref.id: found for ref, found in resolve(session, refs, runtime).items()}


def _logged_decisions(session: Session, experiment: Any) -> list[Any]:
    """Decision-log entries about the experiment (newest first), through the decisions
    domain's service; the experiment's own ship/roll-back decision is shown apart."""
    from pilothouse.decisions.linking import decisions_about

    return decisions_about(session, experiment_links.experiment_ref(experiment))


@router.post("/{key}/start")
def start_form(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    experiment = registry.start(session, principal.actor, registry.find_experiment(session, key))
    return flash_redirect(f"/experiments/{key}", f"{experiment.key} is running.")


@router.post("/{key}/stop")
def stop_form(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    experiment = registry.stop(session, principal.actor, registry.find_experiment(session, key))
    return flash_redirect(f"/experiments/{key}", f"{experiment.key} stopped.")


@router.post("/{key}/analyze")
def analyze_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    background: Annotated[bool, Form()] = False,
) -> Response:
    from pilothouse.experiments import jobs
    from pilothouse.experiments.analysis import service as analysis

    experiment = registry.find_experiment(session, key)
    if background:
        job = jobs.submit_analysis(runtime, principal.actor, experiment, session)
        return flash_redirect(
            f"/experiments/{key}",
            f"Analysis queued as job {job.id}; see /jobs/{job.id}. Reload when it is done.",
        )
    snapshot = analysis.analyze_experiment(session, runtime, principal.actor, experiment)
    if not snapshot.succeeded:
        return flash_redirect(
            f"/experiments/{key}", f"The analysis failed: {snapshot.error}", kind="error"
        )
    return flash_redirect(f"/experiments/{key}", "Analysis updated.")


@router.post("/{key}/decision")
def decision_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    outcome: Annotated[DecisionOutcome, Form()],
    rationale: Annotated[str, Form(max_length=10_000)],
) -> Response:
    experiment = registry.find_experiment(session, key)
    registry.decide(session, principal.actor, experiment, outcome, rationale)
    return flash_redirect(f"/experiments/{key}", f"Decision recorded: {outcome.value}.")


@router.post("/{key}/links")
def link_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    type: Annotated[str, Form(pattern="^(roadmap_item|launch)$")],
    id: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    experiment = registry.find_experiment(session, key)
    view = experiment_links.add_experiment_link(session, principal.actor, experiment, type, id)
    return flash_redirect(f"/experiments/{key}", f"Linked {view.label or view.ref}.")


@router.post("/{key}/links/remove")
def unlink_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    type: Annotated[str, Form(pattern="^(roadmap_item|launch)$")],
    id: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    experiment = registry.find_experiment(session, key)
    experiment_links.remove_experiment_link(session, principal.actor, experiment, type, id)
    return flash_redirect(f"/experiments/{key}", f"Unlinked {type}:{id}.")
