"""HTTP for the decision log under ``/api/v1/decisions``: everyone reads and searches;
editors write. Status changes have their own verbs (decide, supersede)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from pilothouse.core.links import ObjectRef
from pilothouse.decisions import history, linking, service
from pilothouse.decisions.models import DecisionStatus
from pilothouse.decisions.presenters import decision_read
from pilothouse.decisions.schemas import (
    DecisionCreate,
    DecisionDecide,
    DecisionList,
    DecisionRead,
    DecisionUpdate,
    LinkCreate,
    LinkedRead,
    RevisionList,
    RevisionRead,
    SupersedeRequest,
)
from pilothouse.decisions.search import DecisionFilter
from pilothouse.decisions.search import list_decisions as search
from pilothouse.decisions.targets import describe, parse_ref
from pilothouse.web.deps import EditorWrite, PageParams, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/decisions", tags=["decisions"])


@router.get("", response_model=DecisionList, summary="Search and filter decisions")
def list_decisions(
    _principal: Viewer,
    session: SessionDep,
    page: PageParams,
    q: Annotated[
        str | None, Query(max_length=500, description="Words that must all appear.")
    ] = None,
    status: DecisionStatus | None = None,
    product_area: Annotated[str | None, Query(description="Area id, slug or name.")] = None,
    tag: str | None = None,
    decided_by: Annotated[str | None, Query(description="User id or e-mail.")] = None,
    decided_from: date | None = None,
    decided_to: date | None = None,
    linked: Annotated[
        str | None, Query(description="Only decisions about TYPE:ID, e.g. roadmap_item:12.")
    ] = None,
) -> DecisionList:
    where = DecisionFilter(
        q=q,
        status=status,
        product_area=product_area,
        tag=tag,
        decided_by=decided_by,
        decided_from=decided_from,
        decided_to=decided_to,
        linked=parse_ref(linked) if linked else None,
    )
    result = search(session, where, page)
    return DecisionList(
        items=[decision_read(session, d) for d in result.items], next_cursor=result.next_cursor
    )


@router.post("", response_model=DecisionRead, status_code=201, summary="Record a decision")
def create_decision(
    body: DecisionCreate, principal: EditorWrite, session: SessionDep
) -> DecisionRead:
    values = body.model_dump(exclude_unset=True, exclude={"links"})
    decision = service.create_decision(session, principal.actor, values, links=body.links)
    return decision_read(session, decision)


@router.get("/{key}", response_model=DecisionRead, summary="One decision, by key")
def get_decision(key: str, _principal: Viewer, session: SessionDep) -> DecisionRead:
    return decision_read(session, service.find_decision(session, key))


@router.patch("/{key}", response_model=DecisionRead, summary="Change a decision")
def update_decision(
    key: str, body: DecisionUpdate, principal: EditorWrite, session: SessionDep
) -> DecisionRead:
    decision = service.find_decision(session, key)
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    service.update_decision(
        session, principal.actor, decision, values, expected_version=body.version
    )
    return decision_read(session, decision)


@router.post("/{key}/decide", response_model=DecisionRead, summary="Record the choice made")
def decide_decision(
    key: str, body: DecisionDecide, principal: EditorWrite, session: SessionDep
) -> DecisionRead:
    decision = service.find_decision(session, key)
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    service.decide(session, principal.actor, decision, values, expected_version=body.version)
    return decision_read(session, decision)


@router.post(
    "/{key}/supersede", response_model=DecisionRead, summary="Replace it with a newer decision"
)
def supersede_decision(
    key: str, body: SupersedeRequest, principal: EditorWrite, session: SessionDep
) -> DecisionRead:
    old = service.find_decision(session, key)
    new = service.find_decision(session, body.by)
    service.supersede(session, principal.actor, old, new)
    return decision_read(session, old)


@router.post(
    "/{key}/links", response_model=LinkedRead, status_code=201, summary="Link it to an object"
)
def link_decision(
    key: str, body: LinkCreate, principal: EditorWrite, session: SessionDep
) -> LinkedRead:
    decision = service.find_decision(session, key)
    link = linking.link_decision(
        session, principal.actor, decision, body.to_type, body.to_id, body.kind
    )
    target = describe(session, ObjectRef(link.to_type, link.to_id))
    return LinkedRead(
        link_id=link.id,
        kind=link.kind,
        type=target.type,
        id=target.id,
        label=target.label,
        href=target.href,
    )


@router.delete("/{key}/links/{link_id}", status_code=204, summary="Remove a link")
def unlink_decision(
    key: str, link_id: int, principal: EditorWrite, session: SessionDep
) -> Response:
    decision = service.find_decision(session, key)
    linking.unlink_decision(session, principal.actor, decision, link_id)
    return Response(status_code=204)


@router.get("/{key}/history", response_model=RevisionList, summary="Every revision, newest first")
def list_decision_history(key: str, _principal: Viewer, session: SessionDep) -> RevisionList:
    decision = service.find_decision(session, key)
    revisions = history.list_revisions(session, decision)
    return RevisionList(key=decision.key, items=[RevisionRead.model_validate(r) for r in revisions])


@router.get(
    "/{key}/history/{version}", response_model=RevisionRead, summary="One revision of a decision"
)
def get_decision_revision(
    key: str, version: int, _principal: Viewer, session: SessionDep
) -> RevisionRead:
    decision = service.find_decision(session, key)
    return RevisionRead.model_validate(history.get_revision(session, decision, version))
