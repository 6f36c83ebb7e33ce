"""The closed loop on a roadmap item: a linked theme counts as evidence (each feedback
item once), the chain names every link, and the measured metric's fall is estimated."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from pilothouse.roadmap.evidence import evidence_for
from pilothouse.roadmap.impact.chain import item_chain
from pilothouse.roadmap.impact.its import Status
from tests.roadmap.loop import build_loop
from tests.support.accounts import Accounts


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
