"""From the groups (or roles) in an ID token to a Pilothouse role.

Pure functions on plain data, used by the settings validator at start-up and by the
sign-in service, so a bad mapping stops the server before anyone signs in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ROLE_NAMES", "claim_values", "parse_role_map", "role_from_claims"]

#: Roles from lowest to highest; when several groups match, the highest wins.
ROLE_NAMES = ("viewer", "editor", "admin")


def parse_role_map(text: str) -> dict[str, str]:
    """``"group=role, group=role"`` as a dict; raises ``ValueError`` naming the bad entry.

    Group names are compared exactly (case-sensitive), as identity providers send them.
    """
    mapping: dict[str, str] = {}
    for raw in text.replace("\n", ",").split(","):
        entry = raw.strip()
        if not entry:
            continue
        group, sep, role = entry.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not sep or not group:
            raise ValueError(f"entry {entry!r} is not 'group=role'")
        if role not in ROLE_NAMES:
            raise ValueError(f"entry {entry!r}: role must be one of {', '.join(ROLE_NAMES)}")
        if group in mapping and mapping[group] != role:
            raise ValueError(f"group {group!r} is mapped twice")
        mapping[group] = role
    return mapping


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The strings at a dotted claim path (``groups``, ``realm_access.roles``).

    A list gives its string items, a single string gives itself, anything else nothing.
    """
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return []
        value = value[part]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def role_from_claims(
    claims: Mapping[str, Any], path: str, role_map: Mapping[str, str], default: str
) -> str | None:
    """The highest role any of the person's groups maps to, else ``default``.

    ``default`` ``"none"`` (or empty) means "no role": the sign-in is refused.
    """
    matched = [role_map[group] for group in claim_values(claims, path) if group in role_map]
    if matched:
        return max(matched, key=ROLE_NAMES.index)
    return default if default in ROLE_NAMES else None
