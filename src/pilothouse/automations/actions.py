"""Actions a rule carries out: checking their settings, describing and running them.

Kinds: ``webhook`` (signed HTTP POST), ``notify`` (in-app notification to people or
a role), ``email`` (an e-mail notification through core notifications), ``set_field``
(a roadmap item's field, through the roadmap service), ``link`` (a core link from
the event's object) and ``add_checklist_item`` (an item on the event's launch or a
named one, through the launches service). Each runs as the rule's automation actor,
so the changes it makes carry the event chain (see ``automations.chain``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.automations.email_out import check_addresses
from pilothouse.automations.events import DomainEvent
from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError
from pilothouse.core.models import Role, User

__all__ = [
    "ACTION_KINDS",
    "check_actions",
    "describe_action",
    "people_of",
    "render_text",
    "run_action",
]

#: Kind → (required keys, optional keys).
ACTION_KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "webhook": (frozenset({"url"}), frozenset({"format"})),
    "notify": (frozenset(), frozenset({"users", "role", "title", "body"})),
    "email": (frozenset(), frozenset({"users", "role", "to", "title", "body"})),
    "set_field": (frozenset({"field", "value"}), frozenset()),
    # ``link_kind``, not ``kind``: an action's ``kind`` names the action itself.
    "link": (frozenset({"to"}), frozenset({"link_kind"})),
    "add_checklist_item": (
        frozenset({"text"}),
        frozenset({"launch", "stage", "owner", "required"}),
    ),
}
WEBHOOK_FORMATS = ("standard", "slack")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}")


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_text_of(v) for v in value)
    return str(value)


def render_text(template: str, event: DomainEvent) -> str:
    """``{{ field }}`` placeholders filled from the event's fields (no expressions); a
    list shows as its items joined by commas."""
    values = {**event.fields, "type": event.type}
    return _PLACEHOLDER.sub(lambda m: _text_of(values.get(m[1])), template)


def people_of(action: Mapping[str, Any], event: DomainEvent) -> list[str]:
    """The ``users`` of a notify or e-mail action for ``event``: an entry that is one
    placeholder (``{{ approvers }}``, ``{{ owner_id }}``) names the people in that field
    of the event (a list names each), so a rule reaches the people of each event."""
    found: list[str] = []
    for who in action.get("users") or []:
        text = str(who).strip()
        whole = _PLACEHOLDER.fullmatch(text)
        if whole is None:
            found.append(render_text(text, event))
            continue
        value = {**event.fields}.get(whole[1])
        for one in value if isinstance(value, list | tuple) else [value]:
            if one not in (None, ""):
                found.append(str(one))
    return found


def _check_keys(where: str, kind: str, raw: Mapping[str, Any]) -> list[FieldError]:
    required, optional = ACTION_KINDS[kind]
    problems = [FieldError(f"{where}.{k}", "required") for k in sorted(required - set(raw))]
    for key in sorted(set(raw) - required - optional - {"kind"}):
        known = ", ".join(sorted(required | optional))
        problems.append(FieldError(f"{where}.{key}", f"unknown setting for {kind}; known: {known}"))
    return problems


def _check_people(where: str, raw: Mapping[str, Any], needed: bool = True) -> list[FieldError]:
    users, role = raw.get("users"), raw.get("role")
    problems = []
    if users is not None and not (
        isinstance(users, list) and all(isinstance(u, str | int) for u in users)
    ):
        problems.append(FieldError(f"{where}.users", "a list of e-mail addresses or user ids"))
    if role is not None and role not in Role.__members__:
        problems.append(FieldError(f"{where}.role", f"one of {', '.join(Role.__members__)}"))
    if needed and not users and role is None:
        problems.append(FieldError(f"{where}.users", "name users or a role to notify"))
    return problems


def _check_one(where: str, raw: Any, trigger_object: str | None) -> list[FieldError]:
    if not isinstance(raw, Mapping):
        return [FieldError(where, "a mapping with a kind expected")]
    kind = raw.get("kind")
    if kind not in ACTION_KINDS:
        return [
            FieldError(
                f"{where}.kind", f"unknown action {kind!r}; known: {', '.join(ACTION_KINDS)}"
            )
        ]
    problems = _check_keys(where, kind, raw)
    if kind == "webhook":
        if raw.get("format", "standard") not in WEBHOOK_FORMATS:
            problems.append(FieldError(f"{where}.format", "standard or slack"))
    elif kind == "notify":
        problems += _check_people(where, raw)
    elif kind == "email":
        problems += _check_people(where, raw, needed=not raw.get("to"))
        problems += check_addresses(where, raw.get("to"))
    elif kind == "set_field" and trigger_object != "roadmap_item":
        problems.append(FieldError(f"{where}.kind", "set_field works on roadmap item events only"))
    elif kind == "link":
        if not re.fullmatch(r"[a-z_]+:[A-Za-z0-9_-]+", str(raw.get("to", ""))):
            problems.append(FieldError(f"{where}.to", "TYPE:ID expected, e.g. roadmap_item:12"))
        if not re.fullmatch(r"[a-z_]{1,40}", str(raw.get("link_kind") or "related")):
            problems.append(FieldError(f"{where}.link_kind", "lower-case words joined by _"))
    elif kind == "add_checklist_item":
        problems += _check_checklist(where, raw, trigger_object)
    return problems


def _check_checklist(
    where: str, raw: Mapping[str, Any], trigger_object: str | None
) -> list[FieldError]:
    problems = []
    if not str(raw.get("text") or "").strip():
        problems.append(FieldError(f"{where}.text", "the item's text is needed"))
    if trigger_object != "launch" and not str(raw.get("launch") or "").strip():
        problems.append(
            FieldError(f"{where}.launch", "name a launch (LAUNCH-3): this event is not about one")
        )
    if not isinstance(raw.get("required", True), bool):
        problems.append(FieldError(f"{where}.required", "true or false expected"))
    for key in ("launch", "stage", "owner"):
        if raw.get(key) is not None and not isinstance(raw[key], str | int):
            problems.append(FieldError(f"{where}.{key}", "text expected"))
    return problems


def check_actions(actions: Any, trigger_object: str | None) -> list[FieldError]:
    """Every problem with a rule's actions (webhook targets are checked separately)."""
    if not isinstance(actions, list) or not actions:
        return [FieldError("actions", "at least one action expected")]
    problems: list[FieldError] = []
    for index, raw in enumerate(actions):
        problems += _check_one(f"actions[{index}]", raw, trigger_object)
    return problems


def describe_action(action: Mapping[str, Any], event: DomainEvent) -> str:
    """What the action would do for ``event``, in one sentence (for test fires)."""
    kind = action["kind"]
    if kind == "webhook":
        return f"POST a {action.get('format', 'standard')} webhook to {action['url']}"
    if kind in ("notify", "email"):
        who = ", ".join(people_of(action, event))
        role = f"everyone with the {action['role']} role" if action.get("role") else ""
        what = "e-mail" if kind == "email" else "notify"
        title = render_text(action.get("title") or "{{ type }}: {{ object_label }}", event)
        outside = ", ".join(str(a) for a in action.get("to") or [])
        return f"{what} {' and '.join(p for p in (who, role, outside) if p)}: “{title}”"
    if kind == "set_field":
        return f"set {action['field']} = {action['value']!r} on {event.object_label}"
    if kind == "add_checklist_item":
        launch = render_text(str(action.get("launch") or ""), event) or event.object_label
        stage = f" ({action['stage']})" if action.get("stage") else ""
        return f"add checklist item “{render_text(action['text'], event)}” to {launch}{stage}"
    kind_of_link = action.get("link_kind") or "related"
    return f"link {event.object_type}:{event.object_id} to {action['to']} ({kind_of_link})"


def _recipients(session: Session, action: Mapping[str, Any], event: DomainEvent) -> list[int]:
    ids: set[int] = set()
    for text in people_of(action, event):
        column = User.id if text.isdigit() else User.email
        value: Any = int(text) if text.isdigit() else text.lower()
        found = session.scalar(select(User.id).where(column == value, User.is_active.is_(True)))
        if found is not None:
            ids.add(found)
    if action.get("role"):
        role = Role(action["role"])
        ids.update(
            session.scalars(select(User.id).where(User.role == role, User.is_active.is_(True)))
        )
    return sorted(ids)


def _email_summary(session: Session, recipients: list[int], kind: str) -> str:
    """What an ``email`` action did with each person's choice for automation messages.

    Raises:
        BadRequest: e-mail is not configured (no SMTP host), so the action cannot do
            what it says; the delivery fails with this reason and nothing is stored.
    """
    from pilothouse.core.errors import BadRequest
    from pilothouse.core.notifications import Delivery
    from pilothouse.core.notifications.outbox import runtime_of
    from pilothouse.core.notifications.preferences import delivery_for

    runtime = runtime_of(session)
    if runtime is None or not runtime.settings.smtp_host:
        raise BadRequest(
            "e-mail is not configured: set PILOTHOUSE_SMTP_HOST (docs/notifications.md)",
            errors=[FieldError("kind", "e-mail is not configured")],
        )
    chosen = list(delivery_for(session, recipients, kind, "automation").values())
    now, digest = chosen.count(Delivery.immediately), chosen.count(Delivery.digest)
    parts = [f"e-mail queued for {now} of {len(recipients)} people"]
    if digest:
        parts.append(f"{digest} in their daily digest")
    if len(chosen) - now - digest:
        parts.append(f"{len(chosen) - now - digest} turned this kind of e-mail off")
    return "; ".join(parts)


def _notify(session: Session, kind: str, action: Mapping[str, Any], event: DomainEvent) -> str:
    from pilothouse.core.links import ObjectRef
    from pilothouse.core.notifications import notify

    if kind == "email" and not action.get("users") and not action.get("role"):
        return ""  # only outside addresses: the delivery sends those (email_out)
    recipients = _recipients(session, action, event)
    summary = _email_summary(session, recipients, event.type) if kind == "email" else ""
    title = render_text(action.get("title") or "{{ type }}: {{ object_label }}", event)
    body = render_text(action.get("body") or "", event)
    ref = ObjectRef(event.object_type, event.object_id) if event.object_id != "0" else None
    notify(
        session,
        recipients=recipients,
        kind=event.type,  # people choose per event kind, else for all automation messages
        preference_fallback="automation",
        title=title[:300],
        body_markdown=body,
        ref=ref,
        actor_id=None,
    )
    return summary or f"notified {len(recipients)} people"


def _set_field(
    session: Session, actor: Actor, action: Mapping[str, Any], event: DomainEvent
) -> str:
    from pilothouse.roadmap import items

    item = items.find_item(session, event.object_id)
    items.update_item(session, actor, item, {action["field"]: action["value"]})
    return f"set {action['field']} on {item.key}"


def _link(session: Session, actor: Actor, action: Mapping[str, Any], event: DomainEvent) -> str:
    from pilothouse.core.links import ObjectRef, add_link

    to_type, to_id = str(action["to"]).split(":", 1)
    source = ObjectRef(event.object_type, event.object_id)
    kind_of_link = action.get("link_kind") or "related"
    add_link(session, actor, source, ObjectRef(to_type, to_id), kind_of_link)
    return f"linked {source} to {action['to']}"


def _checklist_item(
    session: Session, actor: Actor, action: Mapping[str, Any], event: DomainEvent
) -> str:
    from pilothouse.core.errors import ValidationFailed
    from pilothouse.launches import checklists
    from pilothouse.launches.common import find_launch

    ref = render_text(str(action.get("launch") or ""), event).strip()
    if not ref and event.object_type != "launch":
        raise ValidationFailed(
            "no launch to add the item to", errors=[FieldError("launch", "required")]
        )
    launch = find_launch(session, ref or event.object_id)
    values = {
        "title": render_text(str(action["text"]), event),
        "stage": render_text(str(action.get("stage") or ""), event) or None,
        "owner": render_text(str(action.get("owner") or ""), event) or None,
        "required": action.get("required", True),
    }
    item = checklists.add_item(session, actor, launch, values)
    stage = next(s.name for s in launch.stages if s.id == item.stage_id)
    return f"added “{item.title}” to {launch.key} ({stage})"


def run_action(
    session: Session, actor: Actor, action: Mapping[str, Any], event: DomainEvent
) -> str:
    """Carry out a non-webhook action in ``session``; returns what was done."""
    kind = action["kind"]
    if kind in ("notify", "email"):
        return _notify(session, kind, action, event)
    if kind == "set_field":
        return _set_field(session, actor, action, event)
    if kind == "link":
        return _link(session, actor, action, event)
    if kind == "add_checklist_item":
        return _checklist_item(session, actor, action, event)
    raise ValueError(f"run_action does not send {kind}")
