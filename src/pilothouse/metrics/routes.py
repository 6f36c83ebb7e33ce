"""HTTP for the metrics domain: Segment-compatible tracking endpoints and event sources.

Tracking endpoints authenticate with a source's write key, as Segment does: HTTP
Basic with the key as user name and an empty password (or ``writeKey`` in the
body). They answer only after the events are durably committed.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from pilothouse.core import ratelimit
from pilothouse.core.errors import FieldError, Unauthorized, ValidationFailed
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import ingest as ingestion
from pilothouse.metrics import sources
from pilothouse.metrics.models import EventSource
from pilothouse.web.deps import (
    AdminRead,
    AdminWrite,
    PageParams,
    RuntimeDep,
    SessionDep,
    client_address,
)

__all__ = ["WriteKeyAuth", "ingest_router", "sources_router"]

ingest_router = APIRouter(tags=["tracking"])
sources_router = APIRouter(prefix="/sources", tags=["tracking"])


def _write_key(request: Request, body: Any) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            user, _, _password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("the Basic credentials are not valid base64") from None
        if user:
            return user
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        return str(body["writeKey"])
    raise Unauthorized("send the source's write key as HTTP Basic user name (empty password)")


class WriteKeyAuth:
    """Route marker and dependency: the caller is an event source, by its write key."""

    def __repr__(self) -> str:
        return "WriteKeyAuth"

    async def __call__(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError as exc:
            raise ValidationFailed(
                f"malformed JSON: {exc}", errors=[FieldError("body", "malformed JSON")]
            ) from None
        request.state.write_key = _write_key(request, body)
        return body


TrackingBody = Annotated[Any, Depends(WriteKeyAuth())]


def _ingest(runtime: Runtime, key: str, body: Any, kind: str, address: str) -> dict[str, Any]:
    """Authenticate in a reading transaction, then store; neither holds the other's lock.

    Tracking calls made the request's transaction take SQLite's write lock with the
    key check and hold it while DuckDB committed the events, so every other write
    in the app queued behind ingestion. Now the app database is written only for
    ``identify``/``group`` traits, in a transaction that begins with that write.
    """
    with runtime.database.session(reading=True) as reader:
        try:
            source = sources.authenticate_write_key(
                reader, runtime.secrets, key, database=runtime.database
            )
        except Unauthorized as exc:  # counted after the rollback, per address
            exc.record = ratelimit.token_failure_record(address)
            raise
    with runtime.database.session() as writer:
        return ingestion.ingest(writer, runtime, source, body, kind).as_dict()


def _endpoint(kind: str) -> Any:
    async def endpoint(request: Request, body: TrackingBody, runtime: RuntimeDep) -> JSONResponse:
        key, address = request.state.write_key, client_address(request)
        # Before the call's own transaction: the count holds whatever the outcome.
        await run_in_threadpool(
            ratelimit.admit_ingest_call, runtime, runtime.secrets.digest(key), address
        )
        result = await run_in_threadpool(_ingest, runtime, key, body, kind, address)
        return JSONResponse(result)

    endpoint.__name__ = f"ingest_{kind}"
    endpoint.__doc__ = f"Segment-compatible `{kind}` call."
    return endpoint


for _kind in ("track", "identify", "group", "page", "screen", "batch"):
    ingest_router.add_api_route(
        f"/{_kind}",
        _endpoint(_kind),
        methods=["POST"],
        summary=f"Record {_kind} call(s) (Segment tracking API)",
    )


class SourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    key_prefix: str
    last_used_at: Any = None
    revoked_at: Any = None


class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class SourceCreated(SourceRead):
    write_key: str = Field(description="Shown only in this response.")


class SourceList(BaseModel):
    items: list[SourceRead]
    next_cursor: str | None = None


@sources_router.get("", response_model=SourceList, summary="List event sources")
def list_sources(_principal: AdminRead, session: SessionDep, page: PageParams) -> SourceList:
    result = sources.list_sources(session, page)
    return SourceList(
        items=[SourceRead.model_validate(s) for s in result.items], next_cursor=result.next_cursor
    )


@sources_router.post(
    "",
    response_model=SourceCreated,
    status_code=201,
    summary="Create an event source and its write key",
)
def create_source(
    body: SourceCreate, principal: AdminWrite, session: SessionDep, runtime: RuntimeDep
) -> SourceCreated:
    source, key = sources.create_source(session, principal.actor, runtime.secrets, body.name)
    return SourceCreated.model_validate(
        {**SourceRead.model_validate(source).model_dump(), "write_key": key}
    )


@sources_router.delete("/{key}", response_model=SourceRead, summary="Revoke a source's write key")
def revoke_source(key: str, principal: AdminWrite, session: SessionDep) -> SourceRead:
    source: EventSource = sources.find_source(session, key)
    sources.revoke_source(session, principal.actor, source)
    return SourceRead.model_validate(source)
