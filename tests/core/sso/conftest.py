"""Fixtures for single sign-on: a real OpenID provider and a served app that trusts it.

One provider (Node, ``oidc-provider``) per run; one ``pilothouse serve`` per backend,
configured for SSO only with a break-glass admin. Each test sets the provider's
client and users afresh (which also gives it new signing keys).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.conftest import DatabaseFactory, PerBackend, clear_all_rows
from tests.core.sso.flow import close_all
from tests.support import served_app
from tests.support.oidc_provider import OpenIdProvider, run_provider

CLIENT_ID = "pilothouse-test"
CLIENT_SECRET = "client-secret-for-tests-only"
BREAK_GLASS = "root@example.com"
ROLE_MAP = "ph-admins=admin, ph-editors=editor, staff=viewer"
USERS = {
    "alice": {
        "password": "alice-pw",
        "email": "alice@example.com",
        "name": "Alice Admin",
        "groups": ["staff", "ph-admins"],
    },
    "erin": {
        "password": "erin-pw",
        "email": "Erin@Example.com",
        "name": "Erin Editor",
        "groups": ["ph-editors"],
    },
    "vic": {
        "password": "vic-pw",
        "email": "vic@example.com",
        "name": "Vic Viewer",
        "groups": ["staff"],
    },
    "carl": {
        "password": "carl-pw",
        "email": "carl@example.com",
        "name": "Carl Contractor",
        "groups": ["contractors"],
    },
    "nomail": {"password": "nomail-pw", "email": None, "name": "No Mail", "groups": ["staff"]},
}


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    with run_provider(tmp_path_factory.mktemp("oidc") / "provider.log") as provider:
        yield provider


@pytest.fixture(scope="session")
def sso_server(
    backend: str,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
    oidc_provider: OpenIdProvider,
    per_backend: PerBackend,
) -> served_app.ServedApp:
    """One SSO server per backend for the session (see ``tests.conftest.PerBackend``)."""
    env = {
        "PILOTHOUSE_OIDC_ISSUER": oidc_provider.issuer,
        "PILOTHOUSE_OIDC_CLIENT_ID": CLIENT_ID,
        "PILOTHOUSE_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "PILOTHOUSE_OIDC_SCOPES": "openid email profile groups",
        "PILOTHOUSE_OIDC_ROLE_MAP": ROLE_MAP,
        "PILOTHOUSE_OIDC_DISPLAY_NAME": "Test IdP",
        "PILOTHOUSE_OIDC_SSO_ONLY": "true",
        "PILOTHOUSE_OIDC_BREAK_GLASS_EMAIL": BREAK_GLASS,
        "PILOTHOUSE_OIDC_CLOCK_SKEW_SECONDS": "30",
        "PILOTHOUSE_OIDC_END_PROVIDER_SESSION": "true",
        # httpx (http.cookiejar) never sends Secure cookies over http://, even on loopback
        "PILOTHOUSE_SESSION_COOKIE_SECURE": "never",
    }

    def make(stack: ExitStack) -> served_app.ServedApp:
        home = tmp_path_factory.mktemp(f"sso-{backend}")
        url = database_factory.new_url(backend)
        return stack.enter_context(served_app.serve(home, url, env))

    server: served_app.ServedApp = per_backend.get("sso_server", backend, make)
    return server


@pytest.fixture
def sso(
    sso_server: served_app.ServedApp, oidc_provider: OpenIdProvider
) -> Iterator[served_app.ServedApp]:
    """The SSO server with the provider freshly set up for it; rows cleared afterwards."""
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{sso_server.base_url}/auth/oidc/callback"],
        "post_logout_redirect_uris": [f"{sso_server.base_url}/login"],
    }
    oidc_provider.setup([client], USERS)
    yield sso_server
    close_all()
    clear_all_rows(sso_server.runtime.database)
