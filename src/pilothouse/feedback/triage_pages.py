"""Pages to triage one feedback item and to import a file through the browser.

The item page moves an item through ``new → triaged → linked → closed``, sets its
product area and tags, links it to roadmap items and moves it between themes, all
through the same services as the API. The import page is the CLI's import with a
preview: upload, see the column mapping and every bad row with its line, adjust,
then import, all or nothing (:func:`pilothouse.feedback.imports.run_import`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pilothouse.core import areas
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Link
from pilothouse.core.pagination import PageRequest
from pilothouse.feedback import imports, service, themes
from pilothouse.feedback.importers import FIELDS, ImportFormat
from pilothouse.feedback.models import FeedbackStatus
from pilothouse.feedback.service import TRANSITIONS
from pilothouse.web.deps import EditorWrite, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["MAX_UPLOAD_BYTES", "router"]

router = APIRouter(include_in_schema=False)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Files up to this size ride along in the preview page (base64 in a form field, under the
#: 1 MiB a multipart field may have); bigger ones are chosen again to import.
MAX_CARRIED_BYTES = 700 * 1024
GENERIC_FORMATS = (ImportFormat.csv, ImportFormat.jsonl)


def _item_url(item_id: int) -> str:
    return f"/feedback/items/{item_id}"


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: int, principal: Viewer, session: SessionDep) -> Response:
    item = service.get_feedback(session, item_id)
    theme = themes.theme_of_items(session, [item.id]).get(item.id)
    from pilothouse.roadmap import items as roadmap_items

    linked: list[tuple[Link, Any]] = []
    for link in service.roadmap_links(session, item):
        try:
            linked.append((link, roadmap_items.find_item(session, link.to_id)))
        except NotFound:  # a link to a deleted item: show the raw reference
            linked.append((link, None))
    context = {
        "item": item,
        "theme": theme,
        "themes": themes.list_themes(session, include_hidden=True),
        "statuses": [
            item.status,
            *sorted(TRANSITIONS[item.status], key=list(FeedbackStatus).index),
        ],
        "areas": areas.list_areas(session, PageRequest(limit=200)).items,
        "links": linked,
        "can_edit": principal.identity.role.value in ("editor", "admin"),
    }
    return render(request, "feedback/item.html", context)


@router.post("/items/{item_id}")
def triage_form(
    item_id: int,
    principal: EditorWrite,
    session: SessionDep,
    status: Annotated[str, Form(max_length=16)] = "",
    product_area: Annotated[str, Form(max_length=200)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    item = service.get_feedback(session, item_id)
    values = {"product_area": product_area, "tags": tags}
    if status and status != item.status.value:
        values["status"] = status
    service.update_feedback(session, principal.actor, item, values)
    return flash_redirect(_item_url(item_id), "Saved.")


@router.post("/items/{item_id}/theme")
def item_theme_form(
    item_id: int,
    principal: EditorWrite,
    session: SessionDep,
    theme: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    item = service.get_feedback(session, item_id)
    target = int(theme) if theme.strip().isdigit() else None
    themes.move_items(session, principal.actor, [item.id], target)
    return flash_redirect(_item_url(item_id), "Theme changed." if target else "Theme removed.")


@router.post("/items/{item_id}/links")
def item_link_form(
    item_id: int,
    principal: EditorWrite,
    session: SessionDep,
    roadmap_item: Annotated[str, Form(max_length=64)],
) -> Response:
    item = service.get_feedback(session, item_id)
    service.link_roadmap_item(session, principal.actor, item, roadmap_item.strip())
    return flash_redirect(_item_url(item_id), f"Linked to {roadmap_item.strip().upper()}.")


@router.post("/items/{item_id}/links/{roadmap_ref}/delete")
def item_unlink_form(
    item_id: int, roadmap_ref: str, principal: EditorWrite, session: SessionDep
) -> Response:
    item = service.get_feedback(session, item_id)
    service.unlink_roadmap_item(session, principal.actor, item, roadmap_ref)
    return flash_redirect(_item_url(item_id), "Link removed.")


# --- import --------------------------------------------------------------------------------


def _import_context(**extra: object) -> dict[str, object]:
    return {"formats": list(ImportFormat), "fields": FIELDS, "generic": GENERIC_FORMATS, **extra}


@router.get("/import")
def import_page(request: Request, _principal: Viewer) -> Response:
    return render(request, "feedback/import.html", _import_context(report=None))


async def _file_bytes(upload: UploadFile | None, content_b64: str, limit: int) -> bytes:
    """The uploaded file (or the one carried from the preview), at most ``limit`` bytes."""
    if upload is not None and upload.filename:
        data = await upload.read(limit + 1)
    elif content_b64:
        try:
            data = base64.b64decode(content_b64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("file: the upload was damaged; choose the file again") from None
    else:
        raise ValidationFailed("file: choose a file", errors=[FieldError("file", "required")])
    if len(data) > limit:
        raise ValidationFailed(
            f"file: at most {limit / 1024 / 1024:.3g} MB through the browser "
            "(PILOTHOUSE_UPLOAD_MAX_BYTES); "
            "use `pilothouse feedback import` for larger files",
            errors=[FieldError("file", "too large")],
        )
    return data


@router.post("/import")
async def import_form(
    request: Request,
    principal: EditorWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    fmt: Annotated[ImportFormat, Form(alias="format")] = ImportFormat.csv,
    file: Annotated[UploadFile | None, File()] = None,
    content_b64: Annotated[str, Form(max_length=MAX_UPLOAD_BYTES * 2)] = "",
    file_name: Annotated[str, Form(max_length=300)] = "",
    text_column: Annotated[str, Form(max_length=200)] = "",
    source: Annotated[str, Form(max_length=100)] = "",
    action: Annotated[str, Form(pattern="^(preview|import)$")] = "preview",
) -> Response:
    """Preview (a dry run: mapping, sample rows, every problem by line) or import for real."""
    data = await _file_bytes(file, content_b64, runtime.settings.upload_max_bytes)
    name = file.filename if file is not None and file.filename else file_name
    form = await request.form()
    mapping = {f: str(form.get(f"map_{f}") or "") for f in FIELDS if form.get(f"map_{f}")}
    report = await run_in_threadpool(
        imports.run_import,
        session,
        principal.actor,
        data,
        fmt,
        mapping=mapping if fmt in GENERIC_FORMATS else None,
        text_column=text_column.strip() or None,
        source=source.strip() or None,
        dry_run=action != "import",
    )
    if report.committed:
        done = f"Imported {report.created} new and {report.updated} updated items from {name}."
        await run_in_threadpool(imports.place_in_themes, runtime, principal.actor, report, session)
        if report.job_id is not None:
            done += f" Job {report.job_id} is placing them in themes."
        return flash_redirect(f"/feedback?source={report.source_name}", done)
    context = _import_context(
        report=report,
        fmt=fmt,
        file_name=name,
        content_b64=base64.b64encode(data).decode("ascii")
        if len(data) <= MAX_CARRIED_BYTES
        else "",
        text_column=text_column,
        source=source,
    )
    return render(request, "feedback/import.html", context, status=200)
