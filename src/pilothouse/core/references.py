"""One presenter for every reference: ``(type, id)`` → a human name and the page it lives on.

Pages name other objects all the time (an item's launches, a theme's roadmap items,
a decision's subjects). Each used to print ``launch 2`` or ``decision:1``. Here each
domain registers, once, a *resolver* per object type it owns; a resolver turns many
ids at once into labels and addresses (one query per type, never one per row).
Core never imports a domain: the modules that register are listed by name in
``core.registry.REFERENCE_MODULES`` and imported on first use, as job handlers are.

A reference whose object is gone (deleted since it was linked) resolves to a
:class:`Reference` with ``deleted=True``; templates show its name struck through,
never an error. A :class:`Reference` renders itself as a link in Jinja
(``{{ ref }}``) through ``__html__``, so every template shows references the same way.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from pilothouse.core.db import is_reading, reading_memo
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Link

__all__ = [
    "HEADING_ORDER",
    "Found",
    "LinkedReference",
    "Reference",
    "ResolveContext",
    "Resolver",
    "group_links",
    "register_type",
    "register_usage",
    "registered_types",
    "relation_label",
    "resolve",
    "resolve_one",
    "type_label",
    "usages_of",
]


@dataclass(frozen=True)
class Found:
    """What a resolver knows about one object: its name, its page and a short detail."""

    label: str
    url: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ResolveContext:
    """What resolvers may read: the request's session and, when there is one, the
    runtime (the metric catalog lives on disk, not in the database)."""

    session: Session
    runtime: Any = None


Resolver = Callable[[ResolveContext, Sequence[str]], Mapping[str, Found]]


@dataclass(frozen=True)
class _TypeInfo:
    label: str
    resolver: Resolver
    #: The resolver answers more when given the runtime (metrics: the catalog's names).
    reads_runtime: bool = False


_TYPES: dict[str, _TypeInfo] = {}
#: ``(target type, heading, provider)``: objects that *use* an object without a link row
#: (an experiment's metrics are its own rows): the other half of "both ways".
UsageProvider = Callable[[ResolveContext, str], Sequence[ObjectRef]]
_USAGES: list[tuple[str, str, UsageProvider]] = []
_loaded = False


def register_type(
    type_name: str, label: str, resolver: Resolver, *, reads_runtime: bool = False
) -> None:
    """Register how objects of ``type_name`` are named (``label``: "Launch") and found.

    ``reads_runtime``: the resolver's answer depends on whether a runtime is given, so a
    reading session keeps its answers apart by that. Registering a type again replaces
    it (a test or plugin may override a built-in).
    """
    _TYPES[type_name] = _TypeInfo(label, resolver, reads_runtime)


def register_usage(target_type: str, heading: str, provider: UsageProvider) -> None:
    """Register a source of back-references: ``provider(context, target_id)`` returns the
    objects that use ``target_type:target_id``, listed on its page under ``heading``."""
    _USAGES.append((target_type, heading, provider))


def usages_of(
    session: Session, ref: ObjectRef, runtime: Any = None
) -> list[tuple[str, list[Reference]]]:
    """What uses ``ref`` by the registered providers, each heading's objects resolved."""
    _load()
    context = ResolveContext(session, runtime)
    found = [
        (heading, list(provider(context, ref.id)))
        for target, heading, provider in _USAGES
        if target == ref.type
    ]
    named = resolve(session, [r for _, refs in found for r in refs], runtime)
    return [(heading, [named[r] for r in refs]) for heading, refs in found if refs]


def _load() -> None:
    global _loaded
    if _loaded:
        return
    from pilothouse.core.registry import REFERENCE_MODULES

    for module in REFERENCE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a domain left out of this installation
            if exc.name is None or not module.startswith(exc.name):
                raise
    _loaded = True


def registered_types() -> dict[str, str]:
    """``{type: human label}`` of every registered type."""
    _load()
    return {name: info.label for name, info in _TYPES.items()}


def type_label(type_name: str) -> str:
    """The human name of an object type: ``feedback_theme`` → "Feedback theme"."""
    _load()
    info = _TYPES.get(type_name)
    return info.label if info else type_name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Reference:
    """A resolved reference, ready to show. ``{{ ref }}`` in a template is the link."""

    type: str
    id: str
    label: str
    url: str | None
    type_label: str
    deleted: bool = False
    detail: str = ""

    @property
    def ref(self) -> str:
        return f"{self.type}:{self.id}"

    def __html__(self) -> str:
        """``<a href=url>label</a>``; a deleted object is struck through and says so."""
        if self.deleted:
            return str(
                Markup(
                    '<del class="ref-deleted">{}</del> <small class="muted">(deleted)</small>'
                ).format(self.label)
            )
        if self.url:
            return str(Markup('<a href="{}">{}</a>').format(self.url, self.label))
        return str(escape(self.label))

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "label": self.label,
            "url": self.url,
            "type_label": self.type_label,
            "deleted": self.deleted,
        }


def _deleted(ref: ObjectRef) -> Reference:
    label = f"{type_label(ref.type)} {ref.id}"
    return Reference(ref.type, ref.id, label, None, type_label(ref.type), deleted=True)


def resolve(
    session: Session, refs: Iterable[ObjectRef], runtime: Any = None
) -> dict[ObjectRef, Reference]:
    """Resolve many references with one resolver call per type.

    Types nobody registered keep their id as label and have no address (not "deleted":
    nothing can tell). A resolver that fails for a type leaves those refs as plain text.
    """
    _load()
    # A reading session (a GET) keeps what it resolved: a page shows the same objects
    # in several places (its links, its impact chain), and nothing can change them
    # within the request. A writing session resolves afresh each time.
    kept: dict[tuple[ObjectRef, bool], Reference] | None = (
        reading_memo(session, _RESOLVED) if is_reading(session) else None
    )

    def key(ref: ObjectRef) -> tuple[ObjectRef, bool]:
        info = _TYPES.get(ref.type)
        return ref, info is not None and info.reads_runtime and runtime is not None

    out: dict[ObjectRef, Reference] = {}
    by_type: dict[str, list[str]] = defaultdict(list)
    for ref in refs:
        if kept is not None and key(ref) in kept:
            out[ref] = kept[key(ref)]
        elif ref.id not in by_type[ref.type]:
            by_type[ref.type].append(ref.id)
    context = ResolveContext(session, runtime)
    for type_name, ids in by_type.items():
        info = _TYPES.get(type_name)
        if info is None:
            for ident in ids:
                out[ObjectRef(type_name, ident)] = Reference(
                    type_name, ident, ident, None, type_label(type_name)
                )
            continue
        found = info.resolver(context, ids)
        for ident in ids:
            ref = ObjectRef(type_name, ident)
            hit = found.get(ident)
            out[ref] = (
                Reference(type_name, ident, hit.label, hit.url, info.label, detail=hit.detail)
                if hit is not None
                else _deleted(ref)
            )
            if kept is not None:
                kept[key(ref)] = out[ref]
    return out


#: ``session.info`` key of the references a reading session has resolved.
_RESOLVED = "resolved_references"


def resolve_one(session: Session, ref: ObjectRef, runtime: Any = None) -> Reference:
    return resolve(session, [ref], runtime)[ref]


# --- links grouped by what they mean -------------------------------------------------------

#: How a link reads from either end: ``(kind, seen from the source?)`` → heading.
_RELATIONS: dict[tuple[str, bool], str] = {
    ("evidence", True): "Evidence for",
    ("evidence", False): "Evidence",
    ("ships", True): "Ships",
    ("ships", False): "Ships in",
    ("measures", True): "Measured by",
    ("measures", False): "Measures",
    ("duplicate", True): "Duplicate of",
    ("duplicate", False): "Duplicates",
}
#: Headings first in this order, then any other alphabetically.
HEADING_ORDER = (
    "Evidence",
    "Evidence for",
    "Ships in",
    "Ships",
    "Experiments",
    "Measured by",
    "Measures",
    "Decisions",
)
#: Links to these types are headed by the type, whatever their kind.
_BY_TYPE = {"decision": "Decisions", "experiment": "Experiments", "external_ticket": "Tickets"}


def relation_label(kind: str, other_type: str, outgoing: bool) -> str:
    """The heading a link is listed under on the page of one of its ends.

    ``outgoing`` is True on the page of the link's source. Decisions and experiments
    are grouped by type; known kinds read as words ("Evidence", "Ships in",
    "Measured by"); any other kind reads "Related".
    """
    if other_type in _BY_TYPE:
        return _BY_TYPE[other_type]
    if (kind, outgoing) in _RELATIONS:
        return _RELATIONS[(kind, outgoing)]
    return "Related" if kind == "related" else kind.replace("_", " ").capitalize()


@dataclass(frozen=True)
class LinkedReference:
    """One link as a page lists it: the object at the other end, the link's kind and id."""

    reference: Reference
    kind: str
    link_id: int
    outgoing: bool = field(default=True)


def group_links(
    session: Session,
    links: Sequence[Link],
    mine: set[tuple[str, str]],
    runtime: Any = None,
) -> list[tuple[str, list[LinkedReference]]]:
    """Links of one object grouped by relation heading, every other end resolved at once.

    Args:
        mine: every ``(type, id)`` the object answers to (its id and any keys).
    """
    ends = []
    for link in links:
        outgoing = (link.from_type, link.from_id) in mine
        other = (
            ObjectRef(link.to_type, link.to_id)
            if outgoing
            else ObjectRef(link.from_type, link.from_id)
        )
        ends.append((link, outgoing, other))
    resolved = resolve(session, [other for _, _, other in ends], runtime)
    grouped: dict[str, list[LinkedReference]] = defaultdict(list)
    for link, outgoing, other in ends:
        heading = relation_label(link.kind, other.type, outgoing)
        grouped[heading].append(LinkedReference(resolved[other], link.kind, link.id, outgoing))
    order = {heading: n for n, heading in enumerate(HEADING_ORDER)}
    return sorted(grouped.items(), key=lambda pair: (order.get(pair[0], len(order)), pair[0]))
