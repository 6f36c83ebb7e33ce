"""Making people, tokens and signed-in clients for tests, through the real services."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient

from pilothouse.core import tokens, users
from pilothouse.core.actor import Actor
from pilothouse.core.models import Role, TokenScope, User
from pilothouse.core.runtime import Runtime

PASSWORD = "correct horse battery"


@dataclass
class Person:
    id: int
    email: str
    role: Role
    password: str = PASSWORD


class Accounts:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def person(
        self, role: Role = Role.viewer, email: str | None = None, password: str = PASSWORD
    ) -> Person:
        email = email or f"{role.value}-{uuid.uuid4().hex[:6]}@example.com"
        with self.runtime.database.session() as session:
            user = users.create_user(
                session,
                Actor.command_line(),
                self.runtime.passwords,
                email=email,
                name=email.split("@")[0].title(),
                role=role,
                password=password,
            )
            return Person(user.id, user.email, user.role, password)

    def token(self, person: Person, scope: TokenScope = TokenScope.write) -> str:
        with self.runtime.database.session() as session:
            user = session.get(User, person.id)
            assert user is not None
            _row, secret = tokens.create_token(
                session,
                Actor.command_line(),
                self.runtime.secrets,
                user=user,
                name="test",
                scope=scope,
            )
            return secret

    def bearer(self, person: Person, scope: TokenScope = TokenScope.write) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(person, scope)}"}


def sign_in(client: TestClient, person: Person) -> str:
    """Sign ``client`` in through the real form; returns the session's CSRF token."""
    form = client.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert login_csrf, form.text
    response = client.post(
        "/login",
        data={
            "email": person.email,
            "password": person.password,
            "login_csrf": login_csrf.group(1),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client)


def csrf_of(client: TestClient) -> str:
    page = client.get("/account/password")
    match = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
    assert match and match.group(1), page.text
    return match.group(1)
