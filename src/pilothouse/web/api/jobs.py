"""Jobs: everyone signed in sees them; the requester (or an admin) retries and cancels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from pilothouse.core import jobs
from pilothouse.core.job_models import JobStatus
from pilothouse.web.deps import EditorWrite, PageParams, RuntimeDep, SessionDep, Viewer

__all__ = ["JobList", "JobRead", "router"]

router = APIRouter(prefix="/jobs", tags=["jobs"])


class JobRead(BaseModel):
    """A job's durable record; ``percent`` is null while the total is unknown."""

    id: int
    kind: str
    title: str
    status: JobStatus
    progress_done: int
    progress_total: int | None
    percent: int | None
    message: str
    error: str | None
    result: dict[str, Any] | None
    payload: dict[str, Any]
    attempts: int
    cancel_requested: bool
    requested_by: str
    requested_by_id: int | None
    worker: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, view: jobs.JobView) -> JobRead:
        return cls(
            id=view.id,
            kind=view.kind,
            title=view.title,
            status=view.status,
            progress_done=view.progress_done,
            progress_total=view.progress_total,
            percent=view.percent,
            message=view.message,
            error=view.error,
            result=view.result,
            payload=view.payload,
            attempts=view.attempts,
            cancel_requested=view.cancel_requested,
            requested_by=view.requested_by,
            requested_by_id=view.requested_by_id,
            worker=view.worker,
            created_at=view.created_at,
            started_at=view.started_at,
            finished_at=view.finished_at,
        )


class JobList(BaseModel):
    """One page of jobs, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[JobRead]
    next_cursor: str | None = None


@router.get("", response_model=JobList, summary="List jobs, newest first")
def list_jobs(
    _principal: Viewer,
    session: SessionDep,
    page: PageParams,
    status: JobStatus | None = None,
    kind: str | None = None,
    requested_by_id: int | None = None,
) -> JobList:
    result = jobs.list_jobs(
        session, page, status=status, kind=kind, requested_by_id=requested_by_id
    )
    return JobList(items=[JobRead.of(j) for j in result.items], next_cursor=result.next_cursor)


@router.get("/{job_id}", response_model=JobRead, summary="One job with its progress and result")
def get_job(job_id: int, _principal: Viewer, session: SessionDep) -> JobRead:
    return JobRead.of(jobs.get_job(session, job_id))


@router.post("/{job_id}/retry", response_model=JobRead, summary="Run a failed job again")
def retry_job(
    job_id: int, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> JobRead:
    return JobRead.of(jobs.retry_job(runtime, principal.actor, job_id, session=session))


@router.post("/{job_id}/cancel", response_model=JobRead, summary="Cancel a queued or running job")
def cancel_job(
    job_id: int, principal: EditorWrite, session: SessionDep, runtime: RuntimeDep
) -> JobRead:
    return JobRead.of(jobs.cancel_job(runtime, principal.actor, job_id, session=session))
