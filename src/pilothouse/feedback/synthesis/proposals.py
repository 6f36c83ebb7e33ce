"""Re-synthesis proposes changes to curated themes instead of rewriting them.

People rename, merge, split and move items; a periodic re-synthesis must not
silently undo that. This module compares the curated themes (theme key to
item keys) with a fresh partition of the same items and proposes:

* ``new``: a fresh group of at least ``min_size`` items, most of which no
  curated theme holds;
* ``merge``: a fresh group that holds most of two or more curated themes;
* ``split``: a curated theme whose items fall into two or more fresh groups
  of at least ``min_size`` items that each hold a large share of it.

The proposals go into a review queue; nothing here changes any theme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pilothouse.feedback.synthesis.results import Proposal

__all__ = ["propose_changes"]

Key = str | int


def _owner(curated: Mapping[Key, Sequence[Key]]) -> dict[Key, Key]:
    return {item: theme for theme, items in curated.items() for item in items}


def propose_changes(
    curated: Mapping[Key, Sequence[Key]],
    fresh: Sequence[Sequence[Key]],
    labels: Sequence[str] | None = None,
    min_size: int = 5,
    share: float = 0.6,
) -> list[Proposal]:
    """Compare curated themes with a fresh partition and propose changes.

    Args:
        curated: Curated theme key to its item keys.
        fresh: Item keys per fresh group.
        labels: Optional label per fresh group (for ``new`` and ``merge``).
        min_size: Smallest group worth proposing.
        share: Fraction that counts as "most of".
    """
    owner = _owner(curated)
    labels = labels or ["" for _ in fresh]
    out: list[Proposal] = []
    for group, label in zip(fresh, labels, strict=True):
        uncovered = [i for i in group if i not in owner]
        if len(group) >= min_size and len(uncovered) >= share * len(group):
            out.append(Proposal("new", (), (tuple(group),), label))
            continue
        members = set(group)
        held = [t for t, items in curated.items() if items and _frac(items, members) >= share]
        if len(held) >= 2:
            out.append(Proposal("merge", tuple(held), (tuple(group),), label))
    out.extend(_splits(curated, fresh, min_size, share))
    return out


def _frac(items: Sequence[Key], members: set[Key]) -> float:
    return sum(1 for i in items if i in members) / len(items)


def _splits(
    curated: Mapping[Key, Sequence[Key]],
    fresh: Sequence[Sequence[Key]],
    min_size: int,
    share: float,
) -> list[Proposal]:
    where = {item: g for g, group in enumerate(fresh) for item in group}
    out = []
    for theme, items in curated.items():
        parts: dict[int, list[Key]] = {}
        for item in items:
            if item in where:
                parts.setdefault(where[item], []).append(item)
        big = [p for p in parts.values() if len(p) >= min_size]
        if len(big) >= 2 and sum(len(p) for p in big) >= share * len(items):
            out.append(Proposal("split", (theme,), tuple(tuple(p) for p in big)))
    return out
