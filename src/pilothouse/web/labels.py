"""Human labels for stored values: enum members, status codes and setting keys.

Pages never show a raw stored value such as ``ROLL_BACK``, ``in_progress`` or
``experiments.require_hypothesis``. Templates pass them through one filter,
``|label`` (``|setting_label`` for workspace-setting keys), so every page words the
same value the same way and a new enum member needs no template change.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

__all__ = ["LABEL_OVERRIDES", "enum_label", "setting_label"]

#: Words kept upper-case when a value is turned into words.
_ACRONYMS = frozenset(
    {"ab", "api", "arr", "csv", "ga", "ice", "id", "json", "kr", "nps", "okr", "pm", "rice"}
    | {"sql", "srm", "url", "wsjf", "crm", "ui", "ux", "sla", "mrr", "dau", "mau", "wau"}
)

#: Values whose plain word form reads badly; keyed by the lower-case stored value.
LABEL_OVERRIDES: dict[str, str] = {
    "ship": "Ship it",
    "no_go": "No-go",
    "nogo": "No-go",
    "go_no_go": "Go/no-go",
    "wont_do": "Won't do",
    "in_progress": "In progress",
}

_SPLIT = re.compile(r"[_\-\s]+")


def enum_label(value: Any) -> str:
    """``ROLL_BACK`` → "Roll back", ``Status.in_progress`` → "In progress", None → "—".

    Args:
        value: an ``Enum`` member (its ``value`` is used) or a stored string.

    Returns:
        The value as a sentence-case phrase, acronyms such as GA kept upper-case.
    """
    if value is None or value == "":
        return "—"
    raw = str(value.value if isinstance(value, Enum) else value).strip()
    override = LABEL_OVERRIDES.get(raw.lower())
    if override:
        return override
    words = [w for w in _SPLIT.split(raw) if w]
    if not words:
        return raw
    shaped = [w.upper() if w.lower() in _ACRONYMS else w.lower() for w in words]
    first = shaped[0]
    shaped[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(shaped)


def setting_label(key: str) -> str:
    """The human name of a workspace setting: its declared ``label`` if it has one, else
    the key's last part in words ("experiments.require_hypothesis" → "Require hypothesis")."""
    from pilothouse.core.workspace import WORKSPACE_SETTINGS

    spec = WORKSPACE_SETTINGS.get(key)
    declared = getattr(spec, "label", "") if spec is not None else ""
    if declared:
        return str(declared)
    return enum_label(key.rsplit(".", 1)[-1])
