"""The OpenAPI document declares every error an operation answers, in the one format.

Found by the API fuzz test (tests/web/test_api_fuzz.py): before, operations declared
only their success and FastAPI's 422 model (a body the app never sends), while every
error is an ``application/problem+json`` document. And integers past 64 bits were
500s; now they are 422s that name the field, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.web.bounds import INT32_MAX, INT32_MIN, INT64_MAX
from tests.support.accounts import Accounts

PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from pathlib import Path

    from pilothouse.core.config import Settings
    from pilothouse.core.db import Database
    from pilothouse.core.runtime import Runtime
    from pilothouse.web.app import create_app

    settings = Settings(home=Path("/nonexistent-pilothouse-home"), database_url="sqlite://")
    return create_app(runtime=Runtime(settings=settings, database=Database("sqlite://"))).openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_errors_are_problem_documents_everywhere(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                content = response["content"]
                assert content == {"application/problem+json": {"schema": PROBLEM}}, (
                    method,
                    path,
                    status,
                )


def test_each_operation_declares_the_errors_it_can_answer(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert set(paths["/healthz"]["get"]["responses"]) == {"200"}  # public, no input
    listing = set(paths["/api/v1/decisions"]["get"]["responses"])
    assert listing == {"200", "400", "401", "403", "404", "422", "429"}
    create = set(paths["/api/v1/decisions"]["post"]["responses"])
    assert create == {"201", "400", "401", "403", "404", "409", "413", "422", "429"}


def test_integer_parameters_declare_their_64_bit_range(document: dict[str, Any]) -> None:
    found = 0
    for _method, _path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            for variant in [schema, *schema.get("anyOf", [])]:
                if variant.get("type") == "integer":
                    found += 1
                    assert variant["maximum"] <= INT32_MAX
                    assert variant["minimum"] >= INT32_MIN
    assert found > 20


def test_integers_no_column_holds_are_named_422s(client: TestClient, accounts: Accounts) -> None:
    headers = accounts.bearer(accounts.person(Role.admin))
    too_big = str(INT32_MAX + 1)
    path = client.get(f"/api/v1/audit/{too_big}", headers=headers)
    assert path.status_code == 422, path.text
    assert [e["field"] for e in path.json()["errors"]] == ["event_id"]
    body = client.post(
        "/api/v1/comments",
        json={"object_type": "decision", "object_id": "1", "body_markdown": "x", "n": [-(2**70)]},
        headers=headers,
    )
    assert body.status_code == 422, body.text
    assert [e["field"] for e in body.json()["errors"]] == ["n.0"]
    assert str(INT64_MAX) in body.json()["errors"][0]["message"]
    fine = client.get(f"/api/v1/audit/{INT32_MAX}", headers=headers)
    assert fine.status_code == 404
