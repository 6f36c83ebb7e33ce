"""Outgoing webhooks: Standard Webhooks signatures, bodies, and a guarded HTTP send.

Signatures follow the Standard Webhooks specification: the headers ``webhook-id``
(stable across retries, so receivers can drop repeats), ``webhook-timestamp`` (Unix
seconds) and ``webhook-signature``: ``v1,`` + base64 of HMAC-SHA256 over
``"{id}.{timestamp}.{body}"`` keyed with the base64-decoded part of a ``whsec_``
secret. While a secret is rotated both are used, signatures separated by a space.

Targets are checked against server-side request forgery: the host is resolved and
every address must be public (no loopback, private, link-local, multicast, reserved
or unspecified address) unless an admin allowed private targets. The request then
goes to the address that was checked (the ``Host`` header and TLS name stay the
original host), so a DNS answer that changes between check and connect (rebinding)
cannot redirect it. Redirects are never followed; timeouts and body sizes are capped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:  # httpx loads on the first send: less to import when the server starts
    import httpx

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "MAX_REQUEST_BYTES",
    "MAX_RESPONSE_BYTES",
    "READ_TIMEOUT_SECONDS",
    "SendResult",
    "TargetRefused",
    "check_target",
    "new_secret",
    "send",
    "sign",
    "signed_headers",
    "slack_body",
    "standard_body",
]

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 5.0
#: A body larger than this is not sent (the delivery fails with the reason).
MAX_REQUEST_BYTES = 256 * 1024
#: Only this much of a response is read (enough for an error message).
MAX_RESPONSE_BYTES = 64 * 1024
SECRET_PREFIX = "whsec_"


class TargetRefused(Exception):  # noqa: N818 - a refusal, reported with its reason
    """The URL may not be called (bad form, does not resolve, or a private address)."""


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret_list: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,<base64>`` per secret, space-separated."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    parts = []
    for secret in secret_list:
        digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
        parts.append("v1," + base64.b64encode(digest).decode())
    return " ".join(parts)


def signed_headers(
    secret_list: list[str], msg_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers plus the content type."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret_list, msg_id, stamp, body),
    }


def standard_body(data: dict[str, Any], rule_name: str) -> bytes:
    """The Standard Webhooks envelope: ``type``, ``timestamp`` and ``data``."""
    envelope = {
        "type": data["type"],
        "timestamp": data["occurred_at"],
        "data": {**data, "rule": rule_name},
    }
    return json.dumps(envelope, separators=(",", ":"), default=str).encode()


def _mrkdwn(text: str) -> str:
    """Slack escapes only ``&``, ``<`` and ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_MD_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def _slack_markdown(text: str) -> str:
    """Markdown → Slack mrkdwn: ``[a](u)`` → ``<u|a>``, ``**b**`` → ``*b*``."""
    escaped = _mrkdwn(text)
    return _MD_BOLD.sub(r"*\1*", _MD_LINK.sub(r"<\2|\1>", escaped))


def _report_body(data: dict[str, Any], rule_name: str) -> bytes:
    """A published report: its title linked to its page, then its Markdown summary."""
    fields = data.get("fields") or {}
    title, url = str(fields.get("title") or "Report"), str(fields.get("url") or "")
    head = f"*<{url}|{_mrkdwn(title)}>*" if url else f"*{_mrkdwn(title)}*"
    summary = _slack_markdown(str(fields.get("summary") or ""))[:2900]  # Slack: 3,000 max
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": head}},
    ]
    if summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": summary}})
    context = f"report.published · rule {_mrkdwn(rule_name)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    text = f"{title}: {url}" if url else title
    return json.dumps({"text": text, "blocks": blocks}, separators=(",", ":")).encode()


def slack_body(data: dict[str, Any], rule_name: str, link: str | None = None) -> bytes:
    """A Slack/Mattermost incoming-webhook body: ``text`` (fallback) and Block Kit ``blocks``.

    A ``report.published`` event shows the report (title, link, summary) instead of
    its field changes."""
    if data.get("type") == "report.published":
        return _report_body(data, rule_name)
    obj = data["object"]
    label = _mrkdwn(str(obj.get("label") or f"{obj['type']} {obj['id']}"))
    title = f"<{link}|{label}>" if link else f"*{label}*"
    text = f"{data['type']}: {obj.get('label') or obj['id']}"
    changes = [
        f"• {_mrkdwn(name)}: {_mrkdwn(str(c.get('before')))} → {_mrkdwn(str(c.get('after')))}"
        for name, c in list((data.get("changes") or {}).items())[:8]
        if isinstance(c, dict)
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{data['type']}* · {title}"}},
    ]
    if changes:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(changes)}})
    context = f"by {_mrkdwn(str(data.get('actor', '')))} · rule {_mrkdwn(rule_name)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return json.dumps({"text": text, "blocks": blocks}, separators=(",", ":")).encode()


#: NAT64's well-known prefix: its addresses carry an IPv4 address in their last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[Any]:
    """The address and any IPv4 address it carries (IPv4-mapped, 6to4, NAT64), since a
    gateway on the way may turn ``64:ff9b::a9fe:a9fe`` into ``169.254.169.254``."""
    if isinstance(ip, ipaddress.IPv4Address):
        return [ip]
    found: list[Any] = [ip]
    for inner in (ip.ipv4_mapped, ip.sixtofour):
        if inner is not None:
            found.append(inner)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _refused_address(address: str) -> bool:
    """Anything but a public unicast address: ``is_global`` leaves out private, loopback,
    link-local, reserved and unspecified addresses and also shared address space
    (``100.64.0.0/10``, where some clouds keep their metadata service)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(
        not candidate.is_global
        or candidate.is_private
        or candidate.is_loopback
        or candidate.is_link_local
        or candidate.is_multicast
        or candidate.is_reserved
        or candidate.is_unspecified
        for candidate in _embedded(ip)
    )


def check_target(url: str, *, allow_private: bool) -> tuple[str, int, str]:
    """Check ``url`` and resolve its host; returns ``(host, port, address to connect to)``.

    Raises:
        TargetRefused: not http(s), no host, the host does not resolve, or any of its
            addresses is private, loopback or link-local while those are not allowed.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("an http:// or https:// URL with a host expected")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not allowed; use the signature")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host {parts.hostname!r} does not resolve ({exc})") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise TargetRefused(f"the host {parts.hostname!r} has no address")
    blocked = [a for a in addresses if _refused_address(a)]
    if blocked and not allow_private:
        raise TargetRefused(
            f"{parts.hostname} resolves to a private, loopback or link-local address "
            f"({', '.join(blocked)}); an admin can allow private targets in the workspace "
            "settings (automations.allow_private_targets)"
        )
    return parts.hostname, port, addresses[0]


@dataclass(frozen=True)
class SendResult:
    """What came back: status code (None when no response), latency, excerpt, error."""

    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _pinned(url: str, address: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def send(url: str, headers: dict[str, str], body: bytes, *, allow_private: bool) -> SendResult:
    """POST ``body`` to ``url`` once, re-checking the target now (not only at save time)."""
    import httpx

    if len(body) > MAX_REQUEST_BYTES:
        too_big = f"refused: a body of {len(body)} bytes is over the {MAX_REQUEST_BYTES}-byte cap"
        return SendResult(None, 0, error=too_big)
    started = time.monotonic()
    try:
        host, port, address = check_target(url, allow_private=allow_private)
        default_port = port in (80, 443)
        pinned_headers = {**headers, "host": host if default_port else f"{host}:{port}"}
        timeout = httpx.Timeout(READ_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST",
                _pinned(url, address),
                content=body,
                headers=pinned_headers,
                extensions={"sni_hostname": host},
            ) as response,
        ):
            excerpt = _read_capped(response)
    except TargetRefused as exc:
        return SendResult(None, _ms(started), error=f"refused: {exc}")
    except httpx.HTTPError as exc:
        return SendResult(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])
    error = None
    if 300 <= response.status_code < 400:
        error = f"redirect to {response.headers.get('location', '?')} not followed"
    elif not 200 <= response.status_code < 300:
        error = f"HTTP {response.status_code}"
    return SendResult(response.status_code, _ms(started), excerpt, error)


def _read_capped(response: httpx.Response) -> str:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_RESPONSE_BYTES:
            break
    return b"".join(chunks)[:500].decode("utf-8", "replace")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
