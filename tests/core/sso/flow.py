"""Walking the sign-in as a browser would, over real HTTP, one redirect at a time."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

__all__ = ["SignIn", "callback_url", "close_all", "sign_in", "start"]

SignIn = tuple[httpx.Client, httpx.Response]
#: Browsers opened by a test; the ``sso`` fixture closes them afterwards.
_open: list[httpx.Client] = []


def close_all() -> None:
    while _open:
        _open.pop().close()


def start(base_url: str, next_url: str = "/") -> tuple[httpx.Client, str]:
    """A fresh browser that clicked "Sign in with ..."; returns it and the provider URL."""
    client = httpx.Client(follow_redirects=False, timeout=30)
    _open.append(client)
    response = client.get(f"{base_url}/auth/oidc/login", params={"next": next_url})
    assert response.status_code == 303, response.text
    return client, response.headers["location"]


def _follow(client: httpx.Client, url: str, stop: Callable[[str], bool]) -> httpx.Response | str:
    """Follow redirects from ``url``; returns the first URL ``stop`` accepts, or the page."""
    for _ in range(10):
        if stop(url):
            return url
        response = client.get(url)
        if response.status_code not in (302, 303):
            return response
        url = str(response.url.join(response.headers["location"]))
    raise AssertionError("too many redirects")


def callback_url(
    client: httpx.Client, authorize_url: str, username: str, password: str, base_url: str
) -> str:
    """Sign in at the provider's form; returns the redirect back to Pilothouse, unfollowed."""
    at_app = f"{base_url}/auth/oidc/callback"
    page = _follow(client, authorize_url, lambda u: u.startswith(at_app))
    assert isinstance(page, httpx.Response) and page.status_code == 200, page
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text
    posted = client.post(
        str(page.url.join(action.group(1))), data={"username": username, "password": password}
    )
    assert posted.status_code in (302, 303), posted.text
    landed = _follow(
        client, str(posted.url.join(posted.headers["location"])), lambda u: u.startswith(at_app)
    )
    assert isinstance(landed, str), landed.text if isinstance(landed, httpx.Response) else landed
    return landed


def sign_in(
    base_url: str,
    username: str,
    password: str,
    *,
    next_url: str = "/",
    tamper: Callable[[str], str] | None = None,
) -> SignIn:
    """The whole round trip; returns the browser and Pilothouse's answer to the callback."""
    client, authorize = start(base_url, next_url)
    if tamper is not None:
        authorize = tamper(authorize)
    back = callback_url(client, authorize, username, password, base_url)
    return client, client.get(back)
