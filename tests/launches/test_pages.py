"""The launch pages in-process: every page renders, forms call the services, refusals
come back to the page with the reason, and viewers see no edit controls."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts, sign_in


def test_pages_forms_and_refusals(client: TestClient, accounts: Accounts) -> None:
    crew = Crew(client, accounts)
    feature = crew.feature("Scheduled e-mails", description="Reports by **e-mail**.")
    csrf = sign_in(client, crew.editor_person)

    bad = client.post(
        "/launches/templates",
        data={"csrf_token": csrf, "name": "Std", "stages_text": "stage A\nrequired X (-1)\nbogus"},
        headers={"referer": "http://testserver/launches/templates"},
        follow_redirects=False,
    )
    # the form again, with the typed text and the reason beside it (web/forms.py)
    assert bad.status_code == 422
    assert "line 3" in bad.text and "bogus</textarea>" in bad.text
    text = (
        "stage Beta (-14)\n  required PM: Beta customers signed (-30)\n"
        f"  gate GA review: {crew.editor_person.email}\nstage GA (0)\n"
    )
    made = client.post(
        "/launches/templates", data={"csrf_token": csrf, "name": "Std", "stages_text": text}
    )
    assert made.status_code == 200 and "Beta customers signed" in made.text
    template_id = crew.client.get(f"{API}/launch-templates", headers=crew.viewer).json()["items"][
        0
    ]["id"]
    assert (
        "required PM: Beta customers signed (-30)"
        in client.get(f"/launches/templates?edit={template_id}").text
    )

    created = client.post(
        "/launches",
        data={
            "csrf_token": csrf,
            "template": str(template_id),
            "name": "Reports launch",
            "target_date": "2026-11-20",
            "features": feature["key"],
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    page_url = created.headers["location"]
    key = page_url.rsplit("/", 1)[-1]
    page = client.get(page_url).text
    assert "Reports launch" in page and "Pass gate → GA" in page and "Approve GA review" in page

    other = crew.feature("Faster exports")
    attached = client.post(
        f"/launches/{key}/features", data={"csrf_token": csrf, "feature": other["key"]}
    )
    assert f"{other['key']} attached" in attached.text
    client.post(
        f"/launches/{key}/edit",
        data={"csrf_token": csrf, "name": "Reports launch", "target_date": "2026-11-27"},
    )
    moved = crew.get(key)
    assert moved["target_date"] == "2026-11-27"
    assert moved["stages"][0]["items"][0]["due_date"] == "2026-10-28"
    item = moved["stages"][0]["items"][0]
    client.post(
        f"/launches/{key}/items/{item['id']}/edit",
        data={"csrf_token": csrf, "due_date": "2026-11-02", "owner": str(crew.approver_person.id)},
    )
    gate = moved["stages"][0]["gates"][0]
    both = f"{crew.editor_person.email}, legal@example.com"
    client.post(
        f"/launches/{key}/gates/{gate['id']}/approvers",
        data={"csrf_token": csrf, "approvers": both},
    )
    edited = crew.get(key)["stages"][0]
    assert edited["items"][0]["due_date"] == "2026-11-02"
    assert edited["items"][0]["owner"]["email"] == "legal@example.com"
    assert [a["approver"]["email"] for a in edited["gates"][0]["approvals"]] == [
        crew.editor_person.email,
        "legal@example.com",
    ]
    client.post(
        f"/launches/{key}/gates/{gate['id']}/approvers",
        data={"csrf_token": csrf, "approvers": crew.editor_person.email},
    )

    refused = client.post(
        f"/launches/{key}/advance",
        data={"csrf_token": csrf},
        headers={"referer": f"http://testserver{page_url}"},
        follow_redirects=True,
    )
    assert "flash-error" in refused.text and "required item not done" in refused.text
    launch = crew.get(key)
    item_id = launch["stages"][0]["items"][0]["id"]
    gate_id = launch["stages"][0]["gates"][0]["id"]
    client.post(f"/launches/{key}/items/{item_id}", data={"csrf_token": csrf, "done": "true"})
    client.post(
        f"/launches/{key}/gates/{gate_id}", data={"csrf_token": csrf, "decision": "approved"}
    )
    passed = client.post(f"/launches/{key}/advance", data={"csrf_token": csrf})
    assert passed.status_code == 200 and "is now in GA" in passed.text

    notes = client.post(
        f"/launches/{key}/release-notes", data={"csrf_token": csrf, "action": "generate"}
    )
    assert "<strong>e-mail</strong>" in notes.text  # the preview renders the Markdown
    draft = re.search(r'<textarea name="markdown"[^>]*>([^<]*)</textarea>', notes.text)
    assert draft and "Scheduled e-mails" in draft.group(1)
    published = client.post(
        f"/launches/{key}/release-notes",
        data={"csrf_token": csrf, "action": "publish", "markdown": "## Hi <script>x</script>"},
    )
    assert published.status_code == 200 and "changelog-entry" in published.text
    assert "<script>x" not in published.text and "&lt;script&gt;" in published.text

    calendar = client.get("/launches/calendar?month=2026-11").text
    assert "Reports launch: GA" in calendar and "Reports launch: Beta ends" in calendar


def test_viewers_read_but_see_no_edit_controls(client: TestClient, accounts: Accounts) -> None:
    crew = Crew(client, accounts)
    crew.template()
    key = crew.launch()["key"]
    viewer = accounts.person(Role.viewer)
    csrf = sign_in(client, viewer)
    for path in ("/launches", f"/launches/{key}", "/launches/templates", "/launches/calendar",
                 f"/launches/{key}/release-notes", "/changelog"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Pass gate" not in response.text and "Create launch" not in response.text
    forged = client.post(f"/launches/{key}/advance", data={"csrf_token": csrf})
    assert forged.status_code == 403
