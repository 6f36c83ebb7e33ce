"""E-mail subscribers of the public changelog, end to end through a real SMTP server:
subscribe → confirmation mail → confirm over HTTP → publish → notes mail with RFC 8058
headers → one-click unsubscribe → publish again → no mail. Bad input changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pilothouse.core.job_models import Job
from pilothouse.core.models import Event
from pilothouse.core.runtime import Runtime
from pilothouse.launches.subscriber_mail import CHANGELOG_MAIL_JOB
from pilothouse.launches.subscriber_models import ChangelogSubscriber
from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts, sign_in
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

READER = "Reader@Example.ORG"


@pytest.fixture
def mail_client(runtime: Runtime, smtp_server: SmtpServer) -> Iterator[TestClient]:
    from pilothouse.web.app import create_app

    settings = runtime.settings.model_copy(
        update={
            **smtp_server.settings(),
            "jobs_mode": "immediate",
            "smtp_retry_seconds": 0.0,
            "public_url": "http://testserver",
        }
    )
    app = create_app(runtime=Runtime(settings=settings, database=runtime.database), migrate=False)
    with TestClient(app) as client:
        yield client


def _form_token(client: TestClient) -> str:
    page = client.get("/public/changelog")
    assert page.status_code == 200
    found = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _publish(crew: Crew, name: str, markdown: str) -> str:
    key = str(crew.launch(name=name)["key"])
    crew.client.put(
        f"{API}/launches/{key}/release-notes", json={"markdown": markdown}, headers=crew.editor
    )
    done = crew.client.post(f"{API}/launches/{key}/release-notes/publish", headers=crew.editor)
    assert done.status_code == 200, done.text
    return key


def _count(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count(ChangelogSubscriber.id))) or 0)


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.netloc == "testserver"
    return parts.path


def test_double_opt_in_notes_mail_and_one_click_unsubscribe(
    mail_client: TestClient, runtime: Runtime, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    client = mail_client
    crew = Crew(client, accounts)
    crew.template()
    on = {"launches.public_changelog": True, "launches.public_changelog_title": "Acme"}
    assert client.patch(f"{API}/workspace/settings", json=on, headers=crew.admin).status_code == 200
    token = _form_token(client)

    asked = client.post("/public/changelog/subscribe", data={"email": READER, "form_token": token})
    assert asked.status_code == 202 and "Reader@example.org" in asked.text
    assert _count(runtime) == 0  # nothing stored before confirmation
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation["To"] == "Reader@example.org"
    link = re.search(
        r"http://testserver/public/changelog/confirm/\S+",
        confirmation.get_body(("plain",)).get_content(),
    )  # type: ignore[union-attr]
    assert link
    shown = client.get(_path(link.group(0)))
    assert shown.status_code == 200 and "Confirm subscription" in shown.text
    assert _count(runtime) == 0  # a GET (a mail scanner) confirms nothing
    assert client.post(_path(link.group(0))).status_code == 200
    assert _count(runtime) == 1

    _publish(crew, "Scheduled reports", "## Reports\n\nNow by **e-mail**.")
    messages = smtp_server.wait_for(2)
    notes = messages[1]
    assert notes["To"] == "Reader@example.org" and "Acme" in str(notes["Subject"])
    assert notes["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(notes["List-Unsubscribe"]).strip("<>")
    assert unsubscribe.startswith("http://testserver/public/changelog/unsubscribe/")
    html = notes.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<strong>e-mail</strong>" in html and unsubscribe in html

    one_click = client.post(_path(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.text
    assert _count(runtime) == 0
    _publish(crew, "Second launch", "## Second")
    assert len(smtp_server.messages) == 2

    with runtime.database.session() as session:
        names = list(
            session.scalars(
                select(Event.name)
                .where(Event.object_type == "changelog_subscriber")
                .order_by(Event.id)
            )
        )
        payloads = " ".join(
            str(e.changes) + e.object_label + e.object_id
            for e in session.scalars(
                select(Event).where(Event.object_type == "changelog_subscriber")
            )
        )
    assert names == [
        "changelog_subscriber.requested",
        "changelog_subscriber.confirmed",
        "changelog_subscriber.unsubscribed",
    ]
    assert "reader" not in payloads.lower()  # the audit log never holds the address

    sign_in(client, crew.admin_person)
    listed = client.get("/changelog/subscribers")
    assert listed.status_code == 200 and "0 confirmed subscribers" in listed.text
    assert 'href="/changelog/subscribers"' in client.get("/changelog").text


def test_bad_input_names_the_field_and_stores_nothing(
    mail_client: TestClient, runtime: Runtime, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    client = mail_client
    crew = Crew(client, accounts)
    post = client.post
    assert post("/public/changelog/subscribe", data={"email": "a@example.com"}).status_code == 404
    on = {"launches.public_changelog": True}
    assert client.patch(f"{API}/workspace/settings", json=on, headers=crew.admin).status_code == 200
    token = _form_token(client)

    bad = post("/public/changelog/subscribe", data={"email": "not-an-address", "form_token": token})
    assert bad.status_code == 422 and "email" in bad.text
    missing = post("/public/changelog/subscribe", data={"email": "a@example.com"})
    assert missing.status_code == 403 and "form_token" in missing.text
    tampered = post(
        "/public/changelog/subscribe", data={"email": "a@example.com", "form_token": token + "x"}
    )
    assert tampered.status_code == 403 and "form_token" in tampered.text
    forged = post("/public/changelog/confirm/eyJhIjoxfQ.AAAA")
    assert forged.status_code == 400 and "token" in forged.text
    assert post("/public/changelog/unsubscribe/xyz.abc").status_code == 400
    assert _count(runtime) == 0 and smtp_server.messages == []

    for number in range(3):
        ok = post(
            "/public/changelog/subscribe", data={"email": "b@example.com", "form_token": token}
        )
        assert ok.status_code == 202, number
    flood = post(
        "/public/changelog/subscribe", data={"email": "b@example.com", "form_token": token}
    )
    assert flood.status_code == 429 and flood.headers["retry-after"] == "3600"
    assert len(smtp_server.wait_for(3)) == 3 and _count(runtime) == 0
    crew.template()
    _publish(crew, "Unconfirmed readers get nothing", "## Nothing")
    with runtime.database.session() as session:
        jobs = session.scalar(select(func.count(Job.id)).where(Job.kind == CHANGELOG_MAIL_JOB))
    assert jobs == 0 and len(smtp_server.messages) == 3  # only confirmed addresses receive
