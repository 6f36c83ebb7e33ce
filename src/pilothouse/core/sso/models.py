"""Tables of single sign-on: linked identities, pending sign-ins, SSO web sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.db import Base, UTCDateTime, utcnow
from pilothouse.core.models import User

__all__ = ["OidcIdentity", "OidcLoginRequest", "OidcWebSession"]


class OidcIdentity(Base):
    """A person at an identity provider (issuer + subject) linked to a Pilothouse user.

    The subject, not the e-mail, is the key: e-mails change, subjects do not.
    """

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class OidcLoginRequest(Base):
    """A sign-in sent to the provider and not yet back: state, nonce and PKCE verifier.

    Keyed by a keyed hash of ``state`` and bound to the browser by the hash of a
    cookie, so a callback is accepted once, from the browser that started it, and any
    web worker can finish it.
    """

    __tablename__ = "oidc_login_requests"

    state_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    next_url: Mapped[str] = mapped_column(String(2000), default="/")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OidcWebSession(Base):
    """A web session started through SSO, with the ID token for the provider's sign-out."""

    __tablename__ = "oidc_web_sessions"

    web_session_hash: Mapped[str] = mapped_column(
        ForeignKey("web_sessions.id_hash", ondelete="CASCADE"), primary_key=True
    )
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("oidc_identities.id", ondelete="CASCADE"), index=True
    )
    id_token: Mapped[str] = mapped_column(Text, default="")
