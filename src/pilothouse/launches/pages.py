"""Launch pages: the list, one launch (stages, checklists, gates), the template editor,
the calendar, release notes, and the changelog.

Every form posts to a route here that calls the same service as the API; a refused
post (say, a gate without its approvals) goes back to the page with the reason, as
the web layer does for every refused form.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from pilothouse.core.models import ProductArea, User
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from pilothouse.launches import (
    blueprints,
    checklists,
    cross_links,
    gates,
    launching,
    release_notes,
)
from pilothouse.launches.calendar import month_calendar, parse_month
from pilothouse.launches.common import find_launch, launch_ref, workspace_today
from pilothouse.launches.models import ApprovalDecision, LaunchStatus
from pilothouse.launches.presenters import launch_brief, launch_read
from pilothouse.launches.text_format import parse_template_text, template_text
from pilothouse.roadmap.impact import pages as impact_pages
from pilothouse.roadmap.impact.chain import launch_chain
from pilothouse.roadmap.impact.linking import link_metric
from pilothouse.web.deps import EditorWrite, OwnWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LIST_LIMIT = 200


def _today(runtime: Runtime) -> date:
    return workspace_today(runtime.settings.timezone)


def _areas(session: Session) -> list[ProductArea]:
    """Areas for a form's choices: id and name, without each area's owner joined in."""
    query = select(ProductArea).options(lazyload("*")).order_by(ProductArea.name)
    return list(session.scalars(query))


def _people(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active).order_by(User.name)))


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@router.get("/launches")
def list_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    status: str = "",
    area: str = "",
) -> Response:
    chosen = [LaunchStatus(status)] if status in LaunchStatus.__members__ else None
    found = launching.list_launches(
        session,
        PageRequest(limit=LIST_LIMIT, newest_first=True),
        status=chosen,
        product_area=area or None,
    )
    today = _today(runtime)
    return render(
        request,
        "launches/list.html",
        {
            "launches": [launch_brief(launch, today) for launch in found.items],
            "status": status,
            "area": area,
            "statuses": list(LaunchStatus),
            "areas": _areas(session),
            "people": _people(session),
            "templates": blueprints.list_templates(session),
            "today": today,
        },
    )


@router.post("/launches")
def create_from_form(
    principal: EditorWrite,
    session: SessionDep,
    template: Annotated[str, Form(max_length=200)],
    name: Annotated[str, Form(max_length=300)],
    target_date: Annotated[str, Form(max_length=10)],
    product_area: Annotated[str, Form(max_length=200)] = "",
    owner: Annotated[str, Form(max_length=320)] = "",
    features: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    launch = launching.create_launch(
        session,
        principal.actor,
        {
            "template": template,
            "name": name,
            "target_date": target_date,
            "product_area": product_area or None,
            "owner": owner or None,
            "features": _split(features),
        },
    )
    return flash_redirect(f"/launches/{launch.key}", f"Created {launch.key}.")


@router.get("/launches/templates")
def templates_page(
    request: Request, _principal: Viewer, session: SessionDep, edit: int | None = None
) -> Response:
    templates = blueprints.list_templates(session)
    editing = blueprints.get_template(session, edit) if edit else None
    return render(
        request,
        "launches/templates.html",
        {
            "templates": [(t, template_text(session, t)) for t in templates],
            "editing": editing,
            "editing_text": template_text(session, editing) if editing else "",
        },
    )


@router.post("/launches/templates")
def create_template_form(
    principal: EditorWrite,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    stages_text: Annotated[str, Form(max_length=50_000)],
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    values = {"name": name, "description": description, "stages": parse_template_text(stages_text)}
    template = blueprints.create_template(session, principal.actor, values)
    return flash_redirect("/launches/templates", f"Template {template.name!r} created.")


@router.post("/launches/templates/{template_id}")
def update_template_form(
    template_id: int,
    principal: EditorWrite,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    stages_text: Annotated[str, Form(max_length=50_000)],
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    template = blueprints.get_template(session, template_id)
    values = {"name": name, "description": description, "stages": parse_template_text(stages_text)}
    blueprints.update_template(session, principal.actor, template, values)
    return flash_redirect("/launches/templates", f"Template {template.name!r} saved.")


@router.get("/launches/calendar")
def calendar_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    month: str = "",
    area: str = "",
) -> Response:
    today = _today(runtime)
    grid = month_calendar(
        session, parse_month(month, today), product_area=area or None, today=today
    )
    return render(
        request,
        "launches/calendar.html",
        {"grid": grid, "area": area, "areas": _areas(session), "today": today},
    )


@router.get("/launches/{key}")
def launch_page(
    request: Request, key: str, principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    launch = find_launch(session, key)
    view = launch_read(session, launch, _today(runtime))
    return render(
        request,
        "launches/launch.html",
        {
            "l": view,
            "me": principal.identity.id,
            "people": _people(session),
            "areas": _areas(session),
            "area_id": launch.product_area_id,
            "ga_position": cross_links.ga_gate_position(launch),
            **impact_pages.impact_context(
                runtime,
                principal,
                launch_chain(session, runtime, launch),
                f"/launches/{launch.key}/metrics",
            ),
        },
    )


@router.post("/launches/{key}/metrics")
def link_metric_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    metric: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Link a catalog metric to the launch (kind ``measures``): its impact is estimated."""
    launch = find_launch(session, key)
    link_metric(session, principal.actor, runtime, launch_ref(launch), metric)
    return flash_redirect(
        f"/launches/{launch.key}#impact", f"{launch.key} is measured by {metric}."
    )


@router.post("/launches/{key}/advance")
def advance_form(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    """Pass the gate; passing GA with a linked experiment still running is allowed, and
    the confirmation repeats the warning."""
    launch = gates.advance(session, principal.actor, find_launch(session, key))
    text = f"{launch.key} is now in {launch.stage.name}."  # type: ignore[union-attr]
    if launch.status is LaunchStatus.launched:
        running = cross_links.running_warnings(cross_links.linked_experiments(session, launch))
        if running:
            text += " Note: " + "; ".join(running) + "."
    return flash_redirect(f"/launches/{launch.key}", text)


@router.post("/launches/{key}/experiments")
def link_experiment_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    experiment: Annotated[str, Form(min_length=1, max_length=32)],
) -> Response:
    launch = find_launch(session, key)
    linked = cross_links.link_experiment(session, principal.actor, launch, experiment)
    return flash_redirect(f"/launches/{launch.key}#experiments", f"Linked {linked}.")


@router.post("/launches/{key}/experiments/remove")
def unlink_experiment_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    experiment: Annotated[str, Form(min_length=1, max_length=32)],
) -> Response:
    launch = find_launch(session, key)
    unlinked = cross_links.unlink_experiment(session, principal.actor, launch, experiment)
    return flash_redirect(f"/launches/{launch.key}#experiments", f"Unlinked {unlinked}.")


@router.post("/launches/{key}/edit")
def edit_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    name: Annotated[str, Form(max_length=300)],
    target_date: Annotated[str, Form(max_length=10)],
    owner: Annotated[str, Form(max_length=320)] = "",
    product_area: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Rename, re-plan (a new GA date moves every due date), re-assign the launch."""
    launch = find_launch(session, key)
    values = {
        "name": name,
        "target_date": target_date,
        "owner": owner or None,
        "product_area": product_area or None,
    }
    launching.update_launch(session, principal.actor, launch, values)
    return flash_redirect(f"/launches/{launch.key}", "Launch saved.")


@router.post("/launches/{key}/features")
def feature_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    feature: Annotated[str, Form(max_length=64)],
) -> Response:
    launch = find_launch(session, key)
    item = launching.add_feature(session, principal.actor, launch, feature)
    return flash_redirect(f"/launches/{launch.key}", f"{item.key} attached.")


@router.post("/launches/{key}/items")
def item_add_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    title: Annotated[str, Form(max_length=300)],
    stage: Annotated[str, Form(max_length=100)] = "",
    owner: Annotated[str, Form(max_length=320)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "",
    required: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Add a checklist item to one stage (``checklists.add_item``)."""
    launch = find_launch(session, key)
    values = {"title": title, "stage": stage or None, "owner": owner or None}
    values |= {"due_date": due_date or None, "required": required == "on"}
    item = checklists.add_item(session, principal.actor, launch, values)
    return flash_redirect(f"/launches/{launch.key}", f"Added: {item.title}.")


@router.post("/launches/{key}/items/{item_id}/edit")
def item_edit_form(
    key: str,
    item_id: int,
    principal: EditorWrite,
    session: SessionDep,
    due_date: Annotated[str, Form(max_length=10)],
    owner: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Give one checklist item another owner or due date."""
    launch = find_launch(session, key)
    item = checklists.find_item(launch, item_id)
    values = {"owner": owner or None, "due_date": due_date}
    checklists.update_item(session, principal.actor, launch, item, values)
    return flash_redirect(f"/launches/{launch.key}", f"Saved: {item.title}.")


@router.post("/launches/{key}/gates/{gate_id}/approvers")
def approvers_form(
    key: str,
    gate_id: int,
    principal: EditorWrite,
    session: SessionDep,
    approvers: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Name the gate's approvers (e-mails, separated by commas)."""
    launch = find_launch(session, key)
    gate = gates.find_gate(launch, gate_id)
    gates.set_approvers(session, principal.actor, launch, gate, _split(approvers))
    return flash_redirect(f"/launches/{launch.key}", f"Approvers of {gate.name} saved.")


@router.post("/launches/{key}/cancel")
def cancel_form(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    launch = find_launch(session, key)
    launching.update_launch(session, principal.actor, launch, {"status": "cancelled"})
    return flash_redirect(f"/launches/{launch.key}", f"{launch.key} cancelled.")


@router.post("/launches/{key}/items/{item_id}")
def item_form(
    key: str,
    item_id: int,
    principal: OwnWrite,
    session: SessionDep,
    done: Annotated[bool, Form()],
) -> Response:
    """Tick an item off or re-open it: its owner or an editor (checked by the service)."""
    launch = find_launch(session, key)
    item = checklists.find_item(launch, item_id)
    checklists.set_done(session, principal.actor, launch, item, done)
    text = f"Done: {item.title}." if done else f"Re-opened: {item.title}."
    return flash_redirect(f"/launches/{launch.key}", text)


@router.post("/launches/{key}/gates/{gate_id}")
def gate_form(
    key: str,
    gate_id: int,
    principal: OwnWrite,
    session: SessionDep,
    decision: Annotated[ApprovalDecision, Form()],
    comment: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Approve or reject: only the gate's named approvers (checked by the service)."""
    launch = find_launch(session, key)
    gate = gates.find_gate(launch, gate_id)
    gates.decide(session, principal.actor, launch, gate, decision, comment)
    return flash_redirect(f"/launches/{launch.key}", f"{gate.name}: you {decision.value}.")


@router.get("/launches/{key}/release-notes")
def notes_page(request: Request, key: str, _principal: Viewer, session: SessionDep) -> Response:
    launch = find_launch(session, key)
    return render(
        request,
        "launches/release_notes.html",
        {
            "launch": launch,
            "preview": release_notes.render_markdown(launch.notes_draft),
        },
    )


@router.post("/launches/{key}/release-notes")
def notes_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    markdown: Annotated[str, Form(max_length=100_000)] = "",
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    """One form with three buttons: save the draft, generate it afresh, or save and publish."""
    launch = find_launch(session, key)
    if action == "generate":
        release_notes.save_draft(
            session, principal.actor, launch, release_notes.generate_draft(session, launch)
        )
        return flash_redirect(f"/launches/{key}/release-notes", "Draft generated from features.")
    release_notes.save_draft(session, principal.actor, launch, markdown)
    if action == "publish":
        release_notes.publish(session, principal.actor, launch)
        return flash_redirect("/changelog", f"Release notes of {launch.key} published.")
    return flash_redirect(f"/launches/{key}/release-notes", "Draft saved.")


@router.get("/changelog")
def changelog_page(request: Request, _principal: Viewer, session: SessionDep) -> Response:
    entries = [
        (launch, release_notes.render_markdown(launch.notes_published))
        for launch in release_notes.changelog(session)
    ]
    return render(request, "launches/changelog.html", {"entries": entries})
