"""Request dependencies: the runtime, a database session, who is asking, and paging.

Every route declares the role it needs with exactly one of the ``Requires``
aliases below (or ``Public``); a test walks the route table to hold that true.
Writes made with a browser session must carry the session's CSRF token, in the
``X-CSRF-Token`` header (htmx, API) or the ``csrf_token`` form field (forms).
Bearer-token requests carry no ambient authority, so they need no CSRF token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Literal

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pilothouse.core import ratelimit
from pilothouse.core.actor import Actor
from pilothouse.core.errors import FieldError, Forbidden, Unauthorized, ValidationFailed
from pilothouse.core.models import ApiToken, Role, TokenScope, User, WebSession
from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from pilothouse.core.security import SecretHasher
from pilothouse.core.signin import resolve_session
from pilothouse.core.tokens import TOKEN_BY_DIGEST, admit_token, token_lookup_params

__all__ = [
    "SESSION_COOKIE",
    "AdminRead",
    "AdminWrite",
    "EditorWrite",
    "OwnWrite",
    "PageParams",
    "Principal",
    "Public",
    "Requires",
    "RuntimeDep",
    "SessionDep",
    "Viewer",
    "WriteSessionDep",
    "client_address",
]

logger = logging.getLogger(__name__)
SESSION_COOKIE = "pilothouse_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_runtime(request: Request) -> Runtime:
    """The app's runtime. ``async`` because FastAPI runs a plain function dependency
    in the thread pool: a hop of about 50 microseconds for an attribute read."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(request: Request, runtime: RuntimeDep) -> AsyncIterator[Session]:
    """One database session per request, committed before the response is sent.

    GET and HEAD requests get a reading session: on SQLite it does not queue behind
    writers for the write lock (see :meth:`pilothouse.core.db.Database.session`).

    ``async``, with only the commit or rollback in the thread pool: opening a session
    sends nothing to the database, and FastAPI would run a plain generator's start
    in a thread of its own (a hop of about 90 microseconds on every request). The end
    runs as FastAPI runs a plain generator's, on a limiter of its own, so that a full
    thread pool can never keep a request from finishing.
    """
    reading = request.method not in UNSAFE_METHODS
    manager = runtime.database.session(reading=reading)
    session = manager.__enter__()
    ending = CapacityLimiter(1)
    try:
        yield session
    except Exception as exc:  # as FastAPI's own: a cancelled request ends unanswered
        kept = await to_thread.run_sync(
            manager.__exit__, type(exc), exc, exc.__traceback__, limiter=ending
        )
        if not kept:
            raise
    else:
        await to_thread.run_sync(manager.__exit__, None, None, None, limiter=ending)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_write_session(runtime: RuntimeDep) -> Iterator[Session]:
    """An ordinary (writing) session for the few GET routes that must write: the
    single sign-on redirect and callback, whose method the OpenID protocol fixes."""
    with runtime.database.session() as session:
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Identity:
    """Plain facts about the signed-in person, safe to use after the session closed.

    Error pages render after the request's transaction rolled back, when the ORM
    ``User`` is expired; templates therefore read this snapshot instead.
    """

    id: int
    email: str
    name: str
    role: Role


@dataclass(frozen=True)
class Principal:
    """The person behind a request and how they proved it."""

    user: User
    actor: Actor
    via: Literal["session", "token"]
    web_session: WebSession | None = None
    identity: Identity = field(init=False)
    csrf_token: str = field(init=False)

    def __post_init__(self) -> None:
        user = self.user
        object.__setattr__(self, "identity", Identity(user.id, user.email, user.name, user.role))
        csrf = self.web_session.csrf_token if self.web_session else ""
        object.__setattr__(self, "csrf_token", csrf)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return value.strip()


#: The token of a digest and its caller's count of bad tokens: one statement, built once.
_TOKEN_AND_FAILURES = TOKEN_BY_DIGEST.add_columns(ratelimit.TOKEN_FAILURES_COUNTED)


def _guarded_token(session: Session, runtime: Runtime, secret: str, address: str) -> ApiToken:
    """The token for ``secret``; an address that sent many bad tokens is refused first.

    The address's count of bad tokens is read in the token's own statement. When that
    count is at the limit, or no token matched (so no count came back), the limit is
    checked on its own before the answer: a refused address gets 429, never a 401 that
    would tell it whether its guess was right.
    """
    settings = runtime.settings
    params = {
        **token_lookup_params(runtime.secrets, secret),
        **ratelimit.token_failures_params(settings, address),
    }
    row = session.execute(_TOKEN_AND_FAILURES, params).first()
    if row is None or row[1] >= settings.api_token_max_failures_per_ip:
        ratelimit.check_token_failures(session, settings, address)
    try:
        return admit_token(session, row[0] if row else None, database=runtime.database)
    except Unauthorized as exc:  # counted after the request's rollback
        exc.record = ratelimit.token_failure_record(address)
        raise


def _authenticate(request: Request, session: Session, runtime: Runtime) -> Principal:
    address = client_address(request)
    secret = _bearer(request)
    if secret is not None:
        token = _guarded_token(session, runtime, secret, address)
        actor = Actor.for_user(
            token.user, client_address=address, can_write=token.scope is TokenScope.write
        )
        return Principal(token.user, actor, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized("sign in, or send an API token as 'Authorization: Bearer <token>'")
    record = resolve_session(
        session, runtime.settings, runtime.secrets, cookie, database=runtime.database
    )
    return Principal(
        record.user, Actor.for_user(record.user, client_address=address), "session", record
    )


def _authenticate_and_note(request: Request, session: Session, runtime: Runtime) -> Principal:
    """:func:`_authenticate` and :func:`_note_activity` in one trip to the thread pool."""
    principal = _authenticate(request, session, runtime)
    _note_activity(session, runtime, principal)
    return principal


def _authenticate_before_writing(request: Request, session: Session, runtime: Runtime) -> Principal:
    """Who is asking, read in a transaction of its own, for a write request on SQLite.

    SQLite has one writer at a time, and a write request's session takes the write
    lock at its first statement (``BEGIN IMMEDIATE``, see ``core/db.py``). Were the
    credentials checked in that session, every write would hold the lock through
    the token or session look-up and the rate-limit check as well as its own work,
    and other writers would queue behind it. They are read beside it instead, the
    way a GET reads them, and the person is then attached to the request's session
    without a statement (``merge(load=False)``), so the lock is taken only when the
    route itself starts on the database. The attached objects are expired: a route
    that reads them (a password change, an admin editing their own account) reads them
    again in its transaction. The credentials are not checked again: a token revoked
    while the request waited for the lock is like one revoked just after it. A
    refusal's record is written once, by the reading session.
    """
    with runtime.database.session(reading=True) as reader:
        principal = _authenticate(request, reader, runtime)
        _note_activity(reader, runtime, principal)
    user = session.merge(principal.user, load=False)
    web_session = principal.web_session
    if web_session is not None:
        web_session = session.merge(web_session, load=False)
    attached = Principal(user, principal.actor, principal.via, web_session)
    # What the route reads of them is read again inside its own transaction, after the
    # lock: a password change checks the hash as it is now, not as it was before this
    # request waited for the lock. A route that reads neither sends no statement.
    session.expire(user)
    if web_session is not None:
        session.expire(web_session)
    return attached


def _note_activity(session: Session, runtime: Runtime, principal: Principal) -> None:
    """Weekly active users of Pilothouse (process health): at most one row per person
    and day, written beside a reading session. Bookkeeping never fails a request."""
    from pilothouse.ops.health.activity import record_activity

    user = principal.user
    try:
        record_activity(
            runtime.database,
            session,
            user.id,
            user.role.value,
            runtime.settings.timezone,
            user_created=user.created_at,
        )
    except Exception:  # noqa: BLE001 - logged; the request goes on
        logger.warning("could not record activity of user %s", user.id, exc_info=True)


async def _check_csrf(request: Request, principal: Principal) -> None:
    expected = principal.csrf_token
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not given or not expected or not SecretHasher.same(given, expected):
        raise Forbidden("the form has expired or did not come from this site; reload and retry")


class Requires:
    """Dependency that admits a request only for a signed-in person with ``role``.

    ``write=True`` also demands a write-scope token or, for browser sessions, the
    CSRF token. Routes never check roles themselves.
    """

    def __init__(self, role: Role, *, write: bool = False, own: bool = False) -> None:
        self.role = role
        self.write = write
        #: ``own`` routes act only on the caller's own things (password, tokens), so
        #: any role may write there.
        self.own = own

    def __repr__(self) -> str:
        return f"Requires({self.role.value}, write={self.write}, own={self.own})"

    async def __call__(
        self, request: Request, session: SessionDep, runtime: RuntimeDep
    ) -> Principal:
        unsafe = request.method in UNSAFE_METHODS
        if unsafe and runtime.database.is_sqlite:
            principal = await run_in_threadpool(
                _authenticate_before_writing, request, session, runtime
            )
            request.state.principal = principal
        else:
            try:
                principal = await run_in_threadpool(
                    _authenticate_and_note, request, session, runtime
                )
            except Unauthorized:
                await run_in_threadpool(session.commit)  # keep expired-session clean-up
                raise
            request.state.principal = principal
        if unsafe and principal.via == "session":
            await _check_csrf(request, principal)
        principal.actor.require(self.role, write=self.write or unsafe)
        return principal


class PublicAccess:
    """Marks a route that anyone may call (sign-in page, health check, static assets)."""

    def __repr__(self) -> str:
        return "Public"

    async def __call__(self) -> None:  # async: no thread-pool hop for nothing
        return None


Viewer = Annotated[Principal, Depends(Requires(Role.viewer))]
OwnWrite = Annotated[Principal, Depends(Requires(Role.viewer, write=True, own=True))]
EditorWrite = Annotated[Principal, Depends(Requires(Role.editor, write=True))]
AdminRead = Annotated[Principal, Depends(Requires(Role.admin))]
AdminWrite = Annotated[Principal, Depends(Requires(Role.admin, write=True))]
Public = Depends(PublicAccess())


async def page_params(  # async: pure arithmetic, no thread-pool hop
    runtime: RuntimeDep,
    limit: Annotated[int | None, Query(ge=1, description="Items per page.")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> PageRequest:
    settings = runtime.settings
    if limit is not None and limit > settings.api_max_page_size:
        raise ValidationFailed(
            f"limit may be at most {settings.api_max_page_size}",
            errors=[FieldError("limit", f"at most {settings.api_max_page_size}")],
        )
    return PageRequest(limit=limit or settings.api_page_size, cursor=cursor)


PageParams = Annotated[PageRequest, Depends(page_params)]
