"""Job pages: the list with progress, and one job whose progress refreshes while it runs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pilothouse.core import jobs
from pilothouse.core.job_models import JobStatus
from pilothouse.core.models import Role
from pilothouse.core.pagination import PageRequest
from pilothouse.web.deps import EditorWrite, Principal, RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import flash_redirect, render

__all__ = ["router"]

router = APIRouter(prefix="/jobs", include_in_schema=False)
#: Seconds between refreshes of a page that shows unfinished jobs.
POLL_SECONDS = 1


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _may_change(principal: Principal, job: jobs.JobView) -> bool:
    role = principal.identity.role
    return role is Role.admin or (role is Role.editor and job.requested_by_id == principal.user.id)


@router.get("")
def list_jobs_page(
    request: Request,
    _principal: Viewer,
    session: SessionDep,
    status: str = "",
    kind: str = "",
    cursor: str | None = None,
) -> Response:
    chosen = JobStatus(status) if status in JobStatus.__members__ else None
    page = jobs.list_jobs(
        session, PageRequest(limit=50, cursor=cursor), status=chosen, kind=kind or None
    )
    context = {
        "jobs": page.items,
        "next_cursor": page.next_cursor,
        "cursor": cursor,
        "status": chosen.value if chosen else "",
        "kind": kind,
        "statuses": list(JobStatus),
        "polling": any(not j.finished for j in page.items),
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "_jobs_rows.html" if _is_htmx(request) else "jobs.html", context)


@router.get("/{job_id}")
def job_page(request: Request, job_id: int, principal: Viewer, session: SessionDep) -> Response:
    job = jobs.get_job(session, job_id)
    context = {"job": job, "may_change": _may_change(principal, job), "poll_seconds": POLL_SECONDS}
    return render(
        request, "_jobs_status.html" if _is_htmx(request) else "jobs_detail.html", context
    )


@router.post("/{job_id}/retry")
def retry_job_form(
    job_id: int, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> Response:
    job = jobs.retry_job(runtime, principal.actor, job_id, session=session)
    return flash_redirect(f"/jobs/{job_id}", f"Retrying “{job.title}” (attempt {job.attempts}).")


@router.post("/{job_id}/cancel")
def cancel_job_form(
    job_id: int, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> Response:
    job = jobs.cancel_job(runtime, principal.actor, job_id, session=session)
    text = "Cancelled" if job.status is JobStatus.cancelled else "Asked to stop"
    return flash_redirect(f"/jobs/{job_id}", f"{text} “{job.title}”.")
