"""The feedback API: single and batch logging, filters, paging, links and evidence."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.feedback.hub.helpers import API, count, seed
from tests.support.accounts import Accounts

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service


def _team(accounts: Accounts) -> tuple[dict[str, str], dict[str, str]]:
    return accounts.bearer(accounts.person(Role.editor)), accounts.bearer(
        accounts.person(Role.viewer)
    )


def test_single_item_and_reads(client: TestClient, accounts: Accounts, runtime: Runtime) -> None:
    ids = seed(runtime)
    editor, viewer = _team(accounts)
    body = {
        "text": "Exports time out for reports over 50k rows.",
        "source_kind": "support_ticket",
        "source_name": "zendesk",
        "external_id": "991",
        "author_email": "Priya@acct-001.example",
        "product_area": "analytics-reporting",
        "tags": ["export", "Export", "timeout"],
        "rating": 2,
    }
    created = client.post(API, json=body, headers=editor)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["account_id"] == ids["acct-001"]  # found by the e-mail's domain
    assert item["author_email"] == "priya@acct-001.example"
    assert (item["status"], item["tags"]) == ("new", ["export", "timeout"])
    again = client.post(API, json={**body, "text": "Exports time out (updated)."}, headers=editor)
    assert again.json()["id"] == item["id"] and count(runtime) == 1  # same source + external id
    got = client.get(f"{API}/{item['id']}", headers=viewer).json()
    assert got["text"] == "Exports time out (updated)."
    assert client.post(API, json={"text": "x"}, headers=viewer).status_code == 403


def test_bad_input_is_a_problem_and_stores_nothing(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    editor, _viewer = _team(accounts)
    for body in (
        {"text": "   "},
        {"text": "x" * 20_001},
        {"text": "ok", "nps_score": 11},
        {"text": "ok", "account": "acct-404"},
        {"text": "ok", "source_kind": "carrier-pigeon"},
        {"text": "ok", "unknown": 1},
    ):
        response = client.post(API, json=body, headers=editor)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert count(runtime) == 0


def test_batch_is_all_or_nothing_with_per_index_errors(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    seed(runtime)
    editor, _viewer = _team(accounts)
    items = [
        {"text": "Need SAML SSO", "account": "acct-002"},
        {"text": ""},
        {"text": "Dark mode", "rating": 7},
        {"title": "no text"},
    ]
    response = client.post(API, json={"items": items}, headers=editor)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"items.1.text", "items.2.rating", "items.3.text"} <= fields
    assert not any(f.startswith("items.0") for f in fields)
    assert count(runtime) == 0
    ok = client.post(API, json={"items": [items[0], {"text": "Dark mode"}]}, headers=editor)
    assert ok.status_code == 201 and ok.json()["created"] == 2
    assert client.post(API, json={"items": []}, headers=editor).status_code == 422


def test_filters_and_cursor_paging(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    seed(runtime)
    editor, viewer = _team(accounts)
    batch = [
        {
            "text": f"note {n}",
            "source_name": "calls" if n % 2 else "zendesk",
            "source_kind": "sales_note",
            "account": "acct-001" if n < 3 else "acct-002",
            "created_at": f"2026-03-{n + 1:02d}T12:00:00Z",
        }
        for n in range(7)
    ]
    assert client.post(API, json={"items": batch}, headers=editor).status_code == 201
    seen, cursor = [], None
    while True:
        page = client.get(API, params={"limit": 3, "cursor": cursor}, headers=viewer).json()
        seen += [i["text"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"note {n}" for n in reversed(range(7))]
    by = lambda **p: [i["text"] for i in client.get(API, params=p, headers=viewer).json()["items"]]  # noqa: E731
    assert by(source="calls") == ["note 5", "note 3", "note 1"]
    assert by(account="acct-001") == ["note 2", "note 1", "note 0"]
    assert by(**{"from": "2026-03-03", "to": "2026-03-05"}) == ["note 3", "note 2"]
    assert by(status="new", q="NOTE 6") == ["note 6"]
    bad = client.get(API, params={"cursor": "nonsense"}, headers=viewer)
    assert bad.status_code == 400


def test_links_to_roadmap_items_count_as_evidence(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    ids = seed(runtime)
    editor, viewer = _team(accounts)
    item = client.post(
        "/api/v1/roadmap/items", json={"title": "Faster exports"}, headers=editor
    ).json()
    made = client.post(
        API,
        json={
            "items": [
                {"text": "Exports are slow", "account": "acct-001"},
                {"text": "Exports time out", "account": "acct-001"},
                {"text": "Exports hang", "account": "acct-002"},
                {"text": "Anonymous: exports", "source_kind": "app_review"},
            ]
        },
        headers=editor,
    ).json()["items"]
    for feedback in made:
        link = client.post(
            f"{API}/{feedback['id']}/links", json={"roadmap_item": item["key"]}, headers=editor
        )
        assert link.status_code == 201, link.text
        assert link.json()["kind"] == "evidence" and link.json()["to_id"] == str(item["id"])
    assert client.get(f"{API}/{made[0]['id']}", headers=viewer).json()["status"] == "linked"
    with runtime.database.session() as session:
        assert service.accounts_of_feedback(
            session, [made[0]["id"], str(made[2]["id"]), 999999, "x"]
        ) == {
            made[0]["id"]: ids["acct-001"],
            str(made[2]["id"]): ids["acct-002"],
        }
    client.post(
        "/api/v1/roadmap/formulas",
        json={
            "key": "demand",
            "name": "Demand",
            "expression": "customer_arr_cents + feedback_count",
        },
        headers=editor,
    )
    scores = client.get(f"/api/v1/roadmap/items/{item['key']}/scores", headers=viewer).json()
    demand = next(s for s in scores["scores"] if s["formula"] == "demand")
    assert demand["inputs"]["feedback_count"] == 4
    assert demand["inputs"]["customer_count"] == 2
    assert demand["inputs"]["customer_arr_cents"] == 1_250_050 + 9_800_000
    gone = client.delete(f"{API}/{made[3]['id']}/links/{item['key']}", headers=editor)
    assert gone.status_code == 204
    assert client.get(f"{API}/{made[3]['id']}", headers=viewer).json()["status"] == "triaged"
    assert client.get(f"{API}/{made[3]['id']}/links", headers=viewer).json()["items"] == []
    missing = client.post(
        f"{API}/{made[0]['id']}/links", json={"roadmap_item": "FEAT-999"}, headers=editor
    )
    assert missing.status_code == 404


def test_status_workflow_and_patch(client: TestClient, accounts: Accounts) -> None:
    editor, _viewer = _team(accounts)
    item = client.post(API, json={"text": "Please add Slack digests"}, headers=editor).json()
    url = f"{API}/{item['id']}"
    assert client.patch(url, json={"status": "triaged", "tags": ["slack"]}, headers=editor).json()[
        "tags"
    ] == ["slack"]
    assert client.patch(url, json={"status": "closed"}, headers=editor).status_code == 200
    refused = client.patch(url, json={"status": "linked"}, headers=editor)
    assert refused.status_code == 422 and "closed to linked" in refused.json()["detail"]
    other = client.post(API, json={"text": "Slack digests please"}, headers=editor).json()
    dup = client.patch(
        f"{API}/{other['id']}",
        json={"duplicate_of": item["id"], "sentiment": "neutral"},
        headers=editor,
    )
    assert dup.json()["duplicate_of_id"] == item["id"] and dup.json()["sentiment"] == "neutral"


def test_export_and_import_endpoints(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    editor, viewer = _team(accounts)
    content = 'id,comment,stars\nr-1,"Great, fast app",5\nr-2,Slow sync,2\n'
    preview = client.post(
        f"{API}/imports", json={"format": "csv", "content": content}, headers=editor
    )
    assert preview.status_code == 200 and preview.json()["mapping"]["rating"] == "stars"
    assert count(runtime) == 0
    done = client.post(
        f"{API}/imports",
        json={"content": content, "dry_run": False, "source": "survey-2026"},
        headers=editor,
    )
    assert done.json()["created"] == 2
    csv_text = client.get(f"{API}/export", headers=viewer).text
    header = csv_text.splitlines()[0]
    assert header.startswith(
        "id,external_id,source,created_at,text,theme_id,theme,sentiment,duplicate_of"
    )
    assert '"Great, fast app"' in csv_text
    rows = client.get(f"{API}/export", params={"format": "json"}, headers=viewer).json()
    assert [r["source"] for r in rows] == ["survey-2026", "survey-2026"] and rows[0][
        "theme"
    ] is None
    bad = client.post(
        f"{API}/imports", json={"content": "id,comment\n1,\n", "dry_run": False}, headers=editor
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "line 2.comment"
