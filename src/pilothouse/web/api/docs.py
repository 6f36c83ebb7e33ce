"""The OpenAPI schema and the interactive docs page, served from vendored assets (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pilothouse.web.deps import Public
from pilothouse.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/api/v1/openapi.json", dependencies=[Public])
def openapi_schema(request: Request) -> JSONResponse:
    """The schema is public like the source; every call it describes still needs a token."""
    return JSONResponse(request.app.openapi())


@router.get("/api/v1/docs", dependencies=[Public])
def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html")
