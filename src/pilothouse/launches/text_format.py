"""A plain-text way to write a launch template, for the template editor page.

One line per thing, indentation optional, ``(-30)`` = days relative to GA::

    stage Discovery (-60)
      required PM: Problem statement agreed (-75)
      optional Design: Prototype tested with five customers (-65)
      gate Discovery review: priya@example.com, daniel@example.com
    stage GA (0)
      required Marketing: Announcement published (0)

Blank lines and lines starting with ``#`` are ignored. Every problem names its line.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.core.models import User
from pilothouse.launches.models import LaunchTemplate

__all__ = ["parse_template_text", "template_text"]

_OFFSET = re.compile(r"\s*\(\s*([+-]?\d+)\s*d?\s*\)\s*$")


def _split_offset(text: str) -> tuple[str, int]:
    match = _OFFSET.search(text)
    if match is None:
        return text.strip(), 0
    return text[: match.start()].strip(), int(match.group(1))


def _parse_line(line: str, stages: list[dict[str, Any]]) -> str | None:
    """Add one line's content to ``stages``; returns a problem, or None."""
    word, _, rest = line.partition(" ")
    word = word.lower()
    if word == "stage":
        name, offset = _split_offset(rest)
        if not name:
            return "a stage needs a name"
        stages.append({"name": name, "offset_days": offset, "items": [], "gates": []})
        return None
    if word not in ("required", "optional", "gate"):
        return f"start the line with stage, required, optional or gate (found {word!r})"
    if not stages:
        return f"a {word} line must come after a stage line"
    if word == "gate":
        name, sep, people = rest.partition(":")
        approvers = [p.strip() for p in people.split(",") if p.strip()]
        if not sep or not name.strip() or not approvers:
            return "write a gate as: gate NAME: approver@example.com, other@example.com"
        stages[-1]["gates"].append({"name": name.strip(), "approvers": approvers})
        return None
    body, offset = _split_offset(rest)
    role, sep, title = body.partition(":")
    if not sep:
        role, title = "", body
    if not title.strip():
        return f"a {word} item needs a title"
    stages[-1]["items"].append(
        {
            "title": title.strip(),
            "owner_role": role.strip(),
            "offset_days": offset,
            "required": word == "required",
        }
    )
    return None


def parse_template_text(text: str) -> list[dict[str, Any]]:
    """The ``stages`` list of a template written as text; raises with every bad line."""
    stages: list[dict[str, Any]] = []
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        problem = _parse_line(line, stages)
        if problem:
            errors.append(FieldError("stages_text", f"line {number}: {problem}"))
    if errors:
        detail = "; ".join(e.message for e in errors[:5])
        raise ValidationFailed(detail, errors=errors)
    return stages


def template_text(session: Session, template: LaunchTemplate) -> str:
    """A template written back in the text format (the editor starts from this)."""
    emails = {u.id: u.email for u in session.scalars(select(User))}
    lines = []
    for stage in template.stages:
        lines.append(f"stage {stage.name} ({stage.offset_days:+d})")
        for item in stage.items:
            word = "required" if item.required else "optional"
            role = f"{item.owner_role}: " if item.owner_role else ""
            lines.append(f"  {word} {role}{item.title} ({item.offset_days:+d})")
        for gate in stage.gates:
            people = ", ".join(emails.get(i, str(i)) for i in gate.approver_ids)
            lines.append(f"  gate {gate.name}: {people}")
    return "\n".join(lines) + "\n"
