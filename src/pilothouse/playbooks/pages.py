"""Playbook and onboarding pages: the list (with stale ones and search), one playbook,
its history with diffs, the edit form, and ``/onboarding`` (my checklist, my reports).

Forms post and redirect (POST/redirect/GET); a refused post re-renders the form with
the typed values and the reasons (``web.forms``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.orm import Session

from pilothouse.core import users
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.core.references import resolve
from pilothouse.playbooks import onboarding, service
from pilothouse.playbooks.common import TEMPLATE_TYPES
from pilothouse.playbooks.search import search_playbooks
from pilothouse.playbooks.template_pages import assign_context, assignment_router
from pilothouse.playbooks.template_pages import router as template_router
from pilothouse.web.deps import EditorWrite, OwnWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["onboarding_pages", "render_markdown", "router"]

router = APIRouter(prefix="/playbooks", include_in_schema=False)
onboarding_pages = APIRouter(prefix="/onboarding", include_in_schema=False)
#: First, so ``/onboarding/templates`` is not taken for a checklist id.
onboarding_pages.include_router(template_router)
onboarding_pages.include_router(assignment_router)
Body = Annotated[str, Form(max_length=200_000)]
#: CommonMark plus tables (playbooks are full of them), raw HTML off so what people type is
#: shown and never run; markdown-it's own link check drops ``javascript:`` and ``data:``
#: links; images are off, as the page loads nothing from elsewhere.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


def render_markdown(text: str) -> Markup:
    """A playbook's Markdown as HTML that is safe to put on a page."""
    return Markup(_MARKDOWN.render(text or ""))  # noqa: S704 - html is off, so output is safe


Short = Annotated[str, Form(max_length=300)]


def _people(session: Session) -> list[Any]:
    people = users.list_users(session, PageRequest(limit=500), active=True).items
    return sorted(people, key=lambda u: u.name.lower())


@router.get("")
def list_page(
    request: Request, _principal: Viewer, session: SessionDep, runtime: RuntimeDep, q: str = ""
) -> Response:
    days = runtime.settings.playbooks_stale_after_days
    playbooks = service.list_playbooks(session)
    hits = search_playbooks(session, q) if q.strip() else None
    return render(
        request,
        "playbooks/list.html",
        {
            "playbooks": playbooks,
            "stale_ids": {p.id for p in playbooks if service.is_stale(p, days)},
            "stale": service.stale_playbooks(session, days),
            "stale_days": days,
            "q": q,
            "hits": hits,
        },
    )


@router.get("/new")
def new_page(request: Request, _principal: EditorWrite, session: SessionDep) -> Response:
    return render(request, "playbooks/form.html", {"p": None, "people": _people(session)})


@router.post("")
def create_from_form(
    principal: EditorWrite,
    session: SessionDep,
    title: Short,
    body: Body = "",
    slug: Annotated[str, Form(max_length=80)] = "",
    owner: Short = "",
    reviewed_on: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    values = {"title": title, "body": body, "owner": owner, "reviewed_on": reviewed_on}
    if slug.strip():
        values["slug"] = slug
    playbook = service.create_playbook(session, principal.actor, values)
    return flash_redirect(f"/playbooks/{playbook.slug}", f"Created {playbook.title}.")


@router.get("/{slug}")
def playbook_page(
    request: Request, slug: str, _principal: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    playbook = service.find_playbook(session, slug)
    pairs = service.linked_refs(session, playbook)
    named = resolve(session, [ref for _, ref in pairs])
    return render(
        request,
        "playbooks/playbook.html",
        {
            "p": playbook,
            "body_html": render_markdown(playbook.body),
            "stale": service.is_stale(playbook, runtime.settings.playbooks_stale_after_days),
            "stale_days": runtime.settings.playbooks_stale_after_days,
            "links": [(link_id, named[ref]) for link_id, ref in pairs],
            "template_types": TEMPLATE_TYPES,
        },
    )


@router.get("/{slug}/history")
def history_page(
    request: Request,
    slug: str,
    _principal: Viewer,
    session: SessionDep,
    old: int | None = None,
    new: int | None = None,
) -> Response:
    playbook = service.find_playbook(session, slug)
    revisions = service.list_revisions(session, playbook)
    new = new or playbook.version
    old = old or max(new - 1, 1)
    diff = service.diff_versions(session, playbook, old, new) if revisions else []
    return render(
        request,
        "playbooks/history.html",
        {"p": playbook, "revisions": revisions, "old": old, "new": new, "diff": diff},
    )


@router.get("/{slug}/edit")
def edit_page(
    request: Request, slug: str, _principal: EditorWrite, session: SessionDep
) -> Response:
    playbook = service.find_playbook(session, slug)
    return render(request, "playbooks/form.html", {"p": playbook, "people": _people(session)})


@router.post("/{slug}/edit")
def edit_from_form(
    slug: str,
    principal: EditorWrite,
    session: SessionDep,
    title: Short,
    version: Annotated[int, Form()],
    body: Body = "",
    owner: Short = "",
    reviewed_on: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    playbook = service.find_playbook(session, slug)
    values = {"title": title, "body": body, "owner": owner, "reviewed_on": reviewed_on}
    before = playbook.version
    service.update_playbook(session, principal.actor, playbook, values, expected_version=version)
    note = (
        "Saved; the previous version is in the history."
        if playbook.version != before
        else ("Nothing changed.")
    )
    return flash_redirect(f"/playbooks/{playbook.slug}", note)


@router.post("/{slug}/review")
def review_form(slug: str, principal: EditorWrite, session: SessionDep) -> Response:
    playbook = service.find_playbook(session, slug)
    service.mark_reviewed(session, principal.actor, playbook)
    return flash_redirect(f"/playbooks/{playbook.slug}", "Marked as reviewed today.")


@router.post("/{slug}/links")
def link_form(
    slug: str,
    principal: EditorWrite,
    session: SessionDep,
    target: Annotated[str, Form(max_length=140)],
) -> Response:
    playbook = service.find_playbook(session, slug)
    service.link_playbook(session, principal.actor, playbook, target)
    return flash_redirect(f"/playbooks/{playbook.slug}", "Linked.")


@router.post("/{slug}/links/{link_id}/delete")
def unlink_form(slug: str, link_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    playbook = service.find_playbook(session, slug)
    service.unlink_playbook(session, principal.actor, playbook, link_id)
    return flash_redirect(f"/playbooks/{playbook.slug}", "Link removed.")


def _checklist(session: Session, assignment: Any) -> dict[str, Any]:
    steps = assignment.template.steps
    refs = [s for s in steps if s.link_type and s.link_id]

    named = resolve(session, [ObjectRef(s.link_type, s.link_id) for s in refs])
    done = {r.step_id for r in assignment.done_rows}
    return {
        "a": assignment,
        "progress": onboarding.progress(assignment),
        "steps": [
            (s, s.id in done, named.get(ObjectRef(s.link_type, s.link_id)) if s.link_type else None)
            for s in steps
        ],
    }


@onboarding_pages.get("")
def onboarding_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    mine = onboarding.assignments_of(session, principal.user.id)
    reports = onboarding.reports_of(session, principal.user.id)
    editor = principal.user.role.allows(Role.editor)
    everyone = onboarding.all_assignments(session) if editor else []
    context = {
        "mine": [_checklist(session, a) for a in mine],
        "reports": [(a, onboarding.progress(a)) for a in reports],
        "everyone": [(a, onboarding.progress(a)) for a in everyone],
    }
    if editor:  # Product Ops assigns checklists from here too
        context |= assign_context(session)
    return render(request, "playbooks/onboarding.html", context)


@onboarding_pages.get("/{assignment_id}")
def assignment_page(
    request: Request, assignment_id: int, _principal: Viewer, session: SessionDep
) -> Response:
    assignment = onboarding.find_assignment(session, assignment_id)
    return render(request, "playbooks/assignment.html", _checklist(session, assignment))


@onboarding_pages.post("/{assignment_id}/steps/{step_id}")
def tick_form(
    assignment_id: int,
    step_id: int,
    principal: OwnWrite,
    session: SessionDep,
    done: Annotated[str, Form(max_length=8)] = "1",
) -> Response:
    assignment = onboarding.find_assignment(session, assignment_id)
    onboarding.set_step_done(session, principal.actor, assignment, step_id, done == "1")
    back = (
        "/onboarding"
        if assignment.person_id == principal.user.id
        else (f"/onboarding/{assignment.id}")
    )
    return flash_redirect(back, "Step done." if done == "1" else "Step reopened.")
