"""Single sign-on end to end: a served Pilothouse, a real OpenID provider, real HTTP.

Every refusal is checked three ways: the answer (status and reason), nothing
provisioned, and the audit record naming why.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import func, select

from pilothouse.core.config import Settings
from pilothouse.core.models import Event, Role, User
from pilothouse.core.sso import provider as idp
from pilothouse.core.sso.models import OidcIdentity, OidcLoginRequest, OidcWebSession
from tests.core.sso.conftest import BREAK_GLASS, CLIENT_ID, CLIENT_SECRET, USERS
from tests.core.sso.flow import callback_url, sign_in, start
from tests.support.accounts import Accounts
from tests.support.oidc_provider import OpenIdProvider
from tests.support.served_app import ServedApp


def _events(served: ServedApp, name: str) -> list[Event]:
    with served.runtime.database.session() as session:
        rows = list(session.scalars(select(Event).where(Event.name == name).order_by(Event.id)))
        session.expunge_all()
        return rows


def _count(served: ServedApp, model: type) -> int:
    with served.runtime.database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _me(client: httpx.Client, served: ServedApp) -> httpx.Response:
    return client.get(f"{served.base_url}/api/v1/me")


def _refused(served: ServedApp, reason: str) -> Event:
    refusals = [
        e for e in _events(served, "auth.sso_refused") if e.changes["reason"]["after"] == reason
    ]
    assert refusals, [e.changes for e in _events(served, "auth.sso_refused")]
    return refusals[-1]


def _with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_first_sign_in_provisions_the_person_with_the_mapped_role(sso: ServedApp) -> None:
    client, answer = sign_in(sso.base_url, "alice", "alice-pw", next_url="/areas")
    assert answer.status_code == 303 and answer.headers["location"] == "/areas"
    me = _me(client, sso).json()
    assert (me["email"], me["name"], me["role"]) == ("alice@example.com", "Alice Admin", "admin")
    # the e-mail is normalised; a second sign-in finds the same person again
    client, answer = sign_in(sso.base_url, "erin", "erin-pw")
    assert _me(client, sso).json()["email"] == "erin@example.com"
    assert _me(client, sso).json()["role"] == "editor"
    client, answer = sign_in(sso.base_url, "alice", "alice-pw")
    assert answer.status_code == 303
    assert _count(sso, User) == 2 and _count(sso, OidcIdentity) == 2
    created = _events(sso, "user.created")
    assert [e.object_label for e in created] == ["alice@example.com", "erin@example.com"]
    assert created[0].actor_label == "sso"
    signed_in = _events(sso, "auth.sso_signed_in")
    assert [e.object_label for e in signed_in] == [
        "alice@example.com",
        "erin@example.com",
        "alice@example.com",
    ]
    assert signed_in[0].changes["subject"]["after"] == "alice"
    assert _count(sso, OidcLoginRequest) == 0  # each pending sign-in used up


def test_existing_account_is_linked_and_its_role_follows_the_groups(
    sso: ServedApp, oidc_provider: OpenIdProvider
) -> None:
    accounts = Accounts(sso.runtime)
    accounts.person(Role.admin, email=BREAK_GLASS)  # so vic is not the last admin
    accounts.person(Role.admin, email="vic@example.com")
    client, answer = sign_in(sso.base_url, "vic", "vic-pw")
    assert answer.status_code == 303
    assert _me(client, sso).json()["role"] == "viewer"  # staff=viewer: the provider decides
    assert _count(sso, User) == 2
    users = {**USERS, "vic": {**USERS["vic"], "groups": ["staff", "ph-editors"]}}
    oidc_provider.setup(_client(sso), users)
    client, answer = sign_in(sso.base_url, "vic", "vic-pw")
    assert _me(client, sso).json()["role"] == "editor"
    roles = [e.changes.get("role") for e in _events(sso, "user.updated")]
    assert {"before": "admin", "after": "viewer"} in roles
    assert {"before": "viewer", "after": "editor"} in roles
    assert _events(sso, "auth.sso_identity_linked")[0].object_label == "vic@example.com"


def _client(served: ServedApp) -> list[dict[str, object]]:
    return [
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{served.base_url}/auth/oidc/callback"],
        }
    ]


def test_a_group_with_no_role_is_refused_and_nobody_is_created(sso: ServedApp) -> None:
    client, answer = sign_in(sso.base_url, "carl", "carl-pw")
    assert answer.status_code == 403
    assert "none of your groups (contractors) gives a role" in answer.text
    assert _me(client, sso).status_code == 401
    assert _count(sso, User) == 0 and _count(sso, OidcIdentity) == 0
    refusal = _refused(sso, "no_role")
    assert refusal.object_label == "carl@example.com" and refusal.object_id == "carl"


def test_no_email_is_refused(sso: ServedApp) -> None:
    _client_, answer = sign_in(sso.base_url, "nomail", "nomail-pw")
    assert answer.status_code == 403 and "no e-mail address" in answer.text
    assert _count(sso, User) == 0
    _refused(sso, "no_email")


def test_a_replayed_callback_is_refused(sso: ServedApp) -> None:
    client, authorize = start(sso.base_url)
    back = callback_url(client, authorize, "alice", "alice-pw", sso.base_url)
    assert client.get(back).status_code == 303
    again = client.get(back)
    assert again.status_code == 400 and "already used" in again.text
    _refused(sso, "bad_state")
    # the same code with a fresh state of this browser: the provider refuses the code
    fresh = _latest_state(client, sso)
    replay = client.get(_with_query(back, state=fresh))
    assert replay.status_code == 403
    assert "refused the code" in replay.text
    _refused(sso, "code_rejected")
    assert len(_events(sso, "auth.sso_signed_in")) == 1


def _latest_state(client: httpx.Client, served: ServedApp) -> str:
    """Start one more sign-in in ``client`` and return its state (from the provider URL)."""
    response = client.get(f"{served.base_url}/auth/oidc/login")
    return parse_qs(urlsplit(response.headers["location"]).query)["state"][0]


def test_bad_state_another_browser_and_a_forged_nonce_are_refused(sso: ServedApp) -> None:
    client, authorize = start(sso.base_url)
    back = callback_url(client, authorize, "alice", "alice-pw", sso.base_url)
    forged = client.get(_with_query(back, state="forged-state"))
    assert forged.status_code == 400 and "unknown" in forged.text
    elsewhere = httpx.get(back)  # a browser without the binding cookie
    assert elsewhere.status_code == 400 and "another browser" in elsewhere.text
    assert _me(client, sso).status_code == 401
    no_state = client.get(f"{sso.base_url}/auth/oidc/callback", params={"code": "x"})
    assert no_state.status_code == 400 and "has no state" in no_state.text
    too_long = client.get(f"{sso.base_url}/auth/oidc/callback", params={"state": "s" * 600})
    assert too_long.status_code == 422 and "state" in too_long.text
    _client2, nonce = sign_in(
        sso.base_url, "alice", "alice-pw", tamper=lambda url: _with_query(url, nonce="forged")
    )
    assert nonce.status_code == 403 and "nonce" in nonce.text
    _refused(sso, "bad_nonce")
    _client3, pkce = sign_in(
        sso.base_url,
        "alice",
        "alice-pw",
        tamper=lambda url: _with_query(url, code_challenge="A" * 43),
    )
    assert pkce.status_code == 403 and "refused the code" in pkce.text
    assert _count(sso, User) == 0 and _events(sso, "auth.sso_signed_in") == []


def test_the_provider_reporting_an_error_is_refused(sso: ServedApp) -> None:
    client, authorize = start(sso.base_url)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    answer = client.get(
        f"{sso.base_url}/auth/oidc/callback",
        params={"state": state, "error": "access_denied", "error_description": "no"},
    )
    assert answer.status_code == 403 and "access_denied" in answer.text
    _refused(sso, "provider_error")


def test_a_token_from_another_issuer_is_refused(
    sso: ServedApp, oidc_provider: OpenIdProvider
) -> None:
    assert sign_in(sso.base_url, "alice", "alice-pw")[1].status_code == 303  # discovery cached
    oidc_provider.use_issuer(oidc_provider.issuer + "/elsewhere")
    _c, mixed_up = sign_in(sso.base_url, "alice", "alice-pw")  # RFC 9207 iss in the callback
    assert mixed_up.status_code == 403 and "the callback comes from issuer" in mixed_up.text
    client, authorize = start(sso.base_url)
    back = callback_url(client, authorize, "alice", "alice-pw", sso.base_url)
    answer = client.get(_with_query(back, iss=None))  # only the ID token tells
    assert answer.status_code == 403 and "the ID token comes from issuer" in answer.text
    assert len(_events(sso, "auth.sso_signed_in")) == 1
    assert _refused(sso, "wrong_issuer").changes["issuer"]["after"] == oidc_provider.issuer


def test_discovery_naming_another_issuer_is_refused(oidc_provider: OpenIdProvider) -> None:
    elsewhere = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    settings = Settings(oidc_issuer=elsewhere, oidc_client_id="x")
    with pytest.raises(idp.ProviderError) as refused:
        idp.metadata(settings)
    assert refused.value.reason == "wrong_issuer"
    assert "check PILOTHOUSE_OIDC_ISSUER" in refused.value.detail


def test_an_expired_id_token_is_refused(sso: ServedApp, oidc_provider: OpenIdProvider) -> None:
    oidc_provider.shift_token_clock(-3600)  # minted an hour ago: expired 50 minutes ago
    client, answer = sign_in(sso.base_url, "alice", "alice-pw")
    assert answer.status_code == 403 and "expired" in answer.text
    assert _me(client, sso).status_code == 401
    _refused(sso, "expired_token")


def test_key_rotation_is_followed_and_unpublished_keys_are_refused(
    sso: ServedApp, oidc_provider: OpenIdProvider
) -> None:
    assert sign_in(sso.base_url, "alice", "alice-pw")[1].status_code == 303  # JWKS cached
    before = oidc_provider.state()["signing_kid"]
    oidc_provider.rotate_keys(keep_old=False)
    assert oidc_provider.state()["signing_kid"] != before
    client, answer = sign_in(sso.base_url, "alice", "alice-pw")
    assert answer.status_code == 303 and _me(client, sso).json()["email"] == "alice@example.com"
    oidc_provider.sign_with_unpublished_key()
    client, answer = sign_in(sso.base_url, "alice", "alice-pw")
    assert answer.status_code == 403 and "signature" in answer.text
    _refused(sso, "bad_signature")


def _password_sign_in(served: ServedApp, email: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=served.base_url, follow_redirects=False) as browser:
        form = browser.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token, form.text
        return browser.post(
            "/login",
            data={"email": email, "password": password, "login_csrf": token.group(1)},
        )


def test_sso_only_refuses_passwords_except_the_break_glass_admin(sso: ServedApp) -> None:
    accounts = Accounts(sso.runtime)
    editor = accounts.person(Role.editor)
    root = accounts.person(Role.admin, email=BREAK_GLASS)
    page = httpx.get(f"{sso.base_url}/login").text
    assert "Sign in with Test IdP" in page and "Break-glass" in page
    refused = _password_sign_in(sso, editor.email, editor.password)
    assert refused.status_code in (401, 403) and "Test IdP only" in refused.text
    assert _password_sign_in(sso, root.email, root.password).status_code == 303
    assert _password_sign_in(sso, root.email, "wrong password!").status_code == 401
    assert [e.object_label for e in _events(sso, "auth.password_refused")] == [editor.email]
    assert len(_events(sso, "auth.break_glass_password_attempt")) == 2


def test_sign_out_ends_the_session_here_and_at_the_provider(sso: ServedApp) -> None:
    client, answer = sign_in(sso.base_url, "alice", "alice-pw")
    assert _count(sso, OidcWebSession) == 1
    page = client.get(f"{sso.base_url}/account/password")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert csrf, page.text
    out = client.post(f"{sso.base_url}/logout", data={"csrf_token": csrf.group(1)})
    # a page that moves on to the provider (a redirect would break CSP form-action 'self')
    onward = re.search(r'<a href="([^"]+)" data-testid="provider-sign-out"', out.text)
    assert out.status_code == 200 and onward, out.text
    assert 'http-equiv="refresh"' in out.text
    provider_url = html.unescape(onward.group(1))
    assert _me(client, sso).status_code == 401  # signed out of Pilothouse already
    assert _count(sso, OidcWebSession) == 0
    signed_out = _events(sso, "auth.sso_signed_out")
    assert [e.actor_label for e in signed_out] == ["alice@example.com"]
    # the provider asks to confirm, then sends the browser back to the sign-in page
    ask = client.get(provider_url)
    assert "id_token_hint" in provider_url and ask.status_code == 200, ask.text
    action = re.search(r'action="([^"]+)"', ask.text)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', ask.text)
    assert action and xsrf, ask.text
    done = client.post(
        str(ask.url.join(action.group(1))), data={"xsrf": xsrf.group(1), "logout": "yes"}
    )
    landing = _follow_all(client, done)
    assert str(landing.url) == f"{sso.base_url}/login", landing.url
    # the provider forgot the browser: signing in again asks for the password
    _c, authorize = client, client.get(f"{sso.base_url}/auth/oidc/login").headers["location"]
    prompt = _follow_all(client, client.get(authorize))
    assert "Test identity provider" in prompt.text and 'name="password"' in prompt.text


def _follow_all(client: httpx.Client, response: httpx.Response) -> httpx.Response:
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response
        response = client.get(response.url.join(response.headers["location"]))
    raise AssertionError("too many redirects")
