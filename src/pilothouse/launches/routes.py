"""HTTP for launches under ``/api/v1/launch-templates`` and ``/api/v1/launches``.

Everyone signed in reads. Editors make templates and launches, move them on and
publish release notes. Deciding on a gate and ticking off one's own checklist item
are the caller's own acts (``OwnWrite``): the service admits only a gate's named
approvers, and for items their owner or an editor.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse

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
from pilothouse.launches.common import find_launch, workspace_today
from pilothouse.launches.models import ApprovalDecision, LaunchStatus
from pilothouse.launches.presenters import launch_brief, launch_read, template_read
from pilothouse.launches.schemas import (
    ApproversUpdate,
    CalendarEntryRead,
    CalendarRead,
    ChangelogEntry,
    ChangelogRead,
    DecisionInput,
    ExperimentLinkInput,
    FeatureInput,
    ItemCreate,
    ItemUpdate,
    LaunchCreate,
    LaunchList,
    LaunchRead,
    LaunchUpdate,
    ReleaseNotesRead,
    ReleaseNotesUpdate,
    TemplateCreate,
    TemplateList,
    TemplateRead,
    TemplateUpdate,
)
from pilothouse.web.deps import EditorWrite, OwnWrite, PageParams, RuntimeDep, SessionDep, Viewer

__all__ = ["api_router", "router", "templates_router"]

templates_router = APIRouter(prefix="/launch-templates", tags=["launches"])
router = APIRouter(prefix="/launches", tags=["launches"])


def _today(runtime: Runtime) -> date:
    return workspace_today(runtime.settings.timezone)


# --- templates -----------------------------------------------------------------------------


@templates_router.get("", response_model=TemplateList, summary="List launch templates")
def list_templates(_principal: Viewer, session: SessionDep) -> TemplateList:
    found = blueprints.list_templates(session)
    return TemplateList(items=[template_read(session, t) for t in found], count=len(found))


@templates_router.post("", response_model=TemplateRead, status_code=201, summary="Create one")
def create_template(
    body: TemplateCreate, principal: EditorWrite, session: SessionDep
) -> TemplateRead:
    template = blueprints.create_template(session, principal.actor, body.model_dump())
    return template_read(session, template)


@templates_router.get("/{template_id}", response_model=TemplateRead, summary="Get a template")
def get_template(template_id: int, _principal: Viewer, session: SessionDep) -> TemplateRead:
    return template_read(session, blueprints.get_template(session, template_id))


@templates_router.patch("/{template_id}", response_model=TemplateRead, summary="Change one")
def update_template(
    template_id: int, body: TemplateUpdate, principal: EditorWrite, session: SessionDep
) -> TemplateRead:
    template = blueprints.get_template(session, template_id)
    blueprints.update_template(
        session, principal.actor, template, body.model_dump(exclude_unset=True)
    )
    return template_read(session, template)


@templates_router.delete("/{template_id}", status_code=204, summary="Delete a template")
def delete_template(template_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    blueprints.delete_template(
        session, principal.actor, blueprints.get_template(session, template_id)
    )
    return Response(status_code=204)


# --- collections (before /{key}, so these names are not taken for keys) ----------------------


@router.get("", response_model=LaunchList, summary="List launches")
def list_launches(
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageParams,
    status: Annotated[list[LaunchStatus] | None, Query(description="Repeatable.")] = None,
    product_area: Annotated[str | None, Query(description="Id, slug or name.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in name or key.")] = None,
) -> LaunchList:
    found = launching.list_launches(
        session, page, status=status, product_area=product_area, search=q
    )
    today = _today(runtime)
    items = [launch_brief(launch, today) for launch in found.items]
    return LaunchList(items=items, count=len(items), next_cursor=found.next_cursor)


@router.post("", response_model=LaunchRead, status_code=201, summary="Create a launch")
def create_launch(
    body: LaunchCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    launch = launching.create_launch(session, principal.actor, body.model_dump())
    return launch_read(session, launch, _today(runtime))


@router.get("/calendar", response_model=CalendarRead, summary="Launch calendar for a month")
def get_calendar(
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    month: Annotated[str | None, Query(description="YYYY-MM; default this month.")] = None,
    area: Annotated[str | None, Query(description="Only this product area.")] = None,
) -> CalendarRead:
    grid = month_calendar(session, parse_month(month, _today(runtime)), product_area=area)
    return CalendarRead(
        month=grid.month.strftime("%Y-%m"),
        previous=grid.previous,
        next=grid.next,
        entries=[CalendarEntryRead.model_validate(e, from_attributes=True) for e in grid.entries],
    )


@router.get("/changelog", response_model=ChangelogRead, summary="Published release notes")
def get_changelog(_principal: Viewer, session: SessionDep) -> ChangelogRead:
    return ChangelogRead(
        items=[
            ChangelogEntry(
                key=launch.key,
                name=launch.name,
                product_area=launch.product_area.name if launch.product_area else None,
                published_at=launch.notes_published_at,  # type: ignore[arg-type]
                markdown=launch.notes_published,
            )
            for launch in release_notes.changelog(session)
        ]
    )


# --- one launch ----------------------------------------------------------------------------


@router.get("/{key}", response_model=LaunchRead, summary="Get a launch")
def get_launch(
    key: str, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    return launch_read(session, find_launch(session, key), _today(runtime))


@router.patch("/{key}", response_model=LaunchRead, summary="Change a launch")
def update_launch(
    key: str, body: LaunchUpdate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    launch = find_launch(session, key)
    values = body.model_dump(exclude_unset=True)
    launching.update_launch(session, principal.actor, launch, values)
    return launch_read(session, launch, _today(runtime))


@router.delete("/{key}", status_code=204, summary="Delete a launch")
def delete_launch(key: str, principal: EditorWrite, session: SessionDep) -> Response:
    launching.delete_launch(session, principal.actor, find_launch(session, key))
    return Response(status_code=204)


@router.post("/{key}/advance", response_model=LaunchRead, summary="Pass the gate to the next stage")
def advance_launch(
    key: str, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    """409 ``gate-refused`` names each open required item and missing approval; the
    refused attempt is recorded in the audit log as ``launch.gate_refused``."""
    launch = gates.advance(session, principal.actor, find_launch(session, key))
    return launch_read(session, launch, _today(runtime))


@router.post(
    "/{key}/features", response_model=LaunchRead, status_code=201, summary="Attach a feature"
)
def add_feature(
    key: str, body: FeatureInput, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    launch = find_launch(session, key)
    launching.add_feature(session, principal.actor, launch, body.feature)
    return launch_read(session, launch, _today(runtime))


@router.delete("/{key}/features/{feature}", status_code=204, summary="Detach a feature")
def remove_feature(key: str, feature: str, principal: EditorWrite, session: SessionDep) -> Response:
    launching.remove_feature(session, principal.actor, find_launch(session, key), feature)
    return Response(status_code=204)


@router.post(
    "/{key}/experiments", response_model=LaunchRead, status_code=201, summary="Link an experiment"
)
def link_experiment(
    key: str,
    body: ExperimentLinkInput,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> LaunchRead:
    """The same core link the experiment's page makes; linking twice changes nothing."""
    launch = find_launch(session, key)
    cross_links.link_experiment(session, principal.actor, launch, body.experiment)
    return launch_read(session, launch, _today(runtime))


@router.delete("/{key}/experiments/{experiment}", status_code=204, summary="Unlink an experiment")
def unlink_experiment(
    key: str, experiment: str, principal: EditorWrite, session: SessionDep
) -> Response:
    cross_links.unlink_experiment(session, principal.actor, find_launch(session, key), experiment)
    return Response(status_code=204)


@router.post("/{key}/items", response_model=LaunchRead, status_code=201, summary="Add an item")
def create_item(
    key: str, body: ItemCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    """Add a checklist item to a stage (default: the current one); editors."""
    launch = find_launch(session, key)
    checklists.add_item(session, principal.actor, launch, body.model_dump())
    return launch_read(session, launch, _today(runtime))


@router.patch("/{key}/items/{item_id}", response_model=LaunchRead, summary="Change an item")
def update_item(
    key: str,
    item_id: int,
    body: ItemUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> LaunchRead:
    launch = find_launch(session, key)
    item = checklists.find_item(launch, item_id)
    checklists.update_item(
        session, principal.actor, launch, item, body.model_dump(exclude_unset=True)
    )
    return launch_read(session, launch, _today(runtime))


def _set_done(key: str, item_id: int, done: bool, principal: OwnWrite, session: SessionDep) -> None:
    launch = find_launch(session, key)
    checklists.set_done(
        session, principal.actor, launch, checklists.find_item(launch, item_id), done
    )


@router.post("/{key}/items/{item_id}/check", response_model=LaunchRead, summary="Tick an item off")
def check_item(
    key: str, item_id: int, principal: OwnWrite, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    """The item's owner or an editor."""
    _set_done(key, item_id, True, principal, session)
    return launch_read(session, find_launch(session, key), _today(runtime))


@router.post("/{key}/items/{item_id}/uncheck", response_model=LaunchRead, summary="Re-open an item")
def uncheck_item(
    key: str, item_id: int, principal: OwnWrite, session: SessionDep, runtime: RuntimeDep
) -> LaunchRead:
    _set_done(key, item_id, False, principal, session)
    return launch_read(session, find_launch(session, key), _today(runtime))


def _decide(
    key: str,
    gate_id: int,
    decision: ApprovalDecision,
    body: DecisionInput | None,
    principal: OwnWrite,
    session: SessionDep,
) -> None:
    launch = find_launch(session, key)
    gate = gates.find_gate(launch, gate_id)
    gates.decide(session, principal.actor, launch, gate, decision, body.comment if body else "")


@router.post("/{key}/gates/{gate_id}/approve", response_model=LaunchRead, summary="Approve a gate")
def approve_gate(
    key: str,
    gate_id: int,
    principal: OwnWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    body: DecisionInput | None = None,
) -> LaunchRead:
    """Only the gate's named approvers, whatever their role."""
    _decide(key, gate_id, ApprovalDecision.approved, body, principal, session)
    return launch_read(session, find_launch(session, key), _today(runtime))


@router.post("/{key}/gates/{gate_id}/reject", response_model=LaunchRead, summary="Reject a gate")
def reject_gate(
    key: str,
    gate_id: int,
    body: DecisionInput,
    principal: OwnWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> LaunchRead:
    """Only the gate's named approvers; a comment saying why is required."""
    _decide(key, gate_id, ApprovalDecision.rejected, body, principal, session)
    return launch_read(session, find_launch(session, key), _today(runtime))


@router.put("/{key}/gates/{gate_id}/approvers", response_model=LaunchRead, summary="Name approvers")
def set_approvers(
    key: str,
    gate_id: int,
    body: ApproversUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> LaunchRead:
    launch = find_launch(session, key)
    gates.set_approvers(
        session, principal.actor, launch, gates.find_gate(launch, gate_id), body.approvers
    )
    return launch_read(session, launch, _today(runtime))


# --- release notes -------------------------------------------------------------------------


def _notes(key: str, session: SessionDep) -> ReleaseNotesRead:
    launch = find_launch(session, key)
    return ReleaseNotesRead(
        key=launch.key,
        draft=launch.notes_draft,
        published=launch.notes_published,
        published_at=launch.notes_published_at,
    )


@router.get("/{key}/release-notes", response_model=ReleaseNotesRead, summary="Draft and published")
def get_release_notes(key: str, _principal: Viewer, session: SessionDep) -> ReleaseNotesRead:
    return _notes(key, session)


@router.put("/{key}/release-notes", response_model=ReleaseNotesRead, summary="Save the draft")
def save_release_notes(
    key: str, body: ReleaseNotesUpdate, principal: EditorWrite, session: SessionDep
) -> ReleaseNotesRead:
    release_notes.save_draft(session, principal.actor, find_launch(session, key), body.markdown)
    return _notes(key, session)


@router.post(
    "/{key}/release-notes/generate", response_model=ReleaseNotesRead, summary="Draft from features"
)
def generate_release_notes(
    key: str, principal: EditorWrite, session: SessionDep
) -> ReleaseNotesRead:
    """Replace the draft with one generated from the features' titles and descriptions."""
    launch = find_launch(session, key)
    release_notes.save_draft(
        session, principal.actor, launch, release_notes.generate_draft(session, launch)
    )
    return _notes(key, session)


@router.post(
    "/{key}/release-notes/publish", response_model=ReleaseNotesRead, summary="Publish the draft"
)
def publish_release_notes(
    key: str, principal: EditorWrite, session: SessionDep
) -> ReleaseNotesRead:
    release_notes.publish(session, principal.actor, find_launch(session, key))
    return _notes(key, session)


@router.get(
    "/{key}/release-notes.md",
    response_class=PlainTextResponse,
    summary="Published release notes as Markdown",
    responses={200: {"content": {"text/markdown": {}}}},
)
def release_notes_markdown(key: str, _principal: Viewer, session: SessionDep) -> Response:
    text = release_notes.published_markdown(find_launch(session, key))
    return Response(text, media_type="text/markdown; charset=utf-8")


#: Both routers, for the one line in ``web/api/__init__.py``.
api_router = APIRouter()
api_router.include_router(templates_router)
api_router.include_router(router)
