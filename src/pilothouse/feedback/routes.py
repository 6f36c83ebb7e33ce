"""HTTP for feedback: everyone reads; editors log, change, link and import feedback."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, PilothouseError, ValidationFailed
from pilothouse.core.pagination import PageRequest
from pilothouse.feedback import exports, imports, service
from pilothouse.feedback.models import FeedbackItem, FeedbackStatus, SourceKind
from pilothouse.feedback.schemas import (
    MAX_BATCH,
    FeedbackBatchRead,
    FeedbackCreate,
    FeedbackList,
    FeedbackRead,
    FeedbackUpdate,
    ImportReportRead,
    ImportRequest,
    LinkCreate,
    LinkList,
    LinkRead,
)
from pilothouse.feedback.synthesis_service import assign_new_items, embed_ahead
from pilothouse.web.deps import EditorWrite, PageParams, RuntimeDep, SessionDep, Viewer
from pilothouse.web.openapi import CSV_OR_JSON_ROWS

__all__ = ["feedback_filter", "router"]

router = APIRouter(prefix="/feedback", tags=["feedback"])

EXAMPLE_BATCH = {"items": [{"text": "Exports time out on big reports", "account": "acct-001"}]}


def _day_start(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


async def feedback_filter(  # async: parsing only, no thread-pool hop
    source: Annotated[str | None, Query(description="Source name, e.g. zendesk.")] = None,
    source_kind: SourceKind | None = None,
    status: FeedbackStatus | None = None,
    account: Annotated[str | None, Query(description="Account id or external id.")] = None,
    product_area: Annotated[str | None, Query(description="Id, slug or name.")] = None,
    since: Annotated[date | None, Query(alias="from", description="From this day (UTC).")] = None,
    until: Annotated[date | None, Query(alias="to", description="Before this day (UTC).")] = None,
    q: Annotated[str | None, Query(description="Text in the title or text.")] = None,
) -> service.FeedbackFilter:
    return service.FeedbackFilter(
        source=source,
        source_kind=source_kind,
        status=status,
        account=account,
        product_area=product_area,
        since=_day_start(since),
        until=_day_start(until),
        search=q,
    )


Filters = Annotated[service.FeedbackFilter, Depends(feedback_filter)]


@router.get("", response_model=FeedbackList, summary="List feedback, newest first")
def list_feedback(
    _principal: Viewer, session: SessionDep, page: PageParams, where: Filters
) -> FeedbackList:
    newest = PageRequest(limit=page.limit, cursor=page.cursor, newest_first=True)
    result = service.list_feedback(session, newest, where)
    return FeedbackList(
        items=[FeedbackRead.model_validate(i) for i in result.items],
        next_cursor=result.next_cursor,
    )


def _validated(raw: Any, prefix: str) -> tuple[dict[str, Any] | None, list[FieldError]]:
    try:
        body = FeedbackCreate.model_validate(raw)
    except ValidationError as exc:
        return None, [
            FieldError(".".join([prefix, *(str(p) for p in e["loc"])]).strip("."), e["msg"])
            for e in exc.errors()
        ]
    return body.model_dump(exclude_none=True, mode="json"), []


def _store(
    session: Session, actor: Actor, values: dict[str, Any], prefix: str
) -> tuple[FeedbackItem | None, str, list[FieldError]]:
    savepoint = session.begin_nested()
    try:
        item, action = service.save_feedback(session, actor, values, create_accounts=False)
    except PilothouseError as exc:
        savepoint.rollback()
        errors = exc.errors or [FieldError("", exc.detail)]
        return None, "", [FieldError(f"{prefix}.{e.field}".strip("."), e.message) for e in errors]
    savepoint.commit()
    return item, action, []


def _texts(raw_items: list[Any]) -> list[tuple[str | None, str]]:
    """``(title, text)`` of the raw batch items that have a text, before validation."""
    pairs: list[tuple[str | None, str]] = []
    for raw in raw_items:
        if isinstance(raw, dict) and isinstance(raw.get("text"), str):
            title = raw.get("title")
            pairs.append((title if isinstance(title, str) else None, raw["text"]))
    return pairs


def _batch(session: Session, actor: Actor, raw_items: Any) -> FeedbackBatchRead:
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_BATCH:
        raise ValidationFailed(
            f"items must be a list of 1 to {MAX_BATCH} feedback items",
            errors=[FieldError("items", f"1 to {MAX_BATCH} objects")],
        )
    embed_ahead(_texts(raw_items))  # before the write lock (see embed_ahead)
    errors: list[FieldError] = []
    stored: list[FeedbackItem] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for index, raw in enumerate(raw_items):
        values, problems = _validated(raw, f"items.{index}")
        if values is not None:
            item, action, problems = _store(session, actor, values, f"items.{index}")
            if item is not None:
                stored.append(item)
                counts[action] += 1
        errors += problems
    if errors:
        bad = sorted({e.field.split(".")[1] for e in errors if e.field.count(".") >= 1})
        raise ValidationFailed(
            f"{len(bad)} of {len(raw_items)} items are invalid (index {', '.join(bad)}); "
            "nothing was stored",
            errors=errors,
        )
    assign_new_items(session, [i.id for i in stored], loaded=stored)
    return FeedbackBatchRead(items=[FeedbackRead.model_validate(i) for i in stored], **counts)


@router.post(
    "",
    status_code=201,
    response_model=FeedbackRead | FeedbackBatchRead,
    summary='Log feedback: one item, or a batch as {"items": [...]}',
)
def create_feedback(
    principal: EditorWrite,
    session: SessionDep,
    body: Annotated[dict[str, Any], Body(openapi_examples={"batch": {"value": EXAMPLE_BATCH}})],
) -> FeedbackRead | FeedbackBatchRead:
    """An item with an ``external_id`` already stored for its source is updated, not duplicated.
    A batch is all or nothing: errors name the index (``items.3.text``)."""
    if "items" in body:
        return _batch(session, principal.actor, body["items"])
    values, errors = _validated(body, "")
    if values is None:
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors=errors)
    embed_ahead([(values.get("title"), values.get("text"))])  # before the write lock
    item, _action = service.save_feedback(session, principal.actor, values, create_accounts=False)
    assign_new_items(session, [item.id], loaded=[item])  # the nearest theme, once themes exist
    return FeedbackRead.model_validate(item)


@router.get("/export", summary="Export feedback as CSV or JSON", responses={200: CSV_OR_JSON_ROWS})
def export_feedback(
    _principal: Viewer,
    session: SessionDep,
    where: Filters,
    format: Literal["csv", "json"] = "csv",  # noqa: A002
) -> Response:
    rows = exports.export_rows(session, where)
    if format == "json":
        return PlainTextResponse(exports.to_json(rows), media_type="application/json")
    return PlainTextResponse(
        exports.to_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="feedback.csv"'},
    )


@router.post("/imports", response_model=ImportReportRead, summary="Preview or import a file")
def create_import(
    body: ImportRequest, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> ImportReportRead:
    """A dry run (the default) returns the column mapping, sample rows and every problem.

    An import of more than 500 new items, once themes exist, queues the synthesis
    job that places them (``waiting`` and ``job_id`` in the answer).
    """
    report = imports.run_import(
        session,
        principal.actor,
        body.content.encode("utf-8"),
        body.format,
        mapping=body.mapping,
        text_column=body.text_column,
        source=body.source,
        dry_run=body.dry_run,
    )
    if report.problems and not body.dry_run:
        raise ValidationFailed(
            f"{len(report.problems)} problems; nothing was imported",
            errors=[
                FieldError(f"{p.unit} {p.line}" + (f".{p.column}" if p.column else ""), p.message)
                for p in report.problems
            ],
        )
    imports.place_in_themes(runtime, principal.actor, report, session)
    return ImportReportRead.model_validate(report, from_attributes=True)


@router.get("/{feedback_id}", response_model=FeedbackRead, summary="One feedback item")
def get_feedback(feedback_id: int, _principal: Viewer, session: SessionDep) -> FeedbackRead:
    return FeedbackRead.model_validate(service.get_feedback(session, feedback_id))


@router.patch("/{feedback_id}", response_model=FeedbackRead, summary="Change or triage an item")
def update_feedback(
    feedback_id: int, body: FeedbackUpdate, principal: EditorWrite, session: SessionDep
) -> FeedbackRead:
    item = service.get_feedback(session, feedback_id)
    values = body.model_dump(exclude_unset=True, mode="json")
    service.update_feedback(session, principal.actor, item, values)
    return FeedbackRead.model_validate(item)


@router.get("/{feedback_id}/links", response_model=LinkList, summary="Linked roadmap items")
def list_feedback_links(feedback_id: int, _principal: Viewer, session: SessionDep) -> LinkList:
    item = service.get_feedback(session, feedback_id)
    return LinkList(
        items=[LinkRead.model_validate(link) for link in service.roadmap_links(session, item)]
    )


@router.post(
    "/{feedback_id}/links",
    response_model=LinkRead,
    status_code=201,
    summary="Link to a roadmap item as evidence",
)
def create_feedback_link(
    feedback_id: int, body: LinkCreate, principal: EditorWrite, session: SessionDep
) -> LinkRead:
    item = service.get_feedback(session, feedback_id)
    link = service.link_roadmap_item(session, principal.actor, item, body.roadmap_item)
    return LinkRead.model_validate(link)


@router.delete(
    "/{feedback_id}/links/{roadmap_item}", status_code=204, summary="Unlink a roadmap item"
)
def delete_feedback_link(
    feedback_id: int, roadmap_item: str, principal: EditorWrite, session: SessionDep
) -> Response:
    item = service.get_feedback(session, feedback_id)
    service.unlink_roadmap_item(session, principal.actor, item, roadmap_item)
    return Response(status_code=204)
