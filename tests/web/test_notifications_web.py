"""Notifications, comments and watching over HTTP: the API, the pages, the bell, and the
unsubscribe link of a real e-mail followed over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef
from pilothouse.core.models import Role, User
from pilothouse.core.notifications import notify
from pilothouse.core.notifications.models import Delivery, Notification
from pilothouse.core.notifications.preferences import choices_for
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from tests.support.accounts import Accounts, Person, sign_in
from tests.support.served_app import ServedApp
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

HTMX = {"HX-Request": "true"}


def _item(runtime: Runtime, editor: Person, title: str = "Bulk export") -> tuple[int, str]:
    with runtime.database.session() as session:
        user = session.get(User, editor.id)
        assert user is not None
        item = items.create_item(session, Actor.for_user(user), {"kind": "feature", "title": title})
        return item.id, item.key


def _notify(runtime: Runtime, person: Person, count: int, **extra: object) -> None:
    with runtime.database.session() as session:
        for n in range(count):
            notify(session, recipients=[person.id], kind="automation", title=f"Note {n}", **extra)  # type: ignore[arg-type]


def test_api_lists_with_cursor_paging_and_marks_read(
    client: TestClient, runtime: Runtime, accounts: Accounts
) -> None:
    ann, bob = accounts.person(), accounts.person()
    _notify(runtime, ann, 5)
    _notify(runtime, bob, 1)
    headers = accounts.bearer(ann)
    titles, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/notifications", params=params, headers=headers).json()
        titles += [n["title"] for n in page["items"]]
        assert page["unread_count"] == 5
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert titles == [f"Note {n}" for n in (4, 3, 2, 1, 0)]
    first_id = client.get("/api/v1/notifications", headers=headers).json()["items"][-1]["id"]
    marked = client.post(f"/api/v1/notifications/{first_id}/read", headers=headers)
    assert marked.status_code == 200 and marked.json()["read_at"] is not None
    unread = client.get("/api/v1/notifications", params={"unread": "true"}, headers=headers)
    assert [n["title"] for n in unread.json()["items"]] == [f"Note {n}" for n in (4, 3, 2, 1)]
    bobs = client.get("/api/v1/notifications", headers=accounts.bearer(bob)).json()["items"]
    refused = client.post(f"/api/v1/notifications/{bobs[0]['id']}/read", headers=headers)
    assert refused.status_code == 404
    assert client.post("/api/v1/notifications/read-all", headers=headers).json() == {"marked": 4}
    bad = client.get("/api/v1/notifications", params={"cursor": "nonsense"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"


def test_api_comments_mentions_and_watching(
    client: TestClient, runtime: Runtime, accounts: Accounts
) -> None:
    editor = accounts.person(Role.editor)
    other = accounts.person(Role.editor)
    viewer = accounts.person(Role.viewer, email="vera@example.com")
    item_id, key = _item(runtime, editor)
    headers = accounts.bearer(editor)
    body = {
        "object_type": "roadmap_item",
        "object_id": str(item_id),
        "body_markdown": "@vera *see*",
    }
    created = client.post("/api/v1/comments", json=body, headers=headers)
    assert created.status_code == 201, created.text
    comment = created.json()
    assert comment["html"] == "<p>@vera <em>see</em></p>\n"
    inbox = client.get("/api/v1/notifications", headers=accounts.bearer(viewer)).json()["items"]
    assert [n["kind"] for n in inbox] == ["comment.mention"]
    assert inbox[0]["object"]["url"] == f"/roadmap/items/{key}"
    assert (
        client.post("/api/v1/comments", json=body, headers=accounts.bearer(viewer)).status_code
        == 403
    )
    hijack = client.patch(
        f"/api/v1/comments/{comment['id']}",
        json={"body_markdown": "x"},
        headers=accounts.bearer(other),
    )
    assert hijack.status_code == 403
    wrong = client.post("/api/v1/comments", json=body | {"object_type": "user"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "object_type"
    watch = client.put(f"/api/v1/watches/roadmap_item/{item_id}", headers=accounts.bearer(viewer))
    assert watch.json() == {
        "object_type": "roadmap_item",
        "object_id": str(item_id),
        "watching": True,
        "watchers": 2,  # the author watches since commenting
    }
    edited = client.patch(
        f"/api/v1/comments/{comment['id']}", json={"body_markdown": "done"}, headers=headers
    )
    assert edited.json()["revisions"] == 1
    assert client.delete(f"/api/v1/comments/{comment['id']}", headers=headers).status_code == 204
    listed = client.get(
        "/api/v1/comments",
        params={"object_type": "roadmap_item", "object_id": item_id},
        headers=headers,
    )
    assert listed.json() == {"items": []}


def test_bell_and_notifications_page(
    client: TestClient, runtime: Runtime, accounts: Accounts
) -> None:
    ann = accounts.person()
    _notify(runtime, ann, 2, url="/roadmap")
    csrf = sign_in(client, ann)
    home = client.get("/")
    assert 'hx-get="/notifications/bell"' in home.text
    bell = client.get("/notifications/bell", headers=HTMX)
    assert 'data-testid="bell-count">2<' in bell.text
    page = client.get("/notifications")
    assert page.text.count('data-unread="true"') == 2
    ids = re.findall(r'action="/notifications/(\d+)/read"', page.text)
    done = client.post(
        f"/notifications/{ids[-1]}/read", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    page = client.get("/notifications")
    flags = re.findall(r'data-unread="(true|false)"', page.text)
    assert flags == ["true", "false"]  # unread first
    assert 'data-testid="bell-count">1<' in client.get("/notifications/bell").text
    client.post("/notifications/read-all", data={"csrf_token": csrf})
    assert "bell-count" not in client.get("/notifications/bell").text
    no_csrf = client.post("/notifications/read-all", follow_redirects=False)
    assert no_csrf.status_code == 403


def test_preferences_page_saves_and_refuses_bad_values(
    client: TestClient, runtime: Runtime, accounts: Accounts
) -> None:
    ann = accounts.person()
    csrf = sign_in(client, ann)
    page = client.get("/account/notifications")
    assert 'name="kind:comment.mention"' in page.text
    saved = client.post(
        "/account/notifications",
        data={"csrf_token": csrf, "kind:comment.mention": "digest", "kind:automation": "off"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    bad = client.post(
        "/account/notifications",
        data={"csrf_token": csrf, "kind:comment.mention": "hourly"},
        headers={"referer": "http://testserver/account/notifications"},
    )
    assert "hourly" in bad.text
    with runtime.database.session() as session:
        chosen = {c.kind: c.delivery for c in choices_for(session, ann.id)}
    assert chosen["comment.mention"] is Delivery.digest
    assert chosen["automation"] is Delivery.off


def test_discussion_panel_on_the_item_page(
    client: TestClient, runtime: Runtime, accounts: Accounts
) -> None:
    editor = accounts.person(Role.editor)
    accounts.person(Role.viewer, email="wes@example.com")
    item_id, key = _item(runtime, editor)
    csrf = sign_in(client, editor)
    page = client.get(f"/roadmap/items/{key}")
    assert f'hx-get="/discussion/roadmap_item/{item_id}"' in page.text
    here = {**HTMX, "HX-Current-URL": f"http://testserver/roadmap/items/{key}"}
    panel = client.get(f"/discussion/roadmap_item/{item_id}", headers=here)
    assert "No comments yet." in panel.text and "<html" not in panel.text
    posted = client.post(
        f"/discussion/roadmap_item/{item_id}",
        data={"csrf_token": csrf, "body": "Ping @wes <img src=x onerror=alert(1)>"},
        headers=here,
    )
    assert posted.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in posted.text
    assert "Stop watching" in posted.text  # the author watches now
    empty = client.post(
        f"/discussion/roadmap_item/{item_id}", data={"csrf_token": csrf, "body": " "}, headers=here
    )
    assert 'data-testid="discussion-error"' in empty.text
    with runtime.database.session() as session:
        urls = session.scalars(select(Notification.url)).all()
    assert urls == [f"/roadmap/items/{key}"]
    suggestions = client.get("/discussion/mentions", params={"q": "we"}).json()
    assert suggestions == [{"handle": "wes", "name": "Wes"}]
    assert client.get("/discussion/mentions", params={"q": ""}).json() == []
    fallback = client.get(f"/discussion/roadmap_item/{item_id}")
    assert "<html" in fallback.text and "Ping @wes" in fallback.text


def test_unsubscribe_link_of_a_real_e_mail_works_over_http(
    served: ServedApp,
    smtp_server: SmtpServer,
) -> None:
    base = served.runtime
    ann = Accounts(base).person(email="ann@example.com")
    settings = base.settings.model_copy(
        update={**smtp_server.settings(), "jobs_mode": "immediate", "public_url": served.base_url}
    )
    mail = Runtime(settings=settings, database=base.database)
    try:
        with mail.database.session() as session:
            notify(
                session,
                recipients=[ann.id],
                kind="automation",
                title="Hello",
                ref=ObjectRef("launch", "1"),
            )
    finally:
        base.database.sessionmaker.configure(info={"runtime": base})
    [message] = smtp_server.wait_for(1)
    link = str(message["List-Unsubscribe"]).strip("<>")
    assert link.startswith(f"{served.base_url}/notifications/unsubscribe/")
    confirm = httpx.get(link)
    assert confirm.status_code == 200 and "Unsubscribe" in confirm.text
    one_click = httpx.post(link, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and 'data-testid="unsubscribed"' in one_click.text
    with base.database.session() as session:
        chosen = {c.kind: c.delivery for c in choices_for(session, ann.id)}
    assert chosen["automation"] is Delivery.off
    forged = httpx.post(link[:-3] + "xyz")
    assert forged.status_code == 400


def test_a_mention_over_the_api_is_e_mailed_by_the_job_threads(
    runtime: Runtime,
    accounts: Accounts,
    smtp_server: SmtpServer,
) -> None:
    """In the server's own mode (``inprocess``): the request only queues; a job sends."""
    from pilothouse.web.app import create_app

    settings = runtime.settings.model_copy(
        update={**smtp_server.settings(), "public_url": "http://pilothouse.test"}
    )
    mail = Runtime(settings=settings, database=runtime.database)
    assert mail.settings.jobs_mode == "inprocess"
    editor = accounts.person(Role.editor)
    accounts.person(Role.viewer, email="ivo@example.com")
    item_id, key = _item(mail, editor)
    with TestClient(create_app(runtime=mail, migrate=False)) as client:
        body = {"object_type": "roadmap_item", "object_id": str(item_id), "body_markdown": "@ivo?"}
        created = client.post("/api/v1/comments", json=body, headers=accounts.bearer(editor))
        assert created.status_code == 201
        [message] = smtp_server.wait_for(1)
    assert message["To"] == "Ivo <ivo@example.com>"
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="http://pilothouse.test/roadmap/items/{key}"' in html
