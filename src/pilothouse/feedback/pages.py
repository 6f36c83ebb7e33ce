"""Feedback pages: the inbox, themes and their insights, one theme, the VoC report form.

The per-item triage page and the import page live in :mod:`triage_pages` and are
included here, so the app registers one feedback router. Every action is a plain
form post answered with a redirect and a flash message; the themes service does
the work (and the audit), these handlers only translate forms.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pilothouse.accounts import service as accounts_service
from pilothouse.core import areas
from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.links import add_link, remove_link
from pilothouse.core.models import Link
from pilothouse.core.pagination import PageRequest
from pilothouse.feedback import inbox_order, insights, insights_queries, reports, service, themes
from pilothouse.feedback.models import FeedbackItem, FeedbackStatus, SourceKind
from pilothouse.feedback.report_routes import report_response
from pilothouse.feedback.routes import Filters
from pilothouse.feedback.synthesis import ModelUnavailableError
from pilothouse.feedback.synthesis_service import assign_new_item, embed_ahead
from pilothouse.feedback.triage_pages import router as triage_router
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/feedback", include_in_schema=False)
FORM_KINDS = [
    SourceKind.support_ticket,
    SourceKind.sales_note,
    SourceKind.cs_note,
    SourceKind.interview,
    SourceKind.email,
    SourceKind.in_app,
    SourceKind.internal,
]
FILTER_NAMES = ("source", "source_kind", "segment", "plan", "product_area", "start", "end")
SYNTHESIS_JOB = "feedback.synthesize"


@router.get("")
def inbox_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    where: Filters,
    cursor: str | None = None,
) -> Response:
    page = inbox_order.list_inbox(session, where, limit=50, cursor=cursor)
    context = {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "where": where,
        "statuses": list(FeedbackStatus),
        "kinds": list(SourceKind),
        "form_kinds": FORM_KINDS,
        "areas": areas.list_areas(session, PageRequest(limit=200)).items,
        "query": request.url.query,
        "more_query": urlencode(
            [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
            + [("cursor", page.next_cursor or "")]
        ),
    }
    template = "feedback/_rows.html" if request.headers.get("hx-request") else "feedback/inbox.html"
    return render(request, template, context)


@router.get("/account-suggestions")
def account_suggestions(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    account: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The ``<option>`` rows of the inbox's account suggestions for what was typed so far
    (htmx fills the ``<datalist>`` as someone types in an account field)."""
    rows = accounts_service.account_suggestions(session, account)
    return render(request, "feedback/_account_options.html", {"accounts": rows})


@router.post("")
def log_feedback_form(
    principal: EditorWrite,
    session: SessionDep,
    text: Annotated[str, Form(max_length=20_000)],
    customer_email: Annotated[str, Form(max_length=320)] = "",
    account: Annotated[str, Form(max_length=200)] = "",
    source_kind: Annotated[str, Form(max_length=32)] = SourceKind.internal.value,
    product_area: Annotated[str, Form(max_length=200)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    embed_ahead([(None, text)])  # before the first statement takes the write lock
    item = service.create_feedback(
        session,
        principal.actor,
        {
            "text": text,
            "author_email": customer_email,
            "account": account,
            "source_kind": source_kind,
            "source_name": "web form",
            "product_area": product_area,
            "tags": tags,
        },
    )
    theme_id = assign_new_item(session, item.id)  # into the nearest theme, once themes exist
    suffix = "" if theme_id is None else f" It joins theme #{theme_id}."
    return flash_redirect("/feedback", f"Logged feedback #{item.id}.{suffix}")


router.include_router(triage_router)


# --- themes and insights -------------------------------------------------------------------


def _filter_context(session: Session, request: Request) -> dict[str, Any]:
    segments, plans = insights_queries.segment_and_plan_choices(session)
    return {
        "params": {n: request.query_params.get(n, "") for n in FILTER_NAMES},
        "kinds": list(SourceKind),
        "areas": areas.list_areas(session, PageRequest(limit=200)).items,
        "segments": segments,
        "plans": plans,
    }


def _proposal_text(proposal: themes.ProposalSummary, labels: dict[int, str]) -> str:
    """One line a person can decide on: which themes, into what, how many items."""
    payload = proposal.payload or {}
    ids = [int(t) for t in payload.get("themes", []) if str(t).isdigit()]
    given = list(payload.get("theme_labels") or [])
    names = [
        f"“{labels.get(t) or (given[n] if n < len(given) else f'#{t}')}”" for n, t in enumerate(ids)
    ]
    sizes = [len(g) for g in payload.get("groups") or []]
    total = f"{sum(sizes)} item{'' if sum(sizes) == 1 else 's'}"
    new_labels = [f"“{label}”" for label in payload.get("labels") or [] if label]
    if proposal.kind == "merge":
        into = f" into {new_labels[0]}" if new_labels else ""
        return f"Merge {' and '.join(names)}{into} ({total})"
    if proposal.kind == "split":
        named = new_labels or ["a new theme"] * len(sizes)
        parts = ", ".join(f"{lbl} ({n})" for lbl, n in zip(named, sizes, strict=False))
        return f"Split {', '.join(names)} into {parts}"
    label = new_labels[0] if new_labels else "(unnamed)"
    return f"New theme {label} with {total}"


THEMES_PER_PAGE = 25


def _page_of(ranked: list[Any], page: int) -> dict[str, Any]:
    """Page ``page`` (1-based) of the ranked themes; a page past the end shows the last."""
    pages = max(1, -(-len(ranked) // THEMES_PER_PAGE))
    page = min(page, pages)
    start = (page - 1) * THEMES_PER_PAGE
    return {
        "themes": ranked[start : start + THEMES_PER_PAGE],
        "page": page,
        "pages": pages,
        "total": len(ranked),
        "first_rank": start + 1,
    }


@router.get("/themes")
def themes_page(
    request: Request,
    principal: Viewer,
    session: SessionDep,
    sort: Annotated[str, Query(pattern="^(volume|customers|arr|trend)$")] = "volume",
    hidden: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The ranked themes, a page at a time (sort, filters and hidden kept across pages)."""
    where = insights_queries.filter_from_params(dict(request.query_params))
    ranked = insights_queries.theme_insights(session, where, include_hidden=hidden, sort=sort)
    summaries = {t.id: t for t in themes.list_themes(session, include_hidden=True)}
    labels = {i: t.label for i, t in summaries.items()}
    proposals = themes.list_proposals(session)
    context = {
        **_page_of(list(ranked), page),
        "summaries": summaries,
        "sort": sort,
        "show_hidden": hidden,
        "proposals": [(p, _proposal_text(p, labels)) for p in proposals],
        "can_edit": principal.identity.role.value in ("editor", "admin"),
        "filter_query": urlencode(
            [(n, request.query_params[n]) for n in FILTER_NAMES if request.query_params.get(n)]
        ),
        **_filter_context(session, request),
    }
    return render(request, "feedback/themes.html", context)


@router.post("/themes/synthesize")
def synthesize_form(
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    full: Annotated[bool, Form()] = False,
) -> Response:
    from pilothouse.core.jobs import submit_job

    job = submit_job(
        runtime,
        principal.actor,
        SYNTHESIS_JOB,
        payload={"full": full},
        title="Synthesise feedback" + (" (full rebuild)" if full else ""),
        session=session,  # SQLite: one writer; the request's session records the job
    )
    return flash_redirect(f"/jobs/{job.id}", f"Synthesis started (job {job.id}).")


@router.post("/proposals/{proposal_id}/accept")
def accept_proposal_form(proposal_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    themes.accept_proposal(session, principal.actor, proposal_id)
    return flash_redirect("/feedback/themes", "Proposal accepted.")


@router.post("/proposals/{proposal_id}/reject")
def reject_proposal_form(proposal_id: int, principal: EditorWrite, session: SessionDep) -> Response:
    themes.reject_proposal(session, principal.actor, proposal_id)
    return flash_redirect("/feedback/themes", "Proposal rejected.")


def _volume_chart(stats: insights.ThemeStats) -> str:
    return json.dumps(
        {
            "type": "bar",
            "data": {
                "labels": [w.isoformat() for w in stats.weeks],
                "datasets": [{"label": "items per week", "data": stats.weekly}],
            },
            "options": {
                "responsive": True,
                "maintainAspectRatio": False,
                "plugins": {"legend": {"display": False}},
                "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
            },
        }
    )


def _theme_items(session: Session, theme_id: int, limit: int = 200) -> list[FeedbackItem]:
    ids = sorted(themes.theme_item_ids(session, theme_id), reverse=True)[:limit]
    return insights_queries.items_by_ids(session, ids)


@router.get("/themes/{theme_id}")
def theme_page(request: Request, theme_id: int, principal: Viewer, session: SessionDep) -> Response:
    detail = themes.get_theme(session, theme_id)
    stats, _facts = insights_queries.theme_volume(session, theme_id)
    context = {
        "theme": detail,
        "stats": stats,
        "chart": _volume_chart(stats),
        "items": _theme_items(session, theme_id),
        "item_total": len(themes.theme_item_ids(session, theme_id)),
        "others": [t for t in themes.list_themes(session, include_hidden=True) if t.id != theme_id],
        "links": insights_queries.linked_roadmap_items(session, theme_id),
        "can_edit": principal.identity.role.value in ("editor", "admin"),
    }
    return render(request, "feedback/theme.html", context)


@router.get("/themes/{theme_id}/suggestions")
def theme_suggestions(
    request: Request, theme_id: int, principal: Viewer, session: SessionDep
) -> Response:
    """Roadmap items similar to the theme (an htmx fragment: embedding takes a moment)."""
    try:
        found = insights_queries.suggest_roadmap_items(session, theme_id)
        error = None
    except ModelUnavailableError as exc:  # say so instead of breaking the page
        found, error = [], str(exc)
    context = {
        "theme_id": theme_id,
        "suggestions": found,
        "error": error,
        "can_edit": principal.identity.role.value in ("editor", "admin"),
    }
    return render(request, "feedback/_suggestions.html", context)


def _back(theme_id: int) -> str:
    return f"/feedback/themes/{theme_id}"


@router.post("/themes/{theme_id}/rename")
def rename_form(
    theme_id: int,
    principal: EditorWrite,
    session: SessionDep,
    label: Annotated[str, Form(max_length=200)],
) -> Response:
    themes.rename_theme(session, principal.actor, theme_id, label)
    return flash_redirect(_back(theme_id), f"Renamed to “{label.strip()}”.")


@router.post("/themes/{theme_id}/hide")
def hide_form(
    theme_id: int,
    principal: EditorWrite,
    session: SessionDep,
    hidden: Annotated[bool, Form()] = True,
) -> Response:
    themes.set_hidden(session, principal.actor, theme_id, hidden)
    return flash_redirect(_back(theme_id), "Theme hidden." if hidden else "Theme shown again.")


def _ids(raw: list[str] | str | None, field: str) -> list[int]:
    values = raw if isinstance(raw, list) else str(raw or "").replace(",", " ").split()
    out = []
    for value in values:
        text = str(value).strip().lstrip("#")
        if not text.isdigit():
            raise ValidationFailed(f"{field}: not an id: {value!r}", errors=[FieldError(field, "")])
        out.append(int(text))
    return out


@router.post("/themes/{theme_id}/merge")
def merge_form(
    theme_id: int,
    principal: EditorWrite,
    session: SessionDep,
    merge_with: Annotated[list[str], Form()],
) -> Response:
    sources = _ids(merge_with, "merge_with")
    themes.merge_themes(session, principal.actor, theme_id, sources)
    return flash_redirect(_back(theme_id), f"Merged {len(sources)} theme(s) into this one.")


@router.post("/themes/{theme_id}/split")
def split_form(
    theme_id: int,
    principal: EditorWrite,
    session: SessionDep,
    new_label: Annotated[str, Form(max_length=200)] = "",
    item_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = _ids(item_ids, "item_ids")
    if not chosen or not new_label.strip():
        raise ValidationFailed(
            "pick the items to split off and name the new theme",
            errors=[FieldError("item_ids" if not chosen else "new_label", "required")],
        )
    new_id = themes.split_theme(session, principal.actor, theme_id, chosen, new_label.strip())
    return flash_redirect(_back(new_id), f"Split {len(chosen)} items into “{new_label.strip()}”.")


@router.post("/themes/{theme_id}/move")
def move_form(
    theme_id: int,
    principal: EditorWrite,
    session: SessionDep,
    target: Annotated[str, Form(max_length=20)] = "",
    item_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = _ids(item_ids, "item_ids")
    if not chosen:
        raise ValidationFailed("pick the items to move", errors=[FieldError("item_ids", "")])
    destination = int(target) if target.strip().isdigit() else None
    themes.move_items(session, principal.actor, chosen, destination)
    where = f"theme #{destination}" if destination else "no theme"
    return flash_redirect(_back(theme_id), f"Moved {len(chosen)} items to {where}.")


@router.post("/themes/{theme_id}/steer")
def steer_form(
    theme_id: int,
    principal: EditorWrite,
    session: SessionDep,
    description: Annotated[str, Form(max_length=2000)] = "",
    keywords: Annotated[str, Form(max_length=1000)] = "",
    examples: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    words = [w.strip() for w in keywords.split(",") if w.strip()]
    themes.steer_theme(
        session,
        principal.actor,
        theme_id,
        description=description.strip(),
        keywords=words,
        example_item_ids=_ids(examples, "examples"),
    )
    return flash_redirect(_back(theme_id), "Steering saved; the next synthesis follows it.")


@router.post("/themes/{theme_id}/links")
def link_form(
    theme_id: int,
    principal: EditorWrite,
    session: SessionDep,
    roadmap_item: Annotated[str, Form(max_length=64)],
) -> Response:
    from pilothouse.roadmap import items as roadmap_items

    themes.get_theme(session, theme_id)
    target = roadmap_items.find_item(session, roadmap_item)
    add_link(
        session,
        principal.actor,
        insights_queries.theme_ref(theme_id),
        roadmap_items.item_ref(target),
        "evidence",
    )
    return flash_redirect(_back(theme_id), f"Linked to {target.key}.")


@router.post("/themes/{theme_id}/links/{link_id}/delete")
def unlink_form(
    theme_id: int, link_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    link = session.get(Link, link_id)
    ref = insights_queries.theme_ref(theme_id)
    if link is None or (link.from_type, link.from_id) != (ref.type, ref.id):
        raise ValidationFailed("no such link on this theme", errors=[FieldError("link", "")])
    remove_link(session, principal.actor, link)
    return flash_redirect(_back(theme_id), "Link removed.")


# --- the voice-of-customer report ----------------------------------------------------------


@router.get("/reports")
def reports_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    start: date | None = None,
    end: date | None = None,
    fmt: Annotated[str, Query(alias="format", pattern="^(page|md|html|json)$")] = "page",
) -> Response:
    today = datetime.now(UTC).date()
    start, end = start or today - timedelta(days=27), end or today
    where = insights_queries.filter_from_params(dict(request.query_params))
    report = reports.build_report(session, start, end, where=where)
    if fmt != "page":
        return report_response(report, fmt, download=True)
    kept = [(n, request.query_params[n]) for n in FILTER_NAMES if request.query_params.get(n)]
    kept = [(n, v) for n, v in kept if n not in ("start", "end")]
    context = {
        "report": report,
        "markdown": reports.to_markdown(report),
        "download_query": urlencode([("start", start), ("end", end), *kept]),
        **_filter_context(session, request),
    }
    context["params"] |= {"start": start.isoformat(), "end": end.isoformat()}
    return render(request, "feedback/reports.html", context)
