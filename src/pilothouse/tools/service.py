"""Tools: create, change and remove inventory entries, each change audited.

Who may do what (docs/tools.md): everyone signed in reads; editors create and change
tools, import files and update seat usage; only admins delete a tool (retiring it,
``status: retired``, keeps its history in the yearly totals and is what editors do).
Every change is one audit event (``tool.created``/``tool.updated``/``tool.deleted``)
written in the change's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import Role
from pilothouse.tools.checks import clean_values, slugify
from pilothouse.tools.models import Tool, ToolAdmin

__all__ = [
    "AUDITED",
    "apply_clean",
    "create_tool",
    "delete_tool",
    "find_tool",
    "list_tools",
    "tool_state",
    "update_tool",
]

#: The fields the audit log keeps for every change.
AUDITED = (
    "name",
    "category",
    "description",
    "owner_id",
    "cost_cents",
    "currency",
    "billing",
    "seats_bought",
    "seats_used",
    "contract_start",
    "renewal_date",
    "ended_on",
    "notice_days",
    "data_held",
    "sso",
    "status",
    "capabilities",
)
_DEFAULTS: dict[str, Any] = {
    "description": "",
    "cost_cents": 0,
    "currency": "USD",
    "billing": "annual",
    "notice_days": 30,
    "data_held": "",
    "sso": False,
    "status": "active",
    "capabilities": [],
}


def find_tool(session: Session, ref: str | int) -> Tool:
    """A tool by slug (any case) or numeric id."""
    text = str(ref).strip()
    tool = (
        session.get(Tool, int(text))
        if text.isdigit()
        else session.scalar(select(Tool).where(Tool.slug == text.lower()))
    )
    if tool is None:
        raise NotFound(f"no tool {text!r}")
    return tool


def list_tools(session: Session, *, category: str | None = None) -> list[Tool]:
    """Every tool by name (an inventory is tens of rows, not thousands)."""
    query = select(Tool).order_by(Tool.name, Tool.id)
    if category:
        query = query.where(Tool.category == category)
    return list(session.scalars(query))


def tool_state(tool: Tool) -> dict[str, Any]:
    """What the audit log stores of a tool, admins as e-mails."""
    state = snapshot(tool, AUDITED)
    state["capabilities"] = list(tool.capabilities or [])
    state["admins"] = sorted(u.email for u in tool.admins)
    return state


def _unique_slug(session: Session, name: str, own_id: int | None) -> str:
    slug = slugify(name)
    clash = session.scalar(select(Tool).where(Tool.slug == slug))
    if clash is not None and clash.id != own_id:
        raise Conflict(
            f"name: a tool called {clash.name!r} exists already",
            errors=[FieldError("name", f"a tool called {clash.name!r} exists already")],
        )
    return slug


def apply_clean(session: Session, tool: Tool, clean: Mapping[str, Any]) -> None:
    """Set already-cleaned values on ``tool`` (owner and admins are users)."""
    for name, value in clean.items():
        if name == "owner":
            tool.owner = value
            tool.owner_id = value.id if value is not None else None
        elif name == "admins":
            wanted = {u.id: u for u in value}
            for row in list(tool.admin_rows):
                if row.user_id not in wanted:
                    tool.admin_rows.remove(row)
            have = {row.user_id for row in tool.admin_rows}
            tool.admin_rows.extend(
                ToolAdmin(user_id=u.id, user=u) for uid, u in wanted.items() if uid not in have
            )
        elif name == "name":
            tool.name = value
            tool.slug = _unique_slug(session, value, tool.id)
        else:
            setattr(tool, name, value)


def _checked(session: Session, values: Mapping[str, Any], required: tuple[str, ...]) -> dict:
    clean, errors = clean_values(session, values, required=required)
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise ValidationFailed(detail, errors=errors)
    return clean


def create_tool(session: Session, actor: Actor, values: Mapping[str, Any]) -> Tool:
    """Add a tool (editors); ``name`` and ``category`` are required."""
    actor.require(Role.editor, write=True)
    clean = _checked(session, values, ("name", "category"))
    tool = Tool(**{**_DEFAULTS, "capabilities": []})
    apply_clean(session, tool, clean)
    session.add(tool)
    session.flush()
    record_change(
        session,
        actor,
        object_type="tool",
        object_id=tool.id,
        action=Action.created,
        label=tool.name,
        after=tool_state(tool),
    )
    return tool


def update_tool(session: Session, actor: Actor, tool: Tool, values: Mapping[str, Any]) -> Tool:
    """Change the given fields (editors); the others stay as they are."""
    actor.require(Role.editor, write=True)
    clean = _checked(session, values, ())
    before = tool_state(tool)
    apply_clean(session, tool, clean)
    session.flush()
    record_change(
        session,
        actor,
        object_type="tool",
        object_id=tool.id,
        action=Action.updated,
        label=tool.name,
        before=before,
        after=tool_state(tool),
    )
    return tool


def delete_tool(session: Session, actor: Actor, tool: Tool) -> None:
    """Remove a tool for good (admins; editors retire it instead)."""
    actor.require(Role.admin, write=True)
    record_change(
        session,
        actor,
        object_type="tool",
        object_id=tool.id,
        action=Action.deleted,
        label=tool.name,
        before=tool_state(tool),
    )
    session.delete(tool)
    session.flush()
