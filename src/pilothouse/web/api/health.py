"""``GET /healthz``: is the app up and can it reach its database? No sign-in needed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from pilothouse import __version__
from pilothouse.web.deps import Public, RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[Public], summary="Liveness and database check")
async def get_health(runtime: RuntimeDep) -> JSONResponse:
    try:
        await run_in_threadpool(runtime.database.ping)
    except SQLAlchemyError as exc:
        body = {"status": "error", "database": "unreachable", "detail": type(exc).__name__}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "version": __version__})
