"""The password policy of a workspace that signs in with SSO only.

Kept apart from :mod:`.service` because ``core.signin`` calls it, and the service
builds on ``core.signin``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.config import Settings
from pilothouse.core.errors import FieldError, Forbidden
from pilothouse.core.models import Role

__all__ = ["check_password_allowed"]


def check_password_allowed(
    session: Session, settings: Settings, *, email: str, client_address: str
) -> None:
    """Refuse a password sign-in when SSO is the only way in, except for break-glass.

    Both outcomes are audited: a refused password, and every use of the break-glass
    account (which should be rare enough that someone looks at each).
    """
    if not settings.oidc_sso_only:
        return
    glass = (settings.oidc_break_glass_email or "").strip().lower()
    allowed = bool(glass) and email == glass
    record_change(
        session,
        Actor(None, email or "unknown", Role.viewer, client_address),
        object_type="sso_sign_in",
        object_id="-",
        action=Action.created,
        name="auth.break_glass_password_attempt" if allowed else "auth.password_refused",
        label=email,
        after={"email": email, "reason": "break-glass" if allowed else "sso_only"},
    )
    if not allowed:
        raise Forbidden(
            f"this workspace signs in with {settings.oidc_display_name} only; "
            f"use 'Sign in with {settings.oidc_display_name}'",
            errors=[FieldError("password", "passwords are turned off")],
        )
