"""People: creating accounts, roles, deactivation and passwords."""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change, snapshot
from pilothouse.core.db import utcnow
from pilothouse.core.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from pilothouse.core.models import ApiToken, Role, User, WebSession
from pilothouse.core.pagination import Page, PageRequest, paginate
from pilothouse.core.security import PasswordPolicy

__all__ = [
    "AUDITED_USER_FIELDS",
    "change_password",
    "create_user",
    "get_user",
    "get_user_by_email",
    "list_users",
    "normalise_email",
    "update_user",
]

AUDITED_USER_FIELDS = ("email", "name", "role", "is_active")


def normalise_email(email: str, field: str = "email") -> str:
    """The canonical, lower-case form of ``email``; raises naming ``field`` when invalid."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(
            f"{email!r} is not a valid e-mail address", errors=[FieldError(field, str(exc))]
        ) from None
    return result.normalized.lower()


def _check_password(passwords: PasswordPolicy, password: str, field: str = "password") -> None:
    problem = passwords.problem(password)
    if problem:
        raise ValidationFailed(f"password {problem}", errors=[FieldError(field, problem)])


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with e-mail {email}")
    return user


def list_users(
    session: Session, page: PageRequest, *, role: Role | None = None, active: bool | None = None
) -> Page[User]:
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.is_active == active)
    return paginate(session, query, User.id, page)


def create_user(
    session: Session,
    actor: Actor,
    passwords: PasswordPolicy,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None,
) -> User:
    """Create a person; without a password they cannot sign in until one is set."""
    actor.require(Role.admin, write=True)
    email = normalise_email(email)
    if not name.strip():
        raise ValidationFailed("a name is needed", errors=[FieldError("name", "must not be empty")])
    if password is not None:
        _check_password(passwords, password)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict(
            f"a user with e-mail {email} exists already",
            errors=[FieldError("email", "already taken")],
        )
    user = User(email=email, name=name.strip(), role=role, is_active=True)
    if password is not None:
        user.password_hash = passwords.hash(password)
        user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    after = snapshot(user, AUDITED_USER_FIELDS)
    record_change(
        session,
        actor,
        object_type="user",
        object_id=user.id,
        action=Action.created,
        label=email,
        after=after,
    )
    return user


def update_user(
    session: Session,
    actor: Actor,
    user: User,
    *,
    name: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a person's name, role or active flag; the last active admin is protected."""
    actor.require(Role.admin, write=True)
    before = snapshot(user, AUDITED_USER_FIELDS)
    if name is not None:
        if not name.strip():
            raise ValidationFailed("a name is needed", errors=[FieldError("name", "empty")])
        user.name = name.strip()
    demoting = role is not None and role is not Role.admin
    if (demoting or is_active is False) and user.role is Role.admin and user.is_active:
        _refuse_removing_last_admin(session, user)
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            _end_sessions(session, user)
    session.flush()
    record_change(
        session,
        actor,
        object_type="user",
        object_id=user.id,
        action=Action.updated,
        label=user.email,
        before=before,
        after=snapshot(user, AUDITED_USER_FIELDS),
    )
    return user


def _refuse_removing_last_admin(session: Session, user: User) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, User.is_active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(f"{user.email} is the last active admin; make someone else admin first")


def _end_sessions(session: Session, user: User) -> None:
    for web_session in session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
        session.delete(web_session)
    now = utcnow()
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now


def change_password(
    session: Session,
    actor: Actor,
    passwords: PasswordPolicy,
    user: User,
    *,
    current_password: str | None,
    new_password: str,
    keep_session_hash: str | None = None,
) -> None:
    """Set a new password. People changing their own must give the current one.

    Every other web session of the person ends, so a stolen session does not
    outlive the password change; ``keep_session_hash`` names the one to keep.
    """
    own = actor.user_id == user.id
    if not own:
        actor.require(Role.admin, write=True)
    elif current_password is None or not passwords.verify(user.password_hash, current_password):
        raise BadRequest(
            "the current password is wrong",
            errors=[FieldError("current_password", "does not match")],
        )
    _check_password(passwords, new_password, "new_password")
    user.password_hash = passwords.hash(new_password)
    user.password_changed_at = utcnow()
    user.locked_until = None
    stale: Sequence[WebSession] = session.scalars(
        select(WebSession).where(WebSession.user_id == user.id)
    ).all()
    for web_session in stale:
        if web_session.id_hash != keep_session_hash:
            session.delete(web_session)
    record_change(
        session,
        actor,
        object_type="user",
        object_id=user.id,
        action=Action.updated,
        label=user.email,
        name="user.password_changed",
        before={"password": "(previous)"},
        after={"password": "(changed)"},
    )
