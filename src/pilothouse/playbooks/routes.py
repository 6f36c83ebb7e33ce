"""HTTP for playbooks (``/api/v1/playbooks``) and onboarding (``/api/v1/onboarding``):
everyone reads and searches; editors write playbooks and checklists; a person ticks
their own steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from pilothouse.playbooks import onboarding, service
from pilothouse.playbooks.presenters import assignment_read, playbook_read, template_read
from pilothouse.playbooks.schemas import (
    AssignmentCreate,
    AssignmentList,
    AssignmentRead,
    LinkCreate,
    MarkdownApply,
    OnboardingTemplateCreate,
    OnboardingTemplateList,
    OnboardingTemplateRead,
    OnboardingTemplateUpdate,
    PlaybookCreate,
    PlaybookDiff,
    PlaybookList,
    PlaybookRead,
    PlaybookUpdate,
    ReviewRequest,
    RevisionList,
    RevisionRead,
    SearchHitRead,
    SearchResult,
    StepDone,
)
from pilothouse.playbooks.search import search_playbooks
from pilothouse.web.deps import EditorWrite, OwnWrite, RuntimeDep, SessionDep, Viewer

__all__ = ["onboarding_router", "router"]

router = APIRouter(prefix="/playbooks", tags=["playbooks"])
onboarding_router = APIRouter(prefix="/onboarding", tags=["onboarding"])


def _days(runtime: RuntimeDep) -> int:
    return runtime.settings.playbooks_stale_after_days


@router.get("", response_model=PlaybookList, summary="Every playbook, by title")
def list_playbooks(
    _principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    stale: Annotated[bool | None, Query(description="Only stale (or only fresh) ones.")] = None,
) -> PlaybookList:
    items = [playbook_read(session, p, _days(runtime)) for p in service.list_playbooks(session)]
    if stale is not None:
        items = [p for p in items if p.stale == stale]
    return PlaybookList(items=items, count=len(items))


@router.get("/search", response_model=SearchResult, summary="Full-text search, best first")
def search(
    _principal: Viewer,
    session: SessionDep,
    q: Annotated[str, Query(max_length=500, description="Words that must all appear.")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SearchResult:
    hits = search_playbooks(session, q, limit=limit)
    return SearchResult(
        q=q,
        items=[
            SearchHitRead(
                slug=h.playbook.slug,
                title=h.playbook.title,
                score=round(h.score, 6),
                url=f"/playbooks/{h.playbook.slug}",
            )
            for h in hits
        ],
    )


@router.post("", response_model=PlaybookRead, status_code=201, summary="Write a playbook")
def create_playbook(
    body: PlaybookCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> PlaybookRead:
    values = body.model_dump(exclude_unset=True, exclude={"links"})
    playbook = service.create_playbook(session, principal.actor, values, links=body.links)
    return playbook_read(session, playbook, _days(runtime))


@router.post(
    "/markdown", response_model=PlaybookRead, summary="Create or update from a Markdown file"
)
def apply_markdown(
    body: MarkdownApply, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> PlaybookRead:
    playbook = service.apply_markdown(session, principal.actor, body.text, body.path)
    return playbook_read(session, playbook, _days(runtime))


@router.get("/{slug}", response_model=PlaybookRead, summary="One playbook")
def get_playbook(
    slug: str, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> PlaybookRead:
    return playbook_read(session, service.find_playbook(session, slug), _days(runtime))


@router.get("/{slug}/markdown", summary="The playbook as a Markdown file with front matter")
def get_markdown(slug: str, _principal: Viewer, session: SessionDep) -> Response:
    text = service.to_markdown(service.find_playbook(session, slug))
    return Response(text, media_type="text/markdown; charset=utf-8")


@router.patch("/{slug}", response_model=PlaybookRead, summary="Edit; the old version is kept")
def update_playbook(
    slug: str,
    body: PlaybookUpdate,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PlaybookRead:
    playbook = service.find_playbook(session, slug)
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    service.update_playbook(
        session, principal.actor, playbook, values, expected_version=body.version
    )
    return playbook_read(session, playbook, _days(runtime))


@router.post("/{slug}/review", response_model=PlaybookRead, summary="Record a review")
def review_playbook(
    slug: str,
    body: ReviewRequest,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PlaybookRead:
    playbook = service.find_playbook(session, slug)
    service.mark_reviewed(session, principal.actor, playbook, body.reviewed_on)
    return playbook_read(session, playbook, _days(runtime))


@router.post(
    "/{slug}/links", response_model=PlaybookRead, status_code=201, summary="Link a template"
)
def link_playbook(
    slug: str, body: LinkCreate, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> PlaybookRead:
    playbook = service.find_playbook(session, slug)
    service.link_playbook(session, principal.actor, playbook, body.target)
    return playbook_read(session, playbook, _days(runtime))


@router.delete("/{slug}/links/{link_id}", status_code=204, summary="Remove a link")
def unlink_playbook(
    slug: str, link_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    playbook = service.find_playbook(session, slug)
    service.unlink_playbook(session, principal.actor, playbook, link_id)
    return Response(status_code=204)


@router.get("/{slug}/history", response_model=RevisionList, summary="Every version, newest first")
def list_history(slug: str, _principal: Viewer, session: SessionDep) -> RevisionList:
    playbook = service.find_playbook(session, slug)
    revisions = service.list_revisions(session, playbook)
    items = [RevisionRead.model_validate(r) for r in revisions]
    return RevisionList(slug=playbook.slug, items=items)


@router.get("/{slug}/diff", response_model=PlaybookDiff, summary="Diff between two versions")
def diff_versions(
    slug: str,
    _principal: Viewer,
    session: SessionDep,
    old: Annotated[int, Query(ge=1)],
    new: Annotated[int, Query(ge=1)],
) -> PlaybookDiff:
    playbook = service.find_playbook(session, slug)
    lines = service.diff_versions(session, playbook, old, new)
    return PlaybookDiff(slug=playbook.slug, old=old, new=new, lines=lines)


@onboarding_router.get(
    "/templates", response_model=OnboardingTemplateList, summary="Checklists per role"
)
def list_templates(_principal: Viewer, session: SessionDep) -> OnboardingTemplateList:
    templates = onboarding.list_templates(session)
    return OnboardingTemplateList(items=[template_read(session, t) for t in templates])


@onboarding_router.post(
    "/templates",
    response_model=OnboardingTemplateRead,
    status_code=201,
    summary="Create a role's checklist",
)
def create_template(
    body: OnboardingTemplateCreate, principal: EditorWrite, session: SessionDep
) -> OnboardingTemplateRead:
    steps = [s.model_dump() for s in body.steps]
    template = onboarding.create_template(
        session, principal.actor, body.role, body.title, steps, body.description
    )
    return template_read(session, template)


@onboarding_router.get(
    "/templates/{role}", response_model=OnboardingTemplateRead, summary="One role's checklist"
)
def get_template(role: str, _principal: Viewer, session: SessionDep) -> OnboardingTemplateRead:
    return template_read(session, onboarding.find_template(session, role))


@onboarding_router.patch(
    "/templates/{role}", response_model=OnboardingTemplateRead, summary="Change a checklist"
)
def update_template(
    role: str, body: OnboardingTemplateUpdate, principal: EditorWrite, session: SessionDep
) -> OnboardingTemplateRead:
    template = onboarding.find_template(session, role)
    values = body.model_dump(exclude_none=True)
    onboarding.update_template(session, principal.actor, template, values)
    return template_read(session, template)


@onboarding_router.post(
    "/assignments", response_model=AssignmentRead, status_code=201, summary="Assign a checklist"
)
def create_assignment(
    body: AssignmentCreate, principal: EditorWrite, session: SessionDep
) -> AssignmentRead:
    template = onboarding.find_template(session, body.role)
    assignment = onboarding.assign(
        session, principal.actor, template, body.person, body.manager, body.started_on
    )
    return assignment_read(assignment)


@onboarding_router.get("/mine", response_model=AssignmentList, summary="My checklists")
def my_assignments(principal: Viewer, session: SessionDep) -> AssignmentList:
    items = onboarding.assignments_of(session, principal.user.id)
    return AssignmentList(items=[assignment_read(a) for a in items])


@onboarding_router.get("/reports", response_model=AssignmentList, summary="My reports' progress")
def report_assignments(principal: Viewer, session: SessionDep) -> AssignmentList:
    items = onboarding.reports_of(session, principal.user.id)
    return AssignmentList(items=[assignment_read(a) for a in items])


@onboarding_router.get(
    "/assignments/{assignment_id}", response_model=AssignmentRead, summary="One checklist"
)
def get_assignment(assignment_id: int, _principal: Viewer, session: SessionDep) -> AssignmentRead:
    return assignment_read(onboarding.find_assignment(session, assignment_id))


@onboarding_router.put(
    "/assignments/{assignment_id}/steps/{step_id}",
    response_model=AssignmentRead,
    summary="Tick or untick a step",
)
def set_step(
    assignment_id: int, step_id: int, body: StepDone, principal: OwnWrite, session: SessionDep
) -> AssignmentRead:
    assignment = onboarding.find_assignment(session, assignment_id)
    onboarding.set_step_done(session, principal.actor, assignment, step_id, body.done)
    return assignment_read(assignment)
