"""Reading a numeric id out of text that may also be a key, a slug or a name.

``"12".isdigit()`` is true, but so is ``"²".isdigit()`` (whose ``int()`` raises) and
``"99999999999999999999".isdigit()`` (which no id column holds): both were 500s,
found by the API fuzz test. :func:`parse_id` accepts only what an id can be.
"""

from __future__ import annotations

__all__ = ["ID_MAX", "parse_id"]

#: Ids are 32-bit ``integer`` columns in PostgreSQL.
ID_MAX = 2**31 - 1


def parse_id(text: object) -> int | None:
    """The id ``text`` spells in ASCII digits, or ``None`` (then it is a key or a name)."""
    value = str(text).strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(ID_MAX)):
        return None
    number = int(value)
    return number if number <= ID_MAX else None
