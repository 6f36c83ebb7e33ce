"""Workspace settings: the rules a product organisation sets for itself at run time.

``GET /api/v1/workspace/settings`` (anyone signed in: the rules shape what people
may do) and ``PATCH`` (admins; every key checked before any is written; audited).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from pilothouse.core import workspace
from pilothouse.web.deps import AdminWrite, SessionDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/workspace", tags=["workspace"])


class WorkspaceSettingRead(BaseModel):
    key: str
    value: Any
    default: Any
    kind: str
    help: str
    updated_at: datetime | None
    updated_by_id: int | None
    choices: list[str] = Field(
        default_factory=list, description="The values a text setting may take (empty: any)."
    )


class WorkspaceSettings(BaseModel):
    """Every setting with its metadata, and ``values``: key → value, for scripts."""

    items: list[WorkspaceSettingRead]
    values: dict[str, Any]


def _read(session: SessionDep) -> WorkspaceSettings:
    rows = workspace.list_settings(session)
    return WorkspaceSettings(
        items=[WorkspaceSettingRead(**vars(r)) for r in rows],
        values={r.key: r.value for r in rows},
    )


@router.get("/settings", response_model=WorkspaceSettings, summary="Workspace settings")
def get_workspace_settings(_principal: Viewer, session: SessionDep) -> WorkspaceSettings:
    return _read(session)


@router.patch(
    "/settings", response_model=WorkspaceSettings, summary="Change workspace settings (admins)"
)
def update_workspace_settings(
    principal: AdminWrite,
    session: SessionDep,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[{"experiments.require_hypothesis": False}],
            description="Setting keys and their new values; keys left out keep their value.",
        ),
    ],
) -> WorkspaceSettings:
    workspace.update_settings(session, principal.actor, body)
    return _read(session)
