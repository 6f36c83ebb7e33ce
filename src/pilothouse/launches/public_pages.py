"""Public changelog pages (no sign-in): the list, one page per release note, the Atom feed.

Every route declares ``Public`` and first checks the workspace opted in; responses
carry an ``ETag`` and answer ``304`` to a matching ``If-None-Match``, so feed readers
polling every few minutes cost one hash, not a page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pilothouse.launches import public_changelog as public
from pilothouse.launches.subscriber_tokens import form_token
from pilothouse.web.deps import Public, RuntimeDep, SessionDep
from pilothouse.web.templating import render

__all__ = [
    "cached",
    "public_changelog_feed",
    "public_changelog_page",
    "public_release_notes_page",
    "router",
]

router = APIRouter(include_in_schema=False)
#: Readers may keep a copy for five minutes, then must revalidate with the ETag.
CACHE_CONTROL = "public, max-age=300"


def cached(request: Request, body: bytes, media_type: str, status: int = 200) -> Response:
    """``body`` with an ETag, or an empty 304 when the reader already has these bytes."""
    etag = public.etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    seen = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in seen or "*" in seen:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def _page(request: Request, template: str, context: dict[str, object]) -> Response:
    html = render(request, template, context)
    return cached(request, bytes(html.body), "text/html; charset=utf-8")


@router.get("/public/changelog", dependencies=[Public])
def public_changelog_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    public.require_enabled(session)
    context = {
        "product": public.title(session),
        "entries": public.public_entries(session),
        "form_token": form_token(runtime.settings.resolved_secret_key()),
    }
    return _page(request, "launches/public_changelog.html", context)


@router.get("/public/changelog.atom", dependencies=[Public])
def public_changelog_feed(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    public.require_enabled(session)
    body = public.atom_feed(
        runtime.settings.effective_public_url, public.title(session), public.public_entries(session)
    )
    return cached(request, body, "application/atom+xml; charset=utf-8")


@router.get("/public/changelog/{key}", dependencies=[Public])
def public_release_notes_page(request: Request, key: str, session: SessionDep) -> Response:
    public.require_enabled(session)
    context = {"product": public.title(session), "entry": public.public_entry(session, key)}
    return _page(request, "launches/public_entry.html", context)
