"""HTTP for themes: everyone reads; editors curate, decide proposals and run synthesis.

Registered before the item routes, so ``/feedback/themes`` is not read as an item id.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select

from pilothouse.core import jobs
from pilothouse.feedback import exports, themes
from pilothouse.feedback.jobs import SYNTHESIZE
from pilothouse.feedback.models import FeedbackItem
from pilothouse.feedback.schemas import FeedbackRead
from pilothouse.feedback.synthesis_service import synthesize_feedback
from pilothouse.feedback.theme_schemas import (
    ItemsMove,
    ProposalList,
    ProposalRead,
    SynthesisRead,
    ThemeCreate,
    ThemeCreated,
    ThemeDetailRead,
    ThemeList,
    ThemeMerge,
    ThemeRead,
    ThemeSplit,
    ThemeSteer,
    ThemeUpdate,
)
from pilothouse.web.api.jobs import JobRead
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer

__all__ = ["WAIT_LIMIT", "router"]

router = APIRouter(prefix="/feedback", tags=["feedback themes"])

#: ``POST /synthesize?wait=true`` runs in the request only up to this many items.
WAIT_LIMIT = 2_000


def _detail(session: SessionDep, theme_id: int) -> ThemeDetailRead:
    detail = themes.get_theme(session, theme_id)
    values = {f.name: getattr(detail, f.name) for f in fields(detail)}
    values["quotes"] = [FeedbackRead.model_validate(q) for q in detail.quotes]
    values["item_ids"] = themes.theme_item_ids(session, theme_id)
    return ThemeDetailRead(**values)


@router.get(
    "/themes",
    response_model=ThemeList,
    summary="List themes, most items first",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def list_themes(
    _principal: Viewer,
    session: SessionDep,
    include_hidden: bool = False,
    format: Literal["json", "csv"] = "json",  # noqa: A002
) -> Any:
    if format == "csv":
        rows = exports.theme_rows(session, include_hidden=include_hidden)
        return PlainTextResponse(
            exports.themes_to_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="feedback-themes.csv"'},
        )
    found = themes.list_themes(session, include_hidden=include_hidden)
    return ThemeList(items=[ThemeRead.model_validate(t) for t in found], count=len(found))


@router.post("/themes", status_code=201, response_model=ThemeCreated, summary="Create a theme")
def create_theme(body: ThemeCreate, principal: EditorWrite, session: SessionDep) -> ThemeCreated:
    theme_id = themes.create_theme(session, principal.actor, **body.model_dump())
    return ThemeCreated(id=theme_id)


@router.get("/themes/{theme_id}", response_model=ThemeDetailRead, summary="One theme")
def get_theme(theme_id: int, _principal: Viewer, session: SessionDep) -> ThemeDetailRead:
    return _detail(session, theme_id)


@router.patch(
    "/themes/{theme_id}", response_model=ThemeDetailRead, summary="Rename, describe, hide"
)
def update_theme(
    theme_id: int, body: ThemeUpdate, principal: EditorWrite, session: SessionDep
) -> ThemeDetailRead:
    if body.label is not None:
        themes.rename_theme(session, principal.actor, theme_id, body.label)
    if body.description is not None:
        themes.describe_theme(session, principal.actor, theme_id, body.description)
    if body.hidden is not None:
        themes.set_hidden(session, principal.actor, theme_id, body.hidden)
    return _detail(session, theme_id)


@router.post(
    "/themes/{theme_id}/merge", response_model=ThemeDetailRead, summary="Merge themes into this"
)
def merge_themes(
    theme_id: int, body: ThemeMerge, principal: EditorWrite, session: SessionDep
) -> ThemeDetailRead:
    themes.merge_themes(session, principal.actor, theme_id, body.source_ids)
    return _detail(session, theme_id)


@router.post(
    "/themes/{theme_id}/split",
    status_code=201,
    response_model=ThemeCreated,
    summary="Move items into a new theme",
)
def split_theme(
    theme_id: int, body: ThemeSplit, principal: EditorWrite, session: SessionDep
) -> ThemeCreated:
    return ThemeCreated(
        id=themes.split_theme(session, principal.actor, theme_id, body.item_ids, body.label)
    )


@router.post("/themes/{theme_id}/steer", response_model=ThemeDetailRead, summary="Steer a theme")
def steer_theme(
    theme_id: int, body: ThemeSteer, principal: EditorWrite, session: SessionDep
) -> ThemeDetailRead:
    themes.steer_theme(session, principal.actor, theme_id, **body.model_dump())
    return _detail(session, theme_id)


@router.post("/items/move", status_code=204, summary="Put items in a theme (or in none)")
def move_items(body: ItemsMove, principal: EditorWrite, session: SessionDep) -> Response:
    themes.move_items(session, principal.actor, body.item_ids, body.theme_id)
    return Response(status_code=204)


@router.get("/theme-proposals", response_model=ProposalList, summary="The review queue")
def list_theme_proposals(
    _principal: Viewer,
    session: SessionDep,
    status: Literal["open", "accepted", "rejected", "superseded", "all"] = "open",
) -> ProposalList:
    found = themes.list_proposals(session, None if status == "all" else status)
    return ProposalList(items=[ProposalRead.model_validate(p) for p in found])


@router.post("/theme-proposals/{proposal_id}/accept", response_model=ProposalRead, summary="Accept")
def accept_theme_proposal(
    proposal_id: int, principal: EditorWrite, session: SessionDep
) -> ProposalRead:
    themes.accept_proposal(session, principal.actor, proposal_id)
    return _proposal(session, proposal_id)


@router.post("/theme-proposals/{proposal_id}/reject", response_model=ProposalRead, summary="Reject")
def reject_theme_proposal(
    proposal_id: int, principal: EditorWrite, session: SessionDep
) -> ProposalRead:
    themes.reject_proposal(session, principal.actor, proposal_id)
    return _proposal(session, proposal_id)


def _proposal(session: SessionDep, proposal_id: int) -> ProposalRead:
    return ProposalRead.model_validate(themes.get_proposal(session, proposal_id))


@router.post(
    "/synthesize",
    status_code=202,
    response_model=SynthesisRead,
    summary="Run synthesis as a job (wait=true: in the request, for small corpora)",
    responses={200: {"model": SynthesisRead, "description": "wait=true: the finished run."}},
)
def synthesize(
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    wait: bool = False,
    full: bool = False,
) -> SynthesisRead:
    items = session.scalar(select(func.count()).select_from(FeedbackItem)) or 0
    if wait and items <= WAIT_LIMIT:
        report = synthesize_feedback(session, principal.actor, full=full)
        response.status_code = 200
        return SynthesisRead(report=report.as_dict())
    job = jobs.submit_job(
        runtime, principal.actor, SYNTHESIZE, payload={"full": full}, session=session
    )
    return SynthesisRead(job=JobRead.of(job).model_dump(mode="json"))
