"""Pages of experiment templates: the list with a create form (``/experiments/templates``).

The form takes one line per variation (``key:Name:weight``) and per guardrail
(``metric:increase|decrease[:margin]``), so a template is made without writing JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.experiments import template_service
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["parse_guardrails", "parse_variations", "router"]

router = APIRouter(prefix="/templates", include_in_schema=False)
EXAMPLE_VARIATIONS = "control:Control:0.5\ntreatment:Treatment:0.5"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_variations(text: str) -> list[dict[str, Any]]:
    """``key:Name:weight`` per line (``key:weight`` uses the key as the name)."""
    out = []
    for number, line in enumerate(_lines(text), start=1):
        parts = [p.strip() for p in line.split(":")]
        weight = None
        if len(parts) in (2, 3):
            try:
                weight = float(parts[-1])
            except ValueError:
                weight = None
        if weight is None:
            raise ValidationFailed(
                f"variations, line {number}: {line!r} is not key:Name:weight",
                errors=[FieldError("variations", f"line {number}: key:Name:weight")],
            )
        name = parts[1] if len(parts) == 3 and parts[1] else parts[0]
        out.append({"key": parts[0], "name": name, "weight": weight})
    return out


def parse_guardrails(text: str) -> list[dict[str, Any]]:
    """``metric:increase|decrease[:margin]`` per line."""
    out = []
    for number, line in enumerate(_lines(text), start=1):
        parts = [p.strip() for p in line.split(":")]
        try:
            margin = float(parts[2]) if len(parts) == 3 else None
        except ValueError:
            margin, parts = None, []
        if len(parts) not in (2, 3) or parts[1] not in ("increase", "decrease"):
            raise ValidationFailed(
                f"guardrails, line {number}: {line!r} is not metric:increase|decrease[:margin]",
                errors=[FieldError("guardrails", f"line {number}: metric:bad direction")],
            )
        out.append(
            {"metric": parts[0], "role": "guardrail", "bad_direction": parts[1], "margin": margin}
        )
    return out


@router.get("")
def templates_page(
    request: Request, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return render(
        request,
        "experiments/templates.html",
        {
            "templates": template_service.list_templates(session),
            "metrics": sorted(m.name for m in runtime.metrics.catalog()),
            "example_variations": EXAMPLE_VARIATIONS,
        },
    )


@router.post("")
def create_template_form(
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=10_000)] = "",
    hypothesis_prompt: Annotated[str, Form(max_length=10_000)] = "",
    analysis_unit: Annotated[str, Form(pattern="^(user|account)$")] = "user",
    variations: Annotated[str, Form(max_length=5_000)] = EXAMPLE_VARIATIONS,
    exposure_event: Annotated[str, Form(max_length=200)] = "Experiment Viewed",
    primary_metric: Annotated[str, Form(max_length=200)] = "",
    secondary_metrics: Annotated[list[str] | None, Form()] = None,
    guardrails: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    metrics: list[dict[str, Any]] = []
    if primary_metric:
        metrics.append({"metric": primary_metric, "role": "primary"})
    metrics += [{"metric": m, "role": "secondary"} for m in secondary_metrics or [] if m]
    metrics += parse_guardrails(guardrails)
    defaults: dict[str, Any] = {
        "analysis_unit": analysis_unit,
        "variations": parse_variations(variations),
        "metrics": metrics,
        "hypothesis_prompt": hypothesis_prompt.strip(),
    }
    if exposure_event.strip():
        defaults["exposure"] = {
            "kind": "event",
            "event": exposure_event.strip(),
            "experiment_property": "experiment",
            "variation_property": "variation",
        }
    template = template_service.create_template(
        session,
        principal.actor,
        name=name,
        description=description,
        defaults=defaults,
        known_metrics={m.name for m in runtime.metrics.catalog()},
    )
    return flash_redirect("/experiments/templates", f"Saved template {template.name}.")


@router.post("/{template_id}/delete")
def delete_template_form(template_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    template = template_service.find_template(session, template_id)
    template_service.delete_template(session, principal.actor, template)
    return flash_redirect("/experiments/templates", f"Deleted template {template.name}.")
