"""The OpenAPI schema and the interactive docs page, served from vendored assets (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pilothouse.web.deps import Public
from pilothouse.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/api/v1/openapi.json", dependencies=[Public])
def openapi_schema(request: Request) -> Response:
    """The schema is public like the source; every call it describes still needs a token.

    The app builds the schema once (seconds of CPU: FastAPI analyses every route and
    model); its JSON text, about 1 MB, is kept beside it rather than encoded again on
    every request. Kept with the schema it was made from, so a rebuilt schema (tests
    reset ``app.openapi_schema``) is encoded afresh.
    """
    schema = request.app.openapi()
    cached = getattr(request.app.state, "openapi_json", None)
    if cached is None or cached[0] is not schema:
        cached = (schema, JSONResponse(schema).body)
        request.app.state.openapi_json = cached
    return Response(cached[1], media_type=JSONResponse.media_type)


@router.get("/api/v1/docs", dependencies=[Public])
def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html")
