"""Signing in with the OpenID provider: start, callback, provisioning, policy, sign-out.

Every SSO sign-in and every refusal is in the audit log. A refusal raises
:class:`~pilothouse.core.errors.Forbidden` (or ``BadRequest`` for a malformed
callback) carrying a ``record`` function: the request's work is rolled back, then
the refusal is written, and the pending sign-in it used is deleted, in a transaction
of its own (see :mod:`pilothouse.core.errors`). So a callback is used at most once
whether it succeeds or not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pilothouse.core import users
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.config import Settings
from pilothouse.core.db import utcnow
from pilothouse.core.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PilothouseError,
    ValidationFailed,
)
from pilothouse.core.models import Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.core.security import SecretHasher, new_secret
from pilothouse.core.signin import NewSession
from pilothouse.core.signin import _start_session as start_web_session
from pilothouse.core.sso import provider
from pilothouse.core.sso.mapping import claim_values, parse_role_map, role_from_claims
from pilothouse.core.sso.models import OidcIdentity, OidcLoginRequest, OidcWebSession

__all__ = [
    "Callback",
    "FinishedSignIn",
    "ProviderUnavailable",
    "StartedSignIn",
    "finish_sign_in",
    "note_sign_out",
    "start_sign_in",
]

LOGIN_REQUEST_MINUTES = 10


class ProviderUnavailable(PilothouseError):
    """The OpenID provider could not be reached or answered nonsense."""

    status = 502
    code = "sso-provider-unavailable"
    title = "Single sign-on provider unavailable"


@dataclass(frozen=True)
class StartedSignIn:
    """Where to send the browser, and the value of its binding cookie."""

    redirect_url: str
    browser_cookie: str


@dataclass(frozen=True)
class Callback:
    """The query of the provider's redirect back to Pilothouse."""

    state: str = ""
    code: str = ""
    error: str = ""
    error_description: str = ""
    iss: str = ""


@dataclass(frozen=True)
class FinishedSignIn:
    started: NewSession
    next_url: str
    user_id: int


@dataclass(frozen=True)
class _Attempt:
    """Plain facts about one callback, for the audit record of a refusal."""

    client_address: str
    issuer: str
    state_hash: str = ""
    subject: str = ""
    email: str = ""


def start_sign_in(
    session: Session, settings: Settings, hasher: SecretHasher, *, redirect_uri: str, next_url: str
) -> StartedSignIn:
    """Record a pending sign-in and return the provider's authorization URL for it."""
    if not settings.oidc_enabled:
        raise NotFound("single sign-on is not configured (PILOTHOUSE_OIDC_ISSUER)")
    state, nonce, verifier, browser = (new_secret(nbytes=32) for _ in range(4))
    try:
        url = provider.authorization_url(
            settings, redirect_uri=redirect_uri, state=state, nonce=nonce, code_verifier=verifier
        )
    except provider.ProviderError as exc:
        raise ProviderUnavailable(f"single sign-on is unavailable: {exc.detail}") from None
    now = utcnow()
    session.execute(delete(OidcLoginRequest).where(OidcLoginRequest.expires_at < now))
    session.add(
        OidcLoginRequest(
            state_hash=hasher.digest(state),
            browser_hash=hasher.digest(browser),
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            next_url=next_url,
            created_at=now,
            expires_at=now + timedelta(minutes=LOGIN_REQUEST_MINUTES),
        )
    )
    return StartedSignIn(url, browser)


def _refusal(
    error: type[PilothouseError], attempt: _Attempt, reason: str, detail: str, field: str = ""
) -> PilothouseError:
    """The error to raise; its record deletes the used pending sign-in and audits why."""

    def record(session: Session) -> None:
        if attempt.state_hash:
            session.execute(
                delete(OidcLoginRequest).where(OidcLoginRequest.state_hash == attempt.state_hash)
            )
        record_change(
            session,
            Actor(
                None,
                f"sso:{attempt.email or attempt.subject or 'unknown'}",
                Role.viewer,
                attempt.client_address,
            ),
            object_type="sso_sign_in",
            object_id=attempt.subject or "-",
            action=Action.created,
            name="auth.sso_refused",
            label=attempt.email or attempt.subject,
            after={
                "reason": reason,
                "detail": detail,
                "issuer": attempt.issuer,
                "subject": attempt.subject,
                "email": attempt.email,
            },
        )

    errors = [FieldError(field, detail)] if field else None
    return error(f"Single sign-on refused: {detail}", errors=errors, record=record)


def _consume(
    session: Session,
    hasher: SecretHasher,
    callback: Callback,
    browser_cookie: str,
    attempt: _Attempt,
) -> OidcLoginRequest:
    """The pending sign-in this callback answers, deleted so it cannot be used again."""
    if not callback.state:
        raise _refusal(BadRequest, attempt, "bad_state", "the callback has no state", "state")
    pending = session.get(OidcLoginRequest, attempt.state_hash)
    if pending is None or pending.expires_at < utcnow():
        raise _refusal(
            BadRequest,
            attempt,
            "bad_state",
            "this sign-in is unknown, was already used or has expired; start again",
            "state",
        )
    if not browser_cookie or not SecretHasher.same(
        pending.browser_hash, hasher.digest(browser_cookie)
    ):
        raise _refusal(
            BadRequest,
            attempt,
            "bad_state",
            "this sign-in was started in another browser; start again",
            "state",
        )
    deleted = session.execute(
        delete(OidcLoginRequest).where(OidcLoginRequest.state_hash == attempt.state_hash)
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent replay won the row
        raise _refusal(BadRequest, attempt, "bad_state", "this sign-in was already used", "state")
    return pending


def finish_sign_in(
    session: Session,
    runtime: Runtime,
    callback: Callback,
    *,
    browser_cookie: str,
    client_address: str,
    user_agent: str = "",
) -> FinishedSignIn:
    """Check the provider's answer, provision or update the person and start a session."""
    settings = runtime.settings
    if not settings.oidc_enabled:
        raise NotFound("single sign-on is not configured (PILOTHOUSE_OIDC_ISSUER)")
    attempt = _Attempt(
        client_address,
        settings.oidc_issuer or "",
        runtime.secrets.digest(callback.state) if callback.state else "",
    )
    pending = _consume(session, runtime.secrets, callback, browser_cookie, attempt)
    claims, id_token = _claims(settings, callback, pending, attempt)
    attempt = replace(attempt, subject=str(claims["sub"]), email=str(claims.get("email") or ""))
    identity = _provision(session, runtime, claims, attempt)
    user = identity.user
    started = start_web_session(
        session, settings, runtime.secrets, user, client_address, user_agent
    )
    _signed_in(session, started, identity, id_token, client_address)
    return FinishedSignIn(started, pending.next_url, user.id)


def _signed_in(
    session: Session, started: NewSession, identity: OidcIdentity, id_token: str, address: str
) -> None:
    """Mark the new web session as SSO's (for sign-out) and audit the sign-in."""
    session.add(
        OidcWebSession(
            web_session_hash=started.record.id_hash, identity_id=identity.id, id_token=id_token
        )
    )
    identity.last_sign_in_at = utcnow()
    user = identity.user
    record_change(
        session,
        Actor.for_user(user, client_address=address),
        object_type="user",
        object_id=user.id,
        action=Action.created,
        name="auth.sso_signed_in",
        label=user.email,
        after={"issuer": identity.issuer, "subject": identity.subject, "role": user.role.value},
    )


def _claims(
    settings: Settings, callback: Callback, pending: OidcLoginRequest, attempt: _Attempt
) -> tuple[dict[str, Any], str]:
    """The verified ID-token claims of this callback, and the ID token itself."""
    if callback.error:
        detail = f"the provider answered {callback.error!r}"
        if callback.error_description:
            detail += f" ({callback.error_description[:200]})"
        raise _refusal(Forbidden, attempt, "provider_error", detail)
    if not callback.code:
        raise _refusal(BadRequest, attempt, "bad_request", "the callback has no code", "code")
    try:
        issuer = provider.metadata(settings)["issuer"]
        if callback.iss and callback.iss != issuer:  # RFC 9207: a mix-up of providers
            raise provider.ProviderError(
                "wrong_issuer", f"the callback comes from issuer {callback.iss!r}, not {issuer!r}"
            )
        tokens = provider.exchange_code(
            settings,
            code=callback.code,
            redirect_uri=pending.redirect_uri,
            code_verifier=pending.code_verifier,
        )
        claims = provider.verify_id_token(settings, tokens["id_token"], nonce=pending.nonce)
    except provider.ProviderError as exc:
        error = ProviderUnavailable if exc.reason == "provider_unreachable" else Forbidden
        raise _refusal(error, attempt, exc.reason, exc.detail) from None
    return claims, tokens["id_token"]


def _email(claims: dict[str, Any], attempt: _Attempt) -> str:
    """The person's e-mail: ``email``, else an e-mail-shaped ``preferred_username`` (Entra)."""
    raw = claims.get("email") or claims.get("preferred_username") or ""
    if not isinstance(raw, str) or "@" not in raw:
        raise _refusal(
            Forbidden,
            attempt,
            "no_email",
            "the provider sent no e-mail address; add the 'email' scope or claim",
        )
    try:
        return users.normalise_email(raw)
    except ValidationFailed:
        raise _refusal(
            Forbidden, attempt, "no_email", f"the provider's e-mail {raw!r} is not valid"
        ) from None


def _provision(
    session: Session, runtime: Runtime, claims: dict[str, Any], attempt: _Attempt
) -> OidcIdentity:
    """The identity for these claims, creating the person on first sign-in (JIT).

    A role that comes from a mapped group is the provider's word and is applied at
    every sign-in. The default role only provisions new people: an existing
    person's role, set by an admin in Pilothouse, is not reset to it.
    """
    settings = runtime.settings
    role_map = parse_role_map(settings.oidc_role_map or "")
    mapped = role_from_claims(claims, settings.oidc_role_claim, role_map, "none")
    email = _email(claims, attempt)
    attempt = replace(attempt, email=email)
    if mapped is None and settings.oidc_default_role == "none":
        groups = ", ".join(claim_values(claims, settings.oidc_role_claim)) or "none"
        detail = f"none of your groups ({groups}) gives a role in Pilothouse; ask an admin"
        raise _refusal(Forbidden, attempt, "no_role", detail)
    identity = session.scalar(
        select(OidcIdentity).where(
            OidcIdentity.issuer == claims["iss"], OidcIdentity.subject == claims["sub"]
        )
    )
    system = Actor(None, "sso", Role.admin, attempt.client_address)
    role = Role(mapped or settings.oidc_default_role)
    if identity is None:
        identity = _link(session, runtime, claims, email, role, attempt, system)
    user = identity.user
    if not user.is_active:
        raise _refusal(
            Forbidden, attempt, "deactivated", f"the account {user.email} is deactivated"
        )
    identity.email = email
    if mapped is not None and user.role is not role:
        _sync_role(session, system, user, role)
    return identity


def _sync_role(session: Session, system: Actor, user: User, role: Role) -> None:
    """Apply the role the person's groups give; audited as any role change."""
    try:
        users.update_user(session, system, user, role=role)
    except Conflict:
        pass  # the last active admin keeps the role; users.update_user explains why


def _link(
    session: Session,
    runtime: Runtime,
    claims: dict[str, Any],
    email: str,
    role: Role,
    attempt: _Attempt,
    system: Actor,
) -> OidcIdentity:
    """Link a first-time identity to the person with its e-mail, or create that person."""
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and claims.get("email_verified") is False:
        raise _refusal(
            Forbidden,
            attempt,
            "email_unverified",
            f"the provider has not verified {email}, which belongs to an existing account",
        )
    if user is None:
        user = _new_person(session, runtime, system, claims, email, role)
    identity = OidcIdentity(
        issuer=str(claims["iss"]), subject=str(claims["sub"]), user_id=user.id, email=email
    )
    session.add(identity)
    session.flush()
    record_change(
        session,
        system,
        object_type="user",
        object_id=user.id,
        action=Action.updated,
        name="auth.sso_identity_linked",
        label=email,
        before={"identity": None},
        after={"identity": f"{identity.issuer} {identity.subject}"},
    )
    return identity


def _new_person(
    session: Session,
    runtime: Runtime,
    system: Actor,
    claims: dict[str, Any],
    email: str,
    role: Role,
) -> User:
    """Just-in-time provisioning: a person without a password, named from the claims."""
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    return users.create_user(
        session,
        system,
        runtime.passwords,
        email=email,
        name=(name or email.split("@")[0]).strip()[:200] or email,
        role=role,
        password=None,
    )


def note_sign_out(
    session: Session, runtime: Runtime, cookie_value: str, actor: Actor, *, after: str
) -> str | None:
    """Audit the end of a session that SSO started; the session row goes as usual.

    Returns the provider's sign-out address (RP-initiated logout, coming back to
    ``after``) when ``oidc_end_provider_session`` is on and the provider has one.
    """
    link = session.get(OidcWebSession, runtime.secrets.digest(cookie_value or "-"))
    if link is None:
        return None
    identity = session.get(OidcIdentity, link.identity_id)
    record_change(
        session,
        actor,
        object_type="user",
        object_id=actor.user_id or "-",
        action=Action.deleted,
        name="auth.sso_signed_out",
        label=actor.label,
        before={
            "issuer": identity.issuer if identity else "",
            "subject": identity.subject if identity else "",
        },
    )
    if not runtime.settings.oidc_end_provider_session:
        return None
    return provider.end_session_url(runtime.settings, id_token=link.id_token, after=after)
