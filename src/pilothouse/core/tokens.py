"""Personal API tokens: shown once, stored as a keyed hash, scoped read or write."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import Database, utcnow
from pilothouse.core.errors import FieldError, Forbidden, NotFound, Unauthorized, ValidationFailed
from pilothouse.core.models import ApiToken, Role, TokenScope, User
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.core.security import API_TOKEN_PREFIX, SecretHasher, new_secret

__all__ = ["authenticate_token", "create_token", "get_token", "list_tokens", "revoke_token"]

#: Writing ``last_used_at`` on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_token(
    session: Session,
    actor: Actor,
    hasher: SecretHasher,
    *,
    user: User,
    name: str,
    scope: TokenScope,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret, which is never stored."""
    if actor.user_id != user.id:
        actor.require(Role.admin, write=True)
    elif not actor.can_write:
        raise Forbidden("a read-scope token cannot create tokens")
    if not user.is_active:
        raise ValidationFailed(
            f"{user.email} is deactivated", errors=[FieldError("user", "inactive")]
        )
    if not name.strip():
        raise ValidationFailed("a token needs a name", errors=[FieldError("name", "empty")])
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed("expiry is in the past", errors=[FieldError("expires_at", "past")])
    secret = new_secret(API_TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=secret[:10],
        token_hash=hasher.digest(secret),
        scope=scope,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record_change(
        session,
        actor,
        object_type="api_token",
        object_id=token.id,
        action=Action.created,
        label=f"{user.email}: {token.name}",
        after={"name": token.name, "scope": scope.value, "user": user.email},
    )
    return token, secret


def list_tokens(session: Session, page: PageRequest, *, user_id: int | None) -> Page[ApiToken]:
    query = select(ApiToken)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return paginate(session, query, ApiToken.id, page)


def get_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    return token


def revoke_token(session: Session, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a token; its owner or an admin may. Revoking twice is harmless."""
    if actor.user_id != token.user_id:
        actor.require(Role.admin, write=True)
    elif not actor.can_write:
        raise Forbidden("a read-scope token cannot revoke tokens")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_change(
            session,
            actor,
            object_type="api_token",
            object_id=token.id,
            action=Action.updated,
            name="api_token.revoked",
            label=f"{token.user.email}: {token.name}",
            before={"revoked": False},
            after={"revoked": True},
        )
    return token


def authenticate_token(
    session: Session, hasher: SecretHasher, secret: str, *, database: Database | None = None
) -> ApiToken:
    """The live token for ``secret``; raises :class:`Unauthorized` with the reason otherwise.

    With ``database``, the last-use time is written beside a reading session
    (:meth:`Database.write_aside`), so a GET with a token never takes the write lock.
    """
    token = session.scalar(TOKEN_BY_DIGEST, token_lookup_params(hasher, secret))
    return admit_token(session, token, database=database)


#: The token of a digest, built once (a caller may add columns to it): it runs on
#: every API request, and building a statement and its cache key costs more than
#: running it. Parameters: :func:`token_lookup_params`.
TOKEN_BY_DIGEST = select(ApiToken).where(ApiToken.token_hash == bindparam("token_digest"))


def token_lookup_params(hasher: SecretHasher, secret: str) -> dict[str, str]:
    """The parameters of :data:`TOKEN_BY_DIGEST` for ``secret``."""
    return {"token_digest": hasher.digest(secret)}


def admit_token(
    session: Session, token: ApiToken | None, *, database: Database | None = None
) -> ApiToken:
    """``token`` if it is live, its last use noted; raises :class:`Unauthorized` otherwise.

    The second half of :func:`authenticate_token`, for a caller that looked the token
    up itself (:data:`TOKEN_BY_DIGEST`).
    """
    if token is None:
        raise Unauthorized("unknown API token")
    now = utcnow()
    if token.revoked_at is not None:
        raise Unauthorized("this API token was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("this API token has expired")
    if not token.user.is_active:
        raise Unauthorized("the owner of this API token is deactivated")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        if database is None:
            token.last_used_at = now
        else:
            touch = update(ApiToken).filter_by(id=token.id).values(last_used_at=now)
            database.write_aside(session, touch)
            set_committed_value(token, "last_used_at", now)
    return token
