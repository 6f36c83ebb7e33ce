"""The closed loop on a roadmap item: a linked theme counts as evidence (each feedback
item once), the chain names every link, and the measured metric's fall is estimated."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from pilothouse.roadmap.evidence import evidence_for
from pilothouse.roadmap.impact.chain import item_chain
from pilothouse.roadmap.impact.its import Status
from tests.roadmap.loop import API, build_loop
from tests.support.accounts import Accounts, sign_in


def test_theme_evidence_counts_once_and_the_chain_is_complete(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    loop = build_loop(client, accounts, runtime)
    with runtime.database.session() as session:
        item = items.find_item(session, loop.item_key)
        evidence = evidence_for(session, [item])[item.id]
        assert evidence.as_dict() == {
            "feedback_count": 5,
            "customer_count": 3,
            "customer_arr_cents": 130_000_00,
        }
        chain = item_chain(session, runtime, item)
    assert [t.label for t in chain.evidence.themes] == ["Where is my card"]
    assert chain.evidence.customers[0].reference.label == "Acme"
    assert chain.ga_date == loop.ga.date()
    assert [(v.reference.label, v.launched) for v in chain.launches] == [
        ("Card delivery tracking", True)
    ]
    assert [e.reference.label for e in chain.experiments] == ["Delivery timeline in the app"]
    assert chain.experiments[0].primary_metric.url == "/metrics/card_delivery_contacts"
    (impact,) = chain.metrics
    assert impact.metric.label == "Card-delivery contacts"
    assert impact.result is not None and impact.result.status == Status.fell, impact.message
    assert impact.result.relative_change is not None
    assert -0.55 < impact.result.relative_change < -0.25


def test_item_page_shows_the_chain_and_links_a_metric(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    loop = build_loop(client, accounts, runtime)
    csrf = sign_in(client, loop.editor)
    page = client.get(f"/roadmap/items/{loop.item_key}")
    assert page.status_code == 200
    html = page.text
    impact = html.split('data-testid="impact"')[1].split("</section>")[0]
    assert f'<a href="/feedback/themes/{loop.theme_id}">Where is my card</a>' in impact
    assert "<strong>5</strong> feedback items from <strong>3</strong> customers" in impact
    assert "$130,000.00" in impact
    assert f'<a href="/launches/{loop.launch_key}">Card delivery tracking</a>' in impact
    experiment_link = (
        f'<a href="/experiments/{loop.experiment_key}">Delivery timeline in the app</a>'
    )
    assert experiment_link in impact
    assert '<a href="/metrics/card_delivery_contacts">Card-delivery contacts</a>' in impact
    assert 'data-testid="impact-metric" data-status="fell"' in impact
    # The links section names each object, grouped by what the link means.
    linked = html.split('data-testid="item-links"')[1]
    for heading in ("Evidence", "Ships in", "Measured by", "Decisions"):
        assert f"<h3>{heading}</h3>" in linked, heading
    assert "Ship card delivery tracking to every account</a>" in linked
    # Linking a metric: validated against the catalog, then audited.
    form = f"/roadmap/items/{loop.item_key}/metrics"
    refused = client.post(form, data={"metric": "app_open", "csrf_token": csrf})
    assert "not in the metric catalog" in refused.text or "no metric" in refused.text
    done = client.post(form, data={"metric": "app_opens", "csrf_token": csrf})
    assert done.status_code == 200 and "is measured by app_opens" in done.text
    again = client.get(f"/roadmap/items/{loop.item_key}").text
    assert '<a href="/metrics/app_opens">App opens</a>' in again
    admin = accounts.person(Role.admin)
    log = client.get(
        f"{API}/audit", params={"object_type": "link"}, headers=accounts.bearer(admin)
    ).json()
    assert any("metric:app_opens" in e["object_label"] for e in log["items"]), log
    sign_in(client, admin)  # the audit log links the objects that still exist
    audit = client.get("/admin/audit", params={"object_type": "roadmap_item"}).text
    assert f'<a href="/roadmap/items/{loop.item_key}">' in audit


def test_impact_json_and_shipped_and_measured(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    loop = build_loop(client, accounts, runtime)
    body = client.get(f"{API}/roadmap/items/{loop.item_key}/impact", headers=loop.headers).json()
    assert body["subject"]["label"] == "Card delivery tracking"
    assert body["evidence"]["feedback_count"] == 5 and body["evidence"]["arr_cents"] == 130_000_00
    assert body["launches"][0]["launched"] is True
    assert body["launches"][0]["ga_date"] == loop.ga.date().isoformat()
    assert body["experiments"][0]["primary_metric"]["url"] == "/metrics/card_delivery_contacts"
    estimate = body["metrics"][0]["estimate"]
    assert estimate["status"] == "fell" and estimate["ci_high"] < 0 < estimate["mean_after"]
    shipped = client.get(f"{API}/roadmap/shipped", headers=loop.headers).json()
    assert (
        shipped["count"] == 1 and shipped["items"][0]["item"]["label"] == "Card delivery tracking"
    )
    sign_in(client, loop.viewer)
    page = client.get("/roadmap/shipped").text
    assert 'href="/roadmap/shipped" aria-current="page"' in page
    row = page.split('data-testid="shipped-row"')[1]
    assert f'<a href="/roadmap/items/{loop.item_key}">Card delivery tracking</a>' in row
    assert 'data-status="fell"' in row and "5 feedback · 3 customers · $130,000.00 ARR" in row
    assert client.get("/roadmap/items/FEAT-404/impact").status_code == 404
    columns = "columns=key&columns=feedback_count&columns=customer_count&columns=customer_arr_cents"
    table = client.get(f"/roadmap/table?{columns}").text
    row = table.split(f'data-key="{loop.item_key}"')[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    assert [c.strip() for c in cells][-3:] == ["5", "3", "130,000.00"], cells  # each item once


def test_launch_page_links_features_and_shows_the_chain(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    loop = build_loop(client, accounts, runtime)
    csrf = sign_in(client, loop.editor)
    html = client.get(f"/launches/{loop.launch_key}").text
    feature = html.split('data-testid="feature"')[1].split("</li>")[0]
    assert f'<a href="/roadmap/items/{loop.item_key}">Card delivery tracking</a>' in feature
    impact = html.split('data-testid="impact"')[1].split("</section>")[0]
    assert f'<a href="/feedback/themes/{loop.theme_id}">Where is my card</a>' in impact
    assert 'data-testid="impact-metric" data-status="fell"' in impact  # through its item
    refused = client.post(
        f"/launches/{loop.launch_key}/metrics", data={"metric": "", "csrf_token": csrf}
    )
    assert "choose a metric" in refused.text
    client.post(
        f"/launches/{loop.launch_key}/metrics", data={"metric": "app_opens", "csrf_token": csrf}
    )
    again = client.get(f"/launches/{loop.launch_key}").text
    assert '<a href="/metrics/app_opens">App opens</a>' in again.split('data-testid="impact"')[1]


def test_metric_page_lists_what_it_measures_and_the_experiments_using_it(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    loop = build_loop(client, accounts, runtime)
    sign_in(client, loop.viewer)
    html = client.get("/metrics/card_delivery_contacts").text
    used = html.split('data-testid="metric-backlinks"')[1].split("</section>")[0]
    assert "<h3>Measures</h3>" in used and "<h3>Used by experiments</h3>" in used
    assert f'<a href="/roadmap/items/{loop.item_key}">Card delivery tracking</a>' in used
    assert f'<a href="/experiments/{loop.experiment_key}">Delivery timeline in the app</a>' in used
    experiment = client.get(f"/experiments/{loop.experiment_key}").text
    assert '<a href="/metrics/card_delivery_contacts">Card-delivery contacts</a>' in experiment
    theme = client.get(f"/feedback/themes/{loop.theme_id}").text
    linked = theme.split('data-testid="theme-links"')[1].split("</ul>")[0]
    assert f'<a href="/roadmap/items/{loop.item_key}">Card delivery tracking</a>' in linked


def test_a_metric_gone_from_the_catalog_is_struck_not_an_error(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    loop = build_loop(client, accounts, runtime)
    folder = runtime.settings.effective_metrics_path
    text = (folder / "loop.yaml").read_text(encoding="utf-8")
    kept = text[text.index("  - name: app_opens") :]
    (folder / "loop.yaml").write_text("metrics:\n" + kept, encoding="utf-8")
    sign_in(client, loop.viewer)
    page = client.get(f"/roadmap/items/{loop.item_key}")
    assert page.status_code == 200
    impact = page.text.split('data-testid="impact"')[1].split("</section>")[0]
    assert '<del class="ref-deleted">Metric card_delivery_contacts</del>' in impact
    assert "no longer in the catalog" in impact


def test_an_editor_removes_a_link_from_the_item_page(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    loop = build_loop(client, accounts, runtime)
    csrf = sign_in(client, loop.editor)
    html = client.get(f"/roadmap/items/{loop.item_key}").text
    measured = html.split("<h3>Measured by</h3>")[1].split("</ul>")[0]
    action = re.search(r'action="(/roadmap/items/[^"]+/links/\d+/delete)"', measured)
    assert action is not None, measured
    done = client.post(action.group(1), data={"csrf_token": csrf})
    assert done.status_code == 200 and "Link removed." in done.text
    assert "<h3>Measured by</h3>" not in done.text
    assert "No metric measures this yet." in done.text
    sign_in(client, loop.viewer)
    assert (
        "/links/"
        not in client.get(f"/roadmap/items/{loop.item_key}").text.split('data-testid="item-links"')[
            1
        ]
    )


def test_experiments_of_many_refs_match_asking_per_ref(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    """The chain asks for the experiments of a launch and every key of its items in two
    queries (issue 14.3); the answer, order included, is what asking per ref gives."""
    from pilothouse.core.links import ObjectRef
    from pilothouse.experiments.experiment_links import (
        experiments_linked_to,
        experiments_linked_to_any,
    )

    loop = build_loop(client, accounts, runtime)
    made = []
    for name, links in [
        ("Zeta on the item", [("roadmap_item", loop.item_key)]),
        ("Alpha on both", [("launch", loop.launch_key), ("roadmap_item", loop.item_key)]),
        ("Beta on the launch", [("launch", loop.launch_key)]),
    ]:
        made.append(_experiment(client, loop.headers, name, links))
    with runtime.database.session() as session:
        item = items.find_item(session, loop.item_key)
        refs = [
            ObjectRef("roadmap_item", str(item.id)),
            ObjectRef("roadmap_item", loop.item_key),
            ObjectRef("launch", str(session.scalar(_launch_id(loop.launch_key)))),
            ObjectRef("launch", "no-such-launch"),
        ]
        expected: dict[int, str] = {}
        for ref in refs:
            for summary in experiments_linked_to(session, ref):
                expected.setdefault(summary.id, summary.name)
        got = [(s.id, s.name) for s in experiments_linked_to_any(session, refs)]
        chain = item_chain(session, runtime, item)
    assert got == list(expected.items())
    assert len(got) == 4  # the loop's experiment and the three made here, each once
    assert [e.reference.label for e in chain.experiments] == [name for _, name in got]
    assert experiments_linked_to_any(session, []) == []


def _experiment(client: TestClient, headers: dict, name: str, links: list) -> str:  # type: ignore[type-arg]
    made = client.post(f"{API}/experiments", json={"name": name}, headers=headers)
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    for type_, target in links:
        linked = client.post(
            f"{API}/experiments/{key}/links", json={"type": type_, "id": target}, headers=headers
        )
        assert linked.status_code in (200, 201), linked.text
    return str(key)


def _launch_id(key: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from pilothouse.launches.models import Launch

    return select(Launch.id).where(Launch.key == key)
