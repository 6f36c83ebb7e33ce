"""Prioritisation against hand-computed values, custom formulas, their errors, and evidence
from linked feedback (counts, distinct customers, ARR in integer cents)."""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from pilothouse.accounts import service as accounts_service
from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, add_link
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items, scoring
from pilothouse.roadmap.evidence import FEEDBACK_SERVICE, evidence_for
from pilothouse.roadmap.models import RoadmapItem
from tests.roadmap.helpers import API, Team

CLI = Actor.command_line()

#: Two features with every input, and two that cannot be scored by RICE.
INPUTS = ("reach", "impact", "confidence", "effort", "ease", "value",
          "business_value", "time_criticality", "risk_reduction", "job_size")  # fmt: skip
F1 = dict(zip(INPUTS, (1000, 2, 80, 4, 6, 8, 8, 5, 3, 5), strict=True))
F2 = dict(zip(INPUTS, (500, 1, 100, 1, 9, 3, 3, 8, 1, 2), strict=True))
#: Hand-computed: RICE = R × I × C% ÷ E; ICE = I × C/10 × Ease; WSJF = (BV + TC + RR) ÷ size.
EXPECTED = {
    "rice": {"FEAT-1": 1000 * 2 * 0.80 / 4, "FEAT-2": 500 * 1 * 1.00 / 1},  # 400, 500
    "ice": {"FEAT-1": 2 * 8 * 6, "FEAT-2": 1 * 10 * 9},  # 96, 90
    "wsjf": {"FEAT-1": (8 + 5 + 3) / 5, "FEAT-2": (3 + 8 + 1) / 2},  # 3.2, 6.0
    "value_effort": {"FEAT-1": 8 / 4, "FEAT-2": 3 / 1},  # 2, 3
}


def _ranking(team: Team, formula: str, **params: str) -> dict:  # type: ignore[type-arg]
    return team.get("/ranking", formula=formula, **params)


@pytest.fixture
def scored(team: Team, runtime: Runtime) -> Team:
    team.item(kind="feature", title="Scheduled e-mails", **F1)
    team.item(kind="feature", title="Excel export", **F2)
    team.item(kind="feature", title="No estimate yet", reach=100, impact=1, confidence=50)
    zero = team.item(kind="feature", title="Zero effort", reach=100, impact=1, confidence=50)
    # The services refuse effort 0 now; rows stored before that rule must still rank.
    with runtime.database.session() as session:
        session.execute(update(RoadmapItem).where(RoadmapItem.id == zero["id"]).values(effort=0))
    return team


def test_effort_zero_is_refused_and_changes_nothing(team: Team) -> None:
    item = team.item(kind="feature", title="Sized", effort=2)
    response = team.client.patch(
        f"{API}/items/{item['key']}", json={"effort": 0}, headers=team.editor
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "effort", "message": "must be greater than zero (the score divides by it)"}
    ]
    assert team.get(f"/items/{item['key']}")["effort"] == 2


@pytest.mark.parametrize("formula", sorted(EXPECTED))
def test_builtin_frameworks_match_hand_computed_values(scored: Team, formula: str) -> None:
    ranking = _ranking(scored, formula)
    scores = {i["key"]: i["score"] for i in ranking["items"] if i["score"] is not None}
    assert scores == pytest.approx(EXPECTED[formula])
    order = sorted(EXPECTED[formula], key=lambda k: -EXPECTED[formula][k])
    assert [i["key"] for i in ranking["items"][:2]] == order
    assert [i["rank"] for i in ranking["items"][:2]] == [1, 2]


def test_ranking_shows_the_breakdown_and_unscored_items_last(scored: Team) -> None:
    ranking = _ranking(scored, "rice")
    assert ranking["formula"]["expression"] == "reach * impact * confidence / 100 / effort"
    assert (ranking["scored"], ranking["unscored"]) == (2, 2)
    top = ranking["items"][0]
    assert top["inputs"] == {"reach": 500.0, "impact": 1.0, "confidence": 100.0, "effort": 1.0}
    missing, zero = ranking["items"][2], ranking["items"][3]
    assert missing["rank"] is None and missing["error"]["field"] == "effort"
    assert "has no value" in missing["error"]["message"]
    assert zero["error"]["field"] == "effort" and "division by zero" in zero["error"]["message"]


def test_changing_an_input_reranks_at_once(scored: Team) -> None:
    assert _ranking(scored, "rice")["items"][0]["key"] == "FEAT-2"
    scored.client.patch(f"{API}/items/FEAT-1", json={"reach": 2000}, headers=scored.editor)
    ranking = _ranking(scored, "rice")
    assert [(i["key"], i["score"]) for i in ranking["items"][:2]] == [
        ("FEAT-1", 800.0),
        ("FEAT-2", 500.0),
    ]


def test_custom_formulas_over_custom_fields(scored: Team, client: TestClient) -> None:
    client.post(f"{API}/fields", json={"name": "Strategic fit", "type": "number"},
                headers=scored.admin)  # fmt: skip
    client.post(f"{API}/fields", json={"name": "Segment", "type": "single_select",
                "options": ["SMB", "Enterprise"]}, headers=scored.admin)  # fmt: skip
    scored.client.patch(f"{API}/items/FEAT-1", json={"fields": {"strategic_fit": 3}},
                        headers=scored.editor)  # fmt: skip
    created = client.post(
        f"{API}/formulas",
        json={"key": "fit", "name": "Fit-weighted value",
              "expression": "value * strategic_fit if strategic_fit > 1 else value"},
        headers=scored.editor,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    ranking = _ranking(scored, "fit")
    assert ranking["items"][0]["key"] == "FEAT-1" and ranking["items"][0]["score"] == 24
    scores = team_scores = scored.get("/items/FEAT-1/scores")["scores"]
    assert {s["formula"]: s["score"] for s in team_scores}["fit"] == 24
    assert len(scores) == 5

    for expression, field, message in [
        ("reach * strategic_fitt", "strategic_fitt", "did you mean 'strategic_fit'"),
        ("reach * segment", "segment", "single_select field"),
        ("reach.__class__", None, "attribute access"),
    ]:
        bad = client.post(f"{API}/formulas", json={"key": "bad", "name": "Bad",
                          "expression": expression}, headers=scored.editor)  # fmt: skip
        assert bad.status_code == 422, expression
        assert message in bad.json()["detail"]
        check = client.post(f"{API}/formulas/check", json={"expression": expression},
                            headers=scored.editor).json()  # fmt: skip
        assert check["ok"] is False and check["error"]["field"] == field


def test_a_custom_field_deleted_while_used(scored: Team, client: TestClient) -> None:
    client.post(f"{API}/fields", json={"name": "Boost", "type": "number"}, headers=scored.admin)
    client.post(f"{API}/formulas", json={"key": "boosted", "name": "Boosted",
                "expression": "value * boost"}, headers=scored.editor)  # fmt: skip
    refused = client.delete(f"{API}/fields/boost", headers=scored.admin)
    assert refused.status_code == 409 and "'boosted'" in refused.json()["detail"]
    forced = client.delete(f"{API}/fields/boost", params={"force": True}, headers=scored.admin)
    assert forced.status_code == 204
    broken = client.get(f"{API}/ranking", params={"formula": "boosted"}, headers=scored.viewer)
    assert broken.status_code == 422
    assert "unknown field 'boost'" in broken.json()["detail"]
    assert "deleted" in broken.json()["detail"]
    scores = {s["formula"]: s for s in scored.get("/items/FEAT-1/scores")["scores"]}
    assert scores["boosted"]["score"] is None and "boost" in scores["boosted"]["error"]["message"]


def test_builtin_formulas_cannot_be_changed(scored: Team, client: TestClient) -> None:
    response = client.patch(f"{API}/formulas/rice", json={"name": "x"}, headers=scored.editor)
    assert response.status_code == 409
    taken = client.post(f"{API}/formulas", json={"key": "rice", "name": "x",
                        "expression": "reach"}, headers=scored.editor)  # fmt: skip
    assert taken.status_code == 409


def _link_feedback(runtime: Runtime, item_key: str, feedback_ids: Sequence[str]) -> None:
    with runtime.database.session() as session:
        item = items.find_item(session, item_key)
        for feedback_id in feedback_ids:
            add_link(session, CLI, ObjectRef("feedback_item", feedback_id), items.item_ref(item))


def _accounts(runtime: Runtime) -> dict[str, int]:
    with runtime.database.session() as session:
        made = {
            name: accounts_service.create_account(
                session, CLI, {"external_id": name, "name": name, "arr_cents": arr}
            ).id
            for name, arr in (("globex", 1_200_000), ("initech", 350_050), ("hooli", None))
        }
    return made


@pytest.mark.usefixtures("scored")
def test_evidence_counts_feedback_customers_and_arr(runtime: Runtime) -> None:
    ids = _accounts(runtime)
    _link_feedback(runtime, "FEAT-1", ["fb-1", "fb-2", "fb-3", "fb-4"])
    _link_feedback(runtime, "FEAT-2", ["fb-5"])
    owners = {"fb-1": ids["globex"], "fb-2": ids["globex"], "fb-3": ids["initech"],
              "fb-4": None, "fb-5": ids["hooli"]}  # fmt: skip

    def resolver(_session: object, feedback_ids: Sequence[str]) -> dict[str, int | None]:
        return {f: owners[f] for f in feedback_ids}

    with runtime.database.session() as session:
        found = [items.find_item(session, k) for k in ("FEAT-1", "FEAT-2", "FEAT-3")]
        evidence = evidence_for(session, found, resolver)
        assert evidence[found[0].id].as_dict() == {
            "feedback_count": 4,
            "customer_count": 2,
            "customer_arr_cents": 1_550_050,
        }
        assert evidence[found[1].id].as_dict() == {
            "feedback_count": 1,
            "customer_count": 1,
            "customer_arr_cents": 0,
        }
        assert evidence[found[2].id].feedback_count == 0
        without = evidence_for(session, found)  # no feedback domain installed: counts only
        assert without[found[0].id].as_dict()["customer_count"] == 0
        assert without[found[0].id].feedback_count == 4
        definition = scoring.ScoreDefinition("e", "E", "customer_arr_cents / 100 + feedback_count")
        ranked = scoring.rank_items(session, found, definition, resolver=resolver)
        assert [(r.item.key, r.score) for r in ranked] == [
            ("FEAT-1", 15504.5),
            ("FEAT-2", 1.0),
            ("FEAT-3", 0.0),
        ]


def test_evidence_through_the_feedback_service_interface(
    scored: Team, runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _accounts(runtime)
    _link_feedback(runtime, "FEAT-2", ["9", "10"])
    fake = types.ModuleType(FEEDBACK_SERVICE)
    fake.accounts_of_feedback = lambda _session, feedback_ids: dict.fromkeys(  # type: ignore[attr-defined]
        feedback_ids, ids["globex"]
    )
    monkeypatch.setitem(sys.modules, FEEDBACK_SERVICE, fake)
    client.post(f"{API}/formulas", json={"key": "demand", "name": "Demand",
                "expression": "customer_count * 1000 + customer_arr_cents / 100"},
                headers=scored.editor)  # fmt: skip
    ranking = _ranking(scored, "demand")
    top = ranking["items"][0]
    assert (top["key"], top["score"]) == ("FEAT-2", 13000.0)
    assert top["evidence"] == {
        "feedback_count": 2,
        "customer_count": 1,
        "customer_arr_cents": 1_200_000,
    }
