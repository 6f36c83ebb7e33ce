"""A small closed loop built through the real services and API, numbers known by construction.

* Three customer accounts: Acme (ARR $100,000.00), Globex ($25,000.00), Initech ($5,000.00).
* Theme "Where is my card" with four feedback items: Acme ×2, Globex, Initech; one more
  item from Acme outside the theme; the theme is linked to the item as evidence, and
  so is the outside item and ONE item of the theme (it must count once).
  → 5 feedback items, 3 customers, $130,000.00 ARR.
* Roadmap item "Card delivery tracking", shipped by launch "Card delivery tracking"
  (two stages, passed; GA = today − 30 days), experiment "Delivery timeline in the
  app" on the launch (primary metric card_delivery_contacts), decision "Ship card
  delivery tracking to every account" about the item.
* Catalog metric ``card_delivery_contacts`` (daily Support Contact events with topic
  card_delivery): about 40 a day before GA and 24 after (a 40 % fall), linked to the
  item with kind ``measures``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import update

from pilothouse.accounts import service as accounts_service
from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, add_link
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service as feedback_service
from pilothouse.feedback import themes
from pilothouse.launches.models import Launch
from pilothouse.metrics.segment import TrackedEvent
from tests.support.accounts import Accounts, Person

API = "/api/v1"
CLI = Actor.command_line()
METRIC_YAML = """\
metrics:
  - name: card_delivery_contacts
    label: Card-delivery contacts
    description: Support contacts about where a card is, per day.
    owner: kenji@example.com
    product_area: cards
    type: count
    event: Support Contact
    filters:
      - property: topic
        value: card_delivery
  - name: app_opens
    label: App opens
    description: Times the app was opened.
    owner: kenji@example.com
    product_area: cards
    type: count
    event: App Opened
"""
ACCOUNTS = (("acme", "Acme", 100_000), ("globex", "Globex", 25_000), ("initech", "Initech", 5_000))


@dataclass
class Loop:
    item_key: str
    item_id: int
    theme_id: int
    launch_key: str
    experiment_key: str
    decision_key: str
    ga: datetime
    editor: Person
    viewer: Person
    headers: dict[str, str]


def _events(runtime: Runtime, ga: datetime) -> None:
    rng = np.random.default_rng(4)
    events = []
    for offset in range(-70, 30):
        day = ga + timedelta(days=offset)
        for n in range(int(rng.poisson(40 if offset < 0 else 24))):
            events.append(
                TrackedEvent(
                    f"loop-{offset}-{n}", "Support Contact", f"u{n}", None, None,
                    day + timedelta(minutes=7 * n + 1), {"topic": "card_delivery"},
                )
            )  # fmt: skip
    runtime.event_store.write(
        events=events, identifies=[], groups=[], received_at=datetime.now(UTC)
    )


def _feedback(runtime: Runtime, item_id: int) -> int:
    with runtime.database.session() as session:
        for key, name, arr in ACCOUNTS:
            accounts_service.create_account(
                session, CLI, {"external_id": key, "name": name, "arr_cents": arr * 100}
            )
        made = [
            feedback_service.create_feedback(session, CLI, {"text": text, "account": account}).id
            for text, account in (
                ("Where is my card? Ordered two weeks ago", "acme"),
                ("Card still not delivered", "acme"),
                ("No idea when the card arrives", "globex"),
                ("Card delivery estimate please", "initech"),
                ("Please track my card like a parcel", "acme"),
            )
        ]
        theme_id = themes.create_theme(session, CLI, label="Where is my card")
        themes.move_items(session, CLI, made[:4], theme_id)
        target = ObjectRef("roadmap_item", str(item_id))
        add_link(session, CLI, ObjectRef("feedback_theme", str(theme_id)), target, "evidence")
        for feedback_id in (made[4], made[0]):  # made[0] is in the theme too: counted once
            add_link(session, CLI, ObjectRef("feedback_item", str(feedback_id)), target, "evidence")
    return theme_id


def _post(client: TestClient, path: str, headers: dict[str, str], body: object) -> dict:  # type: ignore[type-arg]
    response = client.post(f"{API}{path}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def build_loop(client: TestClient, accounts: Accounts, runtime: Runtime) -> Loop:
    """Build the loop; the metric catalog file and events go into the runtime's folders."""
    folder = runtime.settings.effective_metrics_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "loop.yaml").write_text(METRIC_YAML, encoding="utf-8")
    editor, viewer = accounts.person(Role.editor), accounts.person(Role.viewer)
    headers = accounts.bearer(editor)
    today = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
    ga = today - timedelta(days=30)
    feature = {"kind": "feature", "title": "Card delivery tracking"}
    item = _post(client, "/roadmap/items", headers, feature)
    stages = [{"name": "Beta", "offset_days": -14}, {"name": "GA", "offset_days": 0}]
    _post(client, "/launch-templates", headers, {"name": "Two steps", "stages": stages})
    launch = _post(client, "/launches", headers, {
        "template": "Two steps", "name": "Card delivery tracking",
        "target_date": ga.date().isoformat(), "features": [item["key"]],
    })  # fmt: skip
    _post(client, f"/launches/{launch['key']}/advance", headers, {})
    with runtime.database.session() as session:  # it went live on GA day, not today
        session.execute(update(Launch).where(Launch.id == launch["id"]).values(launched_at=ga))
    experiment = _post(client, "/experiments", headers, {
        "name": "Delivery timeline in the app",
        "metrics": [{"metric": "card_delivery_contacts", "role": "primary"}],
    })  # fmt: skip
    _post(client, f"/experiments/{experiment['key']}/links", headers,
          {"type": "launch", "id": launch["key"]})  # fmt: skip
    decision = _post(client, "/decisions", headers, {
        "title": "Ship card delivery tracking to every account",
        "links": [f"roadmap_item:{item['key']}"],
    })  # fmt: skip
    _post(client, f"/roadmap/items/{item['key']}/links", headers,
          {"to_type": "metric", "to_id": "card_delivery_contacts", "kind": "measures"})  # fmt: skip
    theme_id = _feedback(runtime, item["id"])
    _events(runtime, ga)
    return Loop(
        item["key"], item["id"], theme_id, launch["key"], experiment["key"], decision["key"],
        ga, editor, viewer, headers,
    )  # fmt: skip
