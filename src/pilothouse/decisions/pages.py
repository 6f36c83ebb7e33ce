"""Decision pages: the searchable log, one decision with its history, and the forms.

Forms post to these routes and redirect (POST/redirect/GET); a refused post goes
back to the form with the reason as a flash message (see ``web.problems``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.orm import Session

from pilothouse.core import areas, users
from pilothouse.core.pagination import PageRequest
from pilothouse.decisions import history, linking, service
from pilothouse.decisions.models import Decision, DecisionStatus
from pilothouse.decisions.search import DecisionFilter, list_decisions
from pilothouse.decisions.targets import TARGET_TYPES, Target, canonical_ref, describe, parse_ref
from pilothouse.web.deps import EditorWrite, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["markdown", "router"]

router = APIRouter(prefix="/decisions", include_in_schema=False)
PAGE_SIZE = 50
CHOICES_LIMIT = 500
#: CommonMark without raw HTML: what people type is shown, never executed.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})

Text = Annotated[str, Form(max_length=20_000)]
Short = Annotated[str, Form(max_length=300)]
Many = Annotated[list[str], Form()]


def markdown(text: str) -> Markup:
    """Markdown to safe HTML (raw HTML is escaped; unsafe link schemes are dropped)."""
    return Markup(_MARKDOWN.render(text or ""))  # noqa: S704 - html is off, so output is safe


def _choices(session: Session) -> dict[str, Any]:
    people = users.list_users(session, PageRequest(limit=CHOICES_LIMIT), active=True).items
    return {
        "people": sorted(people, key=lambda u: u.name.lower()),
        "areas": areas.list_areas(session, PageRequest(limit=CHOICES_LIMIT)).items,
        "statuses": list(DecisionStatus),
        "target_types": TARGET_TYPES,
    }


def _options(names: list[str], pros: list[str], cons: list[str]) -> list[dict[str, str]]:
    """Option rows from the form; rows left entirely blank are dropped."""
    rows = []
    for index, name in enumerate(names):
        pro = pros[index] if index < len(pros) else ""
        con = cons[index] if index < len(cons) else ""
        if name.strip() or pro.strip() or con.strip():
            rows.append({"name": name, "pros": pro, "cons": con})
    return rows


def _form_values(
    title: str,
    context: str,
    rationale: str,
    chosen_option: str,
    decided_by: str,
    consulted: str,
    decided_on: str,
    product_area: str,
    tags: str,
    options: list[dict[str, str]],
) -> dict[str, Any]:
    return {
        "title": title,
        "context": context,
        "rationale": rationale,
        "chosen_option": chosen_option,
        "decided_by": decided_by,
        "consulted": consulted,
        "decided_on": decided_on,
        "product_area": product_area,
        "tags": tags,
        "options": options,
    }


@router.get("")
def list_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    q: str = "",
    status: str = "",
    area: str = "",
    tag: str = "",
    cursor: str | None = None,
) -> Response:
    chosen = DecisionStatus(status) if status in DecisionStatus.__members__ else None
    where = DecisionFilter(q=q or None, status=chosen, product_area=area or None, tag=tag or None)
    page = list_decisions(session, where, PageRequest(limit=PAGE_SIZE, cursor=cursor))
    return render(
        request,
        "decisions/list.html",
        {
            "decisions": page.items,
            "next_cursor": page.next_cursor,
            "q": q,
            "status": status,
            "area": area,
            "tag": tag,
            **_choices(session),
        },
    )


MAX_PREFILLED_LINKS = 10


def _prefilled(session: Session, refs: list[str]) -> list[Target]:
    """What ``/decisions/new?link=experiment:7`` is about, checked and labelled, so a
    "Record a decision" link on another page starts the decision linked to its object."""
    found = []
    for text in dict.fromkeys(refs[:MAX_PREFILLED_LINKS]):
        ref = canonical_ref(session, parse_ref(text, "link"), "link")
        found.append(describe(session, ref))
    return found


@router.get("/new")
def new_page(
    request: Request,
    _principal: EditorWrite,
    session: SessionDep,
    link: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """The blank form; each ``link=TYPE:ID`` (say ``experiment:7``) is linked on save."""
    about = _prefilled(session, link)
    return render(request, "decisions/form.html", {"d": None, "about": about, **_choices(session)})


@router.post("")
def create_from_form(
    principal: EditorWrite,
    session: SessionDep,
    title: Short,
    context: Text = "",
    rationale: Text = "",
    status: Annotated[str, Form(max_length=16)] = "proposed",
    chosen_option: Short = "",
    decided_by: Short = "",
    consulted: Text = "",
    decided_on: Annotated[str, Form(max_length=32)] = "",
    product_area: Short = "",
    tags: Text = "",
    option_name: Many = [],  # noqa: B006 - FastAPI copies defaults per request
    option_pros: Many = [],  # noqa: B006
    option_cons: Many = [],  # noqa: B006
    link: Many = [],  # noqa: B006 - TYPE:ID of what it is about (prefilled by /new?link=)
) -> Response:
    values = _form_values(
        title,
        context,
        rationale,
        chosen_option,
        decided_by,
        consulted,
        decided_on,
        product_area,
        tags,
        _options(option_name, option_pros, option_cons),
    )
    values["status"] = status
    decision = service.create_decision(session, principal.actor, values, links=link)
    return flash_redirect(f"/decisions/{decision.key}", f"Recorded {decision.key}.")


def _change_rows(changes: dict[str, Any]) -> list[tuple[str, str, str]]:
    def show(value: Any) -> str:
        if value in (None, "", []):
            return "—"
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            return "; ".join(str(v.get("name", "")) for v in value)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value if isinstance(value, str) else json.dumps(value)

    return [(field, show(c.get("before")), show(c.get("after"))) for field, c in changes.items()]


@router.get("/{key}")
def decision_page(request: Request, key: str, _principal: Viewer, session: SessionDep) -> Response:
    decision = service.find_decision(session, key)
    superseded_by = (
        session.get(Decision, decision.superseded_by_id) if decision.superseded_by_id else None
    )
    revisions = [
        (revision, _change_rows(revision.changes) if revision.version > 1 else [])
        for revision in history.list_revisions(session, decision)
    ]
    return render(
        request,
        "decisions/decision.html",
        {
            "d": decision,
            "context_html": markdown(decision.context),
            "rationale_html": markdown(decision.rationale),
            "superseded_by": superseded_by,
            "supersedes": history.supersedes_of(session, decision),
            "links": linking.decision_links(session, decision),
            "revisions": revisions,
            "target_types": TARGET_TYPES,
            "today": date.today().isoformat(),
        },
    )


@router.get("/{key}/edit")
def edit_page(request: Request, key: str, _principal: EditorWrite, session: SessionDep) -> Response:
    decision = service.find_decision(session, key)
    return render(request, "decisions/form.html", {"d": decision, **_choices(session)})


@router.post("/{key}/edit")
def edit_from_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    title: Short,
    version: Annotated[int, Form()],
    context: Text = "",
    rationale: Text = "",
    chosen_option: Short = "",
    decided_by: Short = "",
    consulted: Text = "",
    decided_on: Annotated[str, Form(max_length=32)] = "",
    product_area: Short = "",
    tags: Text = "",
    option_name: Many = [],  # noqa: B006
    option_pros: Many = [],  # noqa: B006
    option_cons: Many = [],  # noqa: B006
) -> Response:
    decision = service.find_decision(session, key)
    values = _form_values(
        title,
        context,
        rationale,
        chosen_option,
        decided_by,
        consulted,
        decided_on,
        product_area,
        tags,
        _options(option_name, option_pros, option_cons),
    )
    before = decision.version
    service.update_decision(session, principal.actor, decision, values, expected_version=version)
    note = "Saved." if decision.version != before else "Nothing changed."
    return flash_redirect(f"/decisions/{decision.key}", note)


@router.post("/{key}/decide")
def decide_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    chosen_option: Short,
    rationale: Text = "",
    decided_on: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    decision = service.find_decision(session, key)
    values: dict[str, Any] = {"chosen_option": chosen_option}
    if rationale.strip():
        values["rationale"] = rationale
    if decided_on:
        values["decided_on"] = decided_on
    service.decide(session, principal.actor, decision, values)
    return flash_redirect(f"/decisions/{decision.key}", f"{decision.key} is decided.")


@router.post("/{key}/supersede")
def supersede_form(
    key: str, principal: EditorWrite, session: SessionDep, by: Annotated[str, Form(max_length=32)]
) -> Response:
    old = service.find_decision(session, key)
    new = service.find_decision(session, by)
    service.supersede(session, principal.actor, old, new)
    return flash_redirect(f"/decisions/{old.key}", f"{old.key} is superseded by {new.key}.")


@router.post("/{key}/links")
def link_form(
    key: str,
    principal: EditorWrite,
    session: SessionDep,
    to_type: Annotated[str, Form(max_length=64)],
    to_id: Annotated[str, Form(max_length=64)],
) -> Response:
    decision = service.find_decision(session, key)
    linking.link_decision(session, principal.actor, decision, to_type, to_id)
    return flash_redirect(f"/decisions/{decision.key}", "Linked.")


@router.post("/{key}/links/{link_id}/delete")
def unlink_form(key: str, link_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    decision = service.find_decision(session, key)
    linking.unlink_decision(session, principal.actor, decision, link_id)
    return flash_redirect(f"/decisions/{decision.key}", "Link removed.")
