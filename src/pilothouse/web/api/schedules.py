"""Schedules: everyone signed in sees them; admins change them and run one now.

The same service calls as ``pilothouse schedules list|set|run`` and the Schedules page
(``core.schedules``): changes and by-hand runs are audited there.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pilothouse.core import schedules
from pilothouse.web.deps import AdminWrite, RuntimeDep, SessionDep, Viewer

__all__ = ["ScheduleList", "ScheduleRead", "ScheduleRunStarted", "ScheduleUpdate", "router"]

router = APIRouter(prefix="/schedules", tags=["schedules"])


class ScheduleRead(BaseModel):
    """A schedule: when it runs (cron in its time zone), its next slot and latest run."""

    name: str
    title: str
    description: str
    cron: str
    cron_text: str
    time_zone: str
    job_kind: str
    enabled: bool
    next_run_at: datetime | None
    last_slot_at: datetime | None
    last_run_at: datetime | None
    last_run_manual: bool
    last_job_id: int | None
    last_job_status: str | None

    @classmethod
    def of(cls, view: schedules.ScheduleView) -> ScheduleRead:
        return cls(
            name=view.name,
            title=view.title,
            description=view.description,
            cron=view.cron,
            cron_text=view.cron_text,
            time_zone=view.time_zone,
            job_kind=view.job_kind,
            enabled=view.enabled,
            next_run_at=view.next_slot_at,
            last_slot_at=view.last_slot_at,
            last_run_at=view.last_run_at,
            last_run_manual=view.last_run_manual,
            last_job_id=view.last_job_id,
            last_job_status=view.last_job_status,
        )


class ScheduleList(BaseModel):
    items: list[ScheduleRead]
    count: int


class ScheduleUpdate(BaseModel):
    """Fields left out stay as they are; an empty ``time_zone`` means the workspace's."""

    cron: str | None = Field(default=None, max_length=100)
    time_zone: str | None = Field(default=None, max_length=64)
    enabled: bool | None = None


class ScheduleRunStarted(BaseModel):
    """The job a by-hand run started."""

    job_id: int
    job_url: str


@router.get("", response_model=ScheduleList, summary="List schedules")
def list_schedules(_principal: Viewer, runtime: RuntimeDep, session: SessionDep) -> ScheduleList:
    """Every schedule, built-in ones included, by name."""
    items = [ScheduleRead.of(v) for v in schedules.list_schedules(runtime, session)]
    return ScheduleList(items=items, count=len(items))


@router.get("/{name}", response_model=ScheduleRead, summary="Get a schedule")
def get_schedule(
    name: str, _principal: Viewer, runtime: RuntimeDep, session: SessionDep
) -> ScheduleRead:
    return ScheduleRead.of(schedules.get_schedule(runtime, session, name))


@router.patch("/{name}", response_model=ScheduleRead, summary="Update a schedule")
def update_schedule(
    name: str, body: ScheduleUpdate, principal: AdminWrite, runtime: RuntimeDep, session: SessionDep
) -> ScheduleRead:
    """Change the cron expression or time zone, or turn the schedule on or off (audited)."""
    schedules.update_schedule(
        session, principal.actor, name, cron=body.cron, time_zone=body.time_zone,
        enabled=body.enabled,
    )  # fmt: skip
    session.flush()
    return ScheduleRead.of(schedules.get_schedule(runtime, session, name))


@router.post("/{name}/run", response_model=ScheduleRunStarted, status_code=202, summary="Run now")
def run_schedule(
    name: str, principal: AdminWrite, runtime: RuntimeDep, session: SessionDep
) -> ScheduleRunStarted:
    """Start the schedule's job now, outside its slots (audited as a by-hand run)."""
    job_id = schedules.run_schedule_now(runtime, principal.actor, name, session=session)
    return ScheduleRunStarted(job_id=job_id, job_url=f"/jobs/{job_id}")
