"""The SSO service in-process, against the real provider, with settings per test.

The served tests use one configuration; these vary it: a default role, a public
client (PKCE, no secret), a deactivated person, an unverified e-mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from pilothouse.core import users
from pilothouse.core.actor import Actor
from pilothouse.core.errors import Forbidden
from pilothouse.core.models import Event, Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.core.sso import service
from pilothouse.core.sso.models import OidcLoginRequest
from pilothouse.core.sso.service import ProviderUnavailable
from tests.conftest import test_settings as make_settings
from tests.core.sso.conftest import USERS
from tests.core.sso.flow import callback_url
from tests.support.accounts import Accounts
from tests.support.oidc_provider import OpenIdProvider
from tests.support.served_app import free_port

APP = "http://127.0.0.1:9"  # never contacted: the test reads the redirect back to it
REDIRECT = f"{APP}/auth/oidc/callback"


@pytest.fixture
def provider(oidc_provider: OpenIdProvider) -> OpenIdProvider:
    oidc_provider.setup(
        [
            {"client_id": "confidential", "client_secret": "s3cret", "redirect_uris": [REDIRECT]},
            {
                "client_id": "public",
                "token_endpoint_auth_method": "none",
                "redirect_uris": [REDIRECT],
            },
        ],
        {**USERS, "una": {**USERS["vic"], "email": "una@example.com", "email_verified": False}},
    )
    return oidc_provider


def _runtime(runtime: Runtime, tmp_path: Path, issuer: str, **overrides: object) -> Runtime:
    values: dict[str, object] = {
        "oidc_issuer": issuer,
        "oidc_client_id": "confidential",
        "oidc_client_secret": "s3cret",
        "oidc_scopes": "openid email profile groups",
        "oidc_role_map": "ph-admins=admin",
        **overrides,
    }
    settings = make_settings(tmp_path / "sso-home", runtime.database.url, **values)
    return Runtime(settings=settings, database=runtime.database)


def _round_trip(rt: Runtime, username: str) -> int:
    """Sign ``username`` in through the provider; returns the Pilothouse user id."""
    with rt.database.session() as session:
        started = service.start_sign_in(
            session, rt.settings, rt.secrets, redirect_uri=REDIRECT, next_url="/"
        )
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        back = callback_url(browser, started.redirect_url, username, USERS_PW[username], APP)
    query = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    callback = service.Callback(query["state"], query["code"], iss=query.get("iss", ""))
    with rt.database.session() as session:
        finished = service.finish_sign_in(
            session, rt, callback, browser_cookie=started.browser_cookie, client_address="::1"
        )
        return finished.user_id


USERS_PW = {name: str(user["password"]) for name, user in USERS.items()} | {"una": "vic-pw"}


def _role(rt: Runtime, user_id: int) -> Role:
    with rt.database.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.role


@pytest.fixture
def sso_runtime(runtime: Runtime, tmp_path: Path, provider: OpenIdProvider) -> Iterator[Runtime]:
    yield _runtime(runtime, tmp_path, provider.issuer, oidc_default_role="viewer")


def test_default_role_provisions_but_never_overrides_a_role_set_in_pilothouse(
    sso_runtime: Runtime,
) -> None:
    carl = _round_trip(sso_runtime, "carl")  # contractors: in no mapped group
    assert _role(sso_runtime, carl) is Role.viewer
    with sso_runtime.database.session() as session:
        user = session.get(User, carl)
        assert user is not None
        users.update_user(session, Actor.command_line(), user, role=Role.editor)
    assert _round_trip(sso_runtime, "carl") == carl
    assert _role(sso_runtime, carl) is Role.editor  # the admin's choice stands
    alice = _round_trip(sso_runtime, "alice")
    assert _role(sso_runtime, alice) is Role.admin  # a mapped group is applied


def test_a_public_client_signs_in_with_pkce_alone(
    runtime: Runtime, tmp_path: Path, provider: OpenIdProvider
) -> None:
    rt = _runtime(
        runtime, tmp_path, provider.issuer, oidc_client_id="public", oidc_client_secret=None
    )
    alice = _round_trip(rt, "alice")
    assert _role(rt, alice) is Role.admin


def test_a_deactivated_person_stays_out(sso_runtime: Runtime) -> None:
    vic = _round_trip(sso_runtime, "vic")
    with sso_runtime.database.session() as session:
        user = session.get(User, vic)
        assert user is not None
        users.update_user(session, Actor.command_line(), user, is_active=False)
    with pytest.raises(Forbidden, match="deactivated"):
        _round_trip(sso_runtime, "vic")
    with sso_runtime.database.session() as session:
        user = session.get(User, vic)
        assert user is not None and not user.is_active


def test_an_unverified_email_does_not_take_over_an_existing_account(
    sso_runtime: Runtime,
) -> None:
    Accounts(sso_runtime).person(Role.admin, email="una@example.com")
    with pytest.raises(Forbidden, match="has not verified una@example.com"):
        _round_trip(sso_runtime, "una")
    with sso_runtime.database.session() as session:
        reasons = [
            e.changes["reason"]["after"]
            for e in session.scalars(select(Event).where(Event.name == "auth.sso_refused"))
        ]
    assert reasons == ["email_unverified"]


def test_an_unreachable_provider_answers_502_and_stores_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    rt = _runtime(runtime, tmp_path, f"http://127.0.0.1:{free_port()}")  # nobody listens
    with pytest.raises(ProviderUnavailable, match="discovery document") as refused:
        with rt.database.session() as session:
            service.start_sign_in(
                session, rt.settings, rt.secrets, redirect_uri=REDIRECT, next_url="/"
            )
    assert refused.value.status == 502
    with rt.database.session() as session:
        assert session.scalars(select(OidcLoginRequest)).all() == []


def test_without_sso_settings_there_is_no_button_and_no_sso_address(client: object) -> None:
    page = client.get("/login")  # type: ignore[attr-defined]
    assert page.status_code == 200 and "Sign in with" not in page.text
    assert "Break-glass" not in page.text
    for path in ("/auth/oidc/login", "/auth/oidc/callback?state=x&code=y"):
        answer = client.get(path, follow_redirects=False)  # type: ignore[attr-defined]
        assert answer.status_code == 404 and "not configured" in answer.text, path
