"""Conditions: the pure filter language, and fields read from the object (account ARR,
segment) through the owning domains' services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pilothouse.accounts import service as accounts_service
from pilothouse.automations import rules
from pilothouse.automations.conditions import check_conditions, matches
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.models import Delivery
from pilothouse.core.actor import Actor
from pilothouse.core.links import ObjectRef, links_of
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service as feedback_service
from pilothouse.roadmap import items

CLI = Actor.command_line()
FIELDS = ("status", "arr", "tags", "title", "area")


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ({"field": "status", "value": "launched"}, {"status": "launched"}, True),
        ({"field": "status", "op": "ne", "value": "launched"}, {"status": "launched"}, False),
        ({"field": "status", "op": "in", "value": ["a", "b"]}, {"status": "b"}, True),
        ({"field": "status", "op": "not_in", "value": ["a"]}, {"status": "a"}, False),
        ({"field": "arr", "op": "gte", "value": 100}, {"arr": 100}, True),
        ({"field": "arr", "op": "gt", "value": 100}, {"arr": 100}, False),
        ({"field": "arr", "op": "lt", "value": 100}, {"arr": None}, False),
        ({"field": "arr", "op": "lte", "value": 1}, {"arr": True}, False),
        ({"field": "tags", "op": "contains", "value": "vip"}, {"tags": ["vip", "x"]}, True),
        ({"field": "title", "op": "contains", "value": "PDF"}, {"title": "pdf export"}, True),
        ({"field": "area", "op": "exists", "value": True}, {"area": ""}, False),
        ({"field": "area", "op": "exists", "value": False}, {}, True),
    ],
)
def test_operators(condition: dict, values: dict, expected: bool) -> None:
    assert check_conditions([condition], FIELDS) == []
    assert matches([condition], values) is expected


def test_every_problem_names_its_field() -> None:
    problems = check_conditions(
        [
            {"field": "colour", "op": "eq", "value": 1},
            {"field": "arr", "op": "gte", "value": "lots"},
            {"field": "status", "op": "in", "value": "a"},
            {"field": "status", "op": "like", "value": "a"},
            {"field": "status", "weight": 2},
            "status = a",
        ],
        FIELDS,
    )
    assert [p.field for p in problems] == [
        "conditions[0].field",
        "conditions[1].value",
        "conditions[2].value",
        "conditions[3].op",
        "conditions[4].weight",
        "conditions[5]",
    ]
    assert "known: status, arr, tags, title, area" in problems[0].message


def test_feedback_from_big_enterprise_accounts_is_linked_to_an_item(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        for key, segment, arr in (("big", "enterprise", 120_000_00), ("small", "smb", 900_00)):
            accounts_service.create_account(
                session,
                CLI,
                {"external_id": key, "name": key.title(), "segment": segment, "arr_cents": arr},
            )
        item = items.create_item(session, CLI, {"kind": "initiative", "title": "Enterprise asks"})
        item_id = item.id
    with runtime.database.session() as session:
        rules.create_rule(
            session,
            CLI,
            {
                "name": "Big customers' feedback",
                "trigger": "feedback.created",
                "conditions": [
                    {"field": "segment", "value": "enterprise"},
                    {"field": "arr", "op": "gte", "value": 50_000},
                ],
                "actions": [
                    {"kind": "link", "to": f"roadmap_item:{item_id}", "link_kind": "evidence"}
                ],
            },
        )
    with runtime.database.session() as session:
        for key in ("big", "small"):
            feedback_service.create_feedback(
                session,
                CLI,
                {"text": f"SSO please ({key})", "source_kind": "email", "account": key},
            )

    dispatch_once(runtime, run_now=True)

    with runtime.database.session() as session:
        linked = links_of(session, ObjectRef("roadmap_item", str(item_id)))
        assert len(linked) == 1 and linked[0].from_type == "feedback_item"
        assert linked[0].kind == "evidence"  # the link's kind, not the action's ("link")
        [delivery] = session.scalars(select(Delivery)).all()
        assert delivery.status == "succeeded"
        assert delivery.payload["fields"]["segment"] == "enterprise"
        assert delivery.payload["fields"]["arr"] == 120_000
