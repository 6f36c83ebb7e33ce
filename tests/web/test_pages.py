"""Pages: sign-in flow, forms with CSRF tokens, flash messages, headers, local-only URLs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi import FastAPI
from fastapi.testclient import TestClient

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.workspace import set_setting
from pilothouse.web.middleware import CONTENT_SECURITY_POLICY
from tests.support.accounts import Accounts, csrf_of, sign_in
from tests.support.routes import api_routes


class _Urls(HTMLParser):
    """Collects every URL a page makes the browser load or navigate to."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "action", "poster", "data", "formaction"):
            if values.get(name):
                self.urls.append(str(values[name]))
        self.inline_handlers += [n for n, _ in attrs if n.startswith("on")]
        if tag == "script":
            self._in_script = "src" not in values
        if tag == "style" or "style" in values:
            self.inline_handlers.append(f"inline style on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def _is_local(url: str) -> bool:
    return not re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", url, re.IGNORECASE) or url.startswith(
        ("data:", "mailto:")
    )


def _page_paths(app: FastAPI) -> list[str]:
    paths = []
    for route in api_routes(app):
        if "GET" in route.methods and not route.path.startswith("/api/") and "{" not in route.path:
            paths.append(route.path)
    # Single sign-on's two addresses are redirects to and from the provider, not pages.
    paths = [p for p in paths if not p.startswith("/auth/oidc/")]
    return sorted(set(paths)) + ["/api/v1/docs"]


def test_every_page_loads_only_local_urls_and_no_inline_script(
    app: FastAPI, client: TestClient, accounts: Accounts
) -> None:
    admin = accounts.person(Role.admin)
    sign_in(client, admin)
    client.post("/areas", data={"name": "Search", "csrf_token": csrf_of(client)})
    # The public changelog exists only when a workspace opts in; its pages are checked too.
    with app.state.runtime.database.session() as session:
        set_setting(session, Actor.command_line(), "launches.public_changelog", True)
    paths = _page_paths(app) + ["/areas/search"]
    assert len(paths) >= 8
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if not response.headers["content-type"].startswith("text/html"):
            continue  # a feed names its own absolute URLs (Atom requires them)
        parser = _Urls()
        parser.feed(response.text)
        remote = [u for u in parser.urls if not _is_local(u)]
        assert not remote, f"{path} references non-local URLs: {remote}"
        assert parser.inline_scripts == 0, f"{path} has inline script"
        assert not parser.inline_handlers, f"{path}: {parser.inline_handlers}"


def test_local_url_check_catches_remote_references() -> None:
    parser = _Urls()
    parser.feed(
        '<link href="https://cdn.example.com/x.css"><script src="//cdn.x/y.js"></script>'
        '<a href="/areas">ok</a><img src="data:image/png;base64,AA==">'
    )
    assert [u for u in parser.urls if not _is_local(u)] == [
        "https://cdn.example.com/x.css",
        "//cdn.x/y.js",
    ]


def test_security_headers_on_pages_api_and_errors(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/api/v1/areas", "/no-such-page", "/static/app.css"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert headers["x-frame-options"] == "DENY"


def test_sign_in_sets_a_hardened_cookie_and_sign_out_ends_it(
    client: TestClient, accounts: Accounts
) -> None:
    person = accounts.person(Role.viewer)
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token
    response = client.post(
        "/login",
        data={
            "email": person.email,
            "password": person.password,
            "login_csrf": token.group(1),
            "next": "/areas",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/areas"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/", follow_redirects=False).status_code == 200
    csrf = csrf_of(client)
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_is_secure_over_https_and_on_loopback(
    app: FastAPI, accounts: Accounts
) -> None:
    person = accounts.person()
    for base in ("https://pilothouse.example.com", "http://127.0.0.1:8000"):
        with TestClient(app, base_url=base) as browser:
            form = browser.get("/login")
            token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
            assert token
            response = browser.post(
                "/login",
                data={
                    "email": person.email,
                    "password": person.password,
                    "login_csrf": token.group(1),
                },
                follow_redirects=False,
            )
            assert "secure" in response.headers["set-cookie"].lower(), base


def test_sign_in_form_refuses_cross_site_posts(client: TestClient, accounts: Accounts) -> None:
    person = accounts.person()
    response = client.post(
        "/login",
        data={"email": person.email, "password": person.password, "login_csrf": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "expired" in response.text


def test_wrong_password_shows_the_form_again(client: TestClient, accounts: Accounts) -> None:
    person = accounts.person()
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token
    response = client.post(
        "/login",
        data={"email": person.email, "password": "wrong one!!", "login_csrf": token.group(1)},
    )
    assert response.status_code == 401
    assert "wrong e-mail or password" in response.text
    assert person.email in response.text  # the e-mail stays filled in


def test_open_redirects_are_refused(client: TestClient, accounts: Accounts) -> None:
    person = accounts.person()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        form = client.get("/login", params={"next": target})
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token
        response = client.post(
            "/login",
            data={
                "email": person.email,
                "password": person.password,
                "login_csrf": token.group(1),
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target


def test_form_errors_return_to_the_form_with_the_reason(
    client: TestClient, accounts: Accounts
) -> None:
    sign_in(client, accounts.person(Role.editor))
    csrf = csrf_of(client)
    client.post("/areas", data={"name": "Search", "csrf_token": csrf})
    again = client.post(
        "/areas",
        data={"name": "Search", "description": "Typed text", "csrf_token": csrf},
        headers={"referer": "http://testserver/areas"},
        follow_redirects=False,
    )
    # The form page again, refused with the conflict's status, the text still typed in.
    assert again.status_code == 409
    assert "exists already" in again.text and 'data-testid="form-errors"' in again.text
    assert ">Typed text</textarea>" in again.text
    # Without a same-site Referer the page cannot be rebuilt: back to the flash message.
    blind = client.post(
        "/areas", data={"name": "Search", "csrf_token": csrf}, follow_redirects=False
    )
    assert blind.status_code == 303


def test_viewer_sees_no_admin_sections(client: TestClient, accounts: Accounts) -> None:
    sign_in(client, accounts.person(Role.viewer))
    home = client.get("/").text
    assert 'href="/admin/users"' not in home and 'href="/admin/audit"' not in home
    assert client.get("/admin/users").status_code == 403
    assert "New product area" not in client.get("/areas").text


def test_admin_pages_show_people_and_audit(client: TestClient, accounts: Accounts) -> None:
    admin = accounts.person(Role.admin)
    sign_in(client, admin)
    csrf = csrf_of(client)
    created = client.post(
        "/admin/users",
        data={
            "email": "new.pm@example.com",
            "name": "New PM",
            "role": "editor",
            "password": "long enough pw",
            "csrf_token": csrf,
        },
    )
    assert created.status_code == 200 and "new.pm@example.com" in created.text
    audit = client.get("/admin/audit", params={"object_type": "user"}).text
    assert "user.created" in audit and "new.pm@example.com" in audit


def test_tokens_page_shows_a_new_token_once(client: TestClient, accounts: Accounts) -> None:
    sign_in(client, accounts.person(Role.viewer))
    response = client.post(
        "/account/tokens", data={"name": "sheet", "scope": "read", "csrf_token": csrf_of(client)}
    )
    secret = re.search(r'data-testid="new-token">(ph_[^<]+)<', response.text)
    assert secret
    assert secret.group(1) not in client.get("/account/tokens").text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert me.status_code == 200
