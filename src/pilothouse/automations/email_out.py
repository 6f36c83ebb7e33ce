"""The ``email`` action's outside addresses (``to``): a team list or a shared inbox that
has no Pilothouse account.

People with accounts are reached through core notifications, as each of them chose
(immediately, daily digest, off). An address in ``to`` has no preferences to honour:
the message is sent by the delivery itself, once per try, so it is logged and retried
like a webhook (a temporary SMTP refusal or no connection is tried again with the
delivery's back-off; a permanent 5xx refusal fails it). Its footer names the rule, so
whoever gets it knows whom to ask to stop it.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from email_validator import EmailNotValidError, validate_email
from markupsafe import escape

from pilothouse.core.config import Settings
from pilothouse.core.errors import FieldError

__all__ = ["MAX_ADDRESSES", "build_message", "check_addresses", "send"]

#: At most this many outside addresses per action (a list address reaches more).
MAX_ADDRESSES = 20


def check_addresses(where: str, raw: Any) -> list[FieldError]:
    """Problems with an action's ``to``: a list of up to 20 valid e-mail addresses."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ADDRESSES:
        return [FieldError(f"{where}.to", f"a list of 1 to {MAX_ADDRESSES} e-mail addresses")]
    problems = []
    for index, address in enumerate(raw):
        try:
            validate_email(str(address), check_deliverability=False)
        except EmailNotValidError as exc:
            problems.append(FieldError(f"{where}.to[{index}]", f"not an e-mail address: {exc}"))
    return problems


def build_message(
    settings: Settings, action: Mapping[str, Any], event: Any, rule_name: str
) -> EmailMessage:
    """The message for the action's ``to``: text and HTML parts, a footer naming the rule."""
    from pilothouse.automations.actions import render_text
    from pilothouse.core.notifications.mailer import envelope
    from pilothouse.core.notifications.markdown import render_markdown

    title = render_text(action.get("title") or "{{ type }}: {{ object_label }}", event)
    body = render_text(action.get("body") or "", event)
    page = f"{settings.effective_public_url}/automations"
    footer = (
        f"Sent by the automation rule “{rule_name}” of Pilothouse ({page}). To stop these "
        "e-mails, ask an editor to take this address out of the rule."
    )
    to = ", ".join(str(a) for a in action["to"])
    message = envelope(settings, to, title)
    message.set_content(f"{body}\n\n-- \n{footer}\n" if body else f"{footer}\n")
    html = f'{render_markdown(body)}<hr><p style="color:#7b8794">{escape(footer)}</p>'
    message.add_alternative(f"<!doctype html><html><body>{html}</body></html>", subtype="html")
    return message


def send(settings: Settings, action: Mapping[str, Any], event: Any, rule_name: str) -> str:
    """Send one try; returns what was done. SMTP errors propagate to the delivery."""
    from pilothouse.core.notifications.mailer import send_message

    send_message(settings, build_message(settings, action, event, rule_name))
    return f"e-mailed to {', '.join(str(a) for a in action['to'])}"
