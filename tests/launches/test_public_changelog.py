"""The public changelog over HTTP: 404 until a workspace opts in; then only published
notes, as pages and as a valid Atom 1.0 feed with stable entry ids and ETag/304."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient

from tests.launches.helpers import API, Crew
from tests.support.accounts import Accounts, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC = ("/public/changelog", "/public/changelog.atom")


def _notes(crew: Crew, name: str, markdown: str, *, publish: bool) -> str:
    key = str(crew.launch(name=name)["key"])
    body = {"markdown": markdown}
    saved = crew.client.put(f"{API}/launches/{key}/release-notes", json=body, headers=crew.editor)
    assert saved.status_code == 200, saved.text
    if publish:
        done = crew.client.post(f"{API}/launches/{key}/release-notes/publish", headers=crew.editor)
        assert done.status_code == 200, done.text
    return key


def _set(crew: Crew, values: dict[str, object]) -> None:
    response = crew.client.patch(f"{API}/workspace/settings", json=values, headers=crew.admin)
    assert response.status_code == 200, response.text


def test_off_by_default_then_only_published_notes(client: TestClient, accounts: Accounts) -> None:
    crew = Crew(client, accounts)
    crew.template()
    shipped = _notes(
        crew,
        "Scheduled reports",
        "## Reports\n\nBy **e-mail**. <script>x</script> [inside](/roadmap/1) [out](https://example.org)",
        publish=True,
    )
    draft = _notes(crew, "Secret project", "## Secret draft words", publish=False)
    client.cookies.clear()
    for path in (*PUBLIC, f"/public/changelog/{shipped}"):
        assert client.get(path).status_code == 404, path

    _set(crew, {"launches.public_changelog": True, "launches.public_changelog_title": "Acme App"})
    page = client.get("/public/changelog")
    assert page.status_code == 200
    assert "Acme App" in page.text and "<strong>e-mail</strong>" in page.text
    assert "Secret draft words" not in page.text and "Secret project" not in page.text
    assert "<script>x" not in page.text and "&lt;script&gt;" in page.text
    assert 'href="/roadmap/1"' not in page.text and 'href="https://example.org"' in page.text
    assert crew.editor_person.email not in page.text and "/launches/" not in page.text
    one = client.get(f"/public/changelog/{shipped}")
    assert one.status_code == 200 and "Reports" in one.text
    assert client.get(f"/public/changelog/{draft}").status_code == 404

    feed = client.get("/public/changelog.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml"
    )
    root = ET.fromstring(feed.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    assert root.findtext(f"{ATOM}title") == "Acme App"
    rel_self = [x for x in root.findall(f"{ATOM}link") if x.get("rel") == "self"]
    assert rel_self and rel_self[0].get("href", "").endswith("/public/changelog.atom")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    entry_id = entry.findtext(f"{ATOM}id") or ""
    assert entry_id.startswith("tag:") and entry_id.endswith(f"/changelog/{shipped}")
    for required in ("title", "updated", "published"):
        assert entry.findtext(f"{ATOM}{required}"), required
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(f"/public/changelog/{shipped}")
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert "<strong>e-mail</strong>" in (content.text or "") and "<script>" not in (
        content.text or ""
    )

    etag = feed.headers["etag"]
    again = client.get("/public/changelog.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    page_etag = page.headers["etag"]
    assert client.get("/public/changelog", headers={"If-None-Match": page_etag}).status_code == 304

    # republishing changes the feed (new ETag) but keeps the entry's id
    crew.client.post(f"{API}/launches/{shipped}/release-notes/publish", headers=crew.editor)
    _notes(crew, "Second launch", "## Second", publish=True)
    newer = client.get("/public/changelog.atom", headers={"If-None-Match": etag})
    assert newer.status_code == 200
    ids = [e.findtext(f"{ATOM}id") for e in ET.fromstring(newer.content).findall(f"{ATOM}entry")]
    assert len(ids) == 2 and entry_id in ids and len(set(ids)) == 2

    _set(crew, {"launches.public_changelog": False})
    assert all(client.get(p).status_code == 404 for p in PUBLIC)


def test_admin_turns_it_on_in_the_settings_page(client: TestClient, accounts: Accounts) -> None:
    crew = Crew(client, accounts)
    csrf = sign_in(client, crew.admin_person)
    page = client.get("/admin/settings").text
    assert "Public changelog" in page and "/public/changelog" in page
    saved = client.post(
        "/admin/settings",
        data={
            "csrf_token": csrf,
            "launches.public_changelog": "on",
            "launches.public_changelog_title": "Acme",
        },  # fmt: skip
    )
    assert saved.status_code == 200
    audit = client.get(f"{API}/audit?object_type=workspace_setting", headers=crew.admin).json()
    assert any(e["object_id"] == "launches.public_changelog" for e in audit["items"])
    client.cookies.clear()
    assert client.get("/public/changelog").status_code == 200
