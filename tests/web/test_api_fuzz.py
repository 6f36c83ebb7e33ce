"""Schemathesis over every operation of ``/api/v1/openapi.json``, over real HTTP.

The app runs as ``pilothouse serve`` in a child process that can reach loopback
only (``tests/support/loopback_only``: fuzzed automation rules fire webhooks), on
its own database seeded through the API with one object of each kind, so path
parameters hit existing ids and keys as well as missing ones. Every operation is
then fuzzed twice: with an admin's write token and with a viewer's write token
(refused writes must be declared refusals too). Valid and invalid inputs are both
generated; the checks are:

- ``not_a_server_error``: no 5xx, whatever the input;
- ``status_code_conformance``: every status answered is declared in the schema;
- ``content_type_conformance``: the media type answered is the one declared;
- ``response_schema_conformance``: the body matches the declared model;
- ``negative_data_rejection``: input that breaks the schema gets a 4xx.

A failure is reported as a sub-test named ``[METHOD /path]`` with the check that
failed and a ``curl`` line that reproduces it. Generation is derandomised (the same
examples on every run) and bounded by ``MAX_EXAMPLES``; see docs/api.md for how to
run it, its cost and what is left out.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from pilothouse.core.models import ApiToken, Role, User
from tests.support.accounts import Accounts
from tests.support.served_app import ServedApp, serve

pytestmark = pytest.mark.slow

#: Examples per operation as an admin, and as a viewer (whose writes are all refused
#: before the body is read, so a few examples cover them). Derandomised: the same
#: examples on every run; raise them (environment) for a deeper run.
ADMIN_EXAMPLES = int(os.environ.get("PILOTHOUSE_FUZZ_EXAMPLES", "6"))
VIEWER_EXAMPLES = int(os.environ.get("PILOTHOUSE_FUZZ_VIEWER_EXAMPLES", "2"))
#: The databases served; CI fuzzes SQLite (PostgreSQL: ``sqlite,postgresql``).
BACKENDS = os.environ.get("PILOTHOUSE_FUZZ_BACKENDS", "sqlite").split(",")
LOOPBACK_ONLY = Path(__file__).resolve().parents[1] / "support" / "loopback_only"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: Operations not fuzzed, each with why. Everything else in the schema is.
EXCLUDED: dict[str, str] = {}


class Workspace:
    """The served app, the people the fuzzer acts as, and the objects it can find."""

    def __init__(self, server: ServedApp) -> None:
        self.server = server
        accounts = Accounts(server.runtime)
        self.people = {role: accounts.person(role) for role in (Role.admin, Role.viewer)}
        self.tokens = {role: accounts.token(person) for role, person in self.people.items()}

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def restore_people(self) -> None:
        """Undo what a fuzzed call may do to the fuzzer's own identity.

        ``PATCH /users/{id}`` may deactivate or demote the caller and
        ``DELETE /tokens/{id}`` may revoke its token (both allowed and audited);
        the next operations must still run as the same admin and viewer.
        """
        with self.server.runtime.database.session() as session:
            for role, person in self.people.items():
                session.execute(
                    update(User)
                    .where(User.id == person.id)
                    .values(role=role, is_active=True, locked_until=None)
                )
            ids = [p.id for p in self.people.values()]
            session.execute(
                update(ApiToken).where(ApiToken.user_id.in_(ids)).values(revoked_at=None)
            )


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_server(
    request: pytest.FixtureRequest, database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedApp]:
    backend = str(request.param)
    home = tmp_path_factory.mktemp(f"fuzz-{backend}")
    python_path = os.pathsep.join(filter(None, [str(LOOPBACK_ONLY), os.environ.get("PYTHONPATH")]))
    with serve(home, database_factory.new_url(backend), {"PYTHONPATH": python_path}) as server:
        yield server


@pytest.fixture(scope="module")
def workspace(fuzz_server: ServedApp) -> Workspace:
    workspace = Workspace(fuzz_server)
    seed(fuzz_server.base_url, workspace.headers(Role.admin))
    return workspace


def seed(base_url: str, headers: dict[str, str]) -> None:
    """One object of each kind, made through the API the fuzzer is about to call."""
    with httpx.Client(base_url=f"{base_url}/api/v1", headers=headers, timeout=60) as api:
        for path, body in SEED:
            response = api.post(path, json=body)
            assert response.status_code in (200, 201), (path, response.text)


LAUNCH_TEMPLATE = {
    "name": "Standard",
    "stages": [
        {"name": "Beta", "items": [{"title": "Docs"}], "gates": [{"name": "Go", "approvers": [1]}]},
        {"name": "GA", "offset_days": 0},
    ],
}
SEED: list[tuple[str, dict[str, Any]]] = [
    ("/areas", {"name": "Checkout"}),
    ("/accounts", {"external_id": "acme", "name": "Acme"}),
    ("/sources", {"name": "web"}),
    ("/experiment-templates", {"name": "Checkout test"}),
    ("/experiments", {"name": "One-page checkout"}),
    ("/roadmap/objectives", {"title": "Grow activation"}),
    ("/roadmap/objectives/1/key-results", {"title": "Activation to 40%", "target_value": 40}),
    ("/roadmap/items", {"title": "One-page checkout"}),
    ("/roadmap/views", {"name": "Everything"}),
    ("/roadmap/share-links", {"view_id": 1}),
    ("/roadmap/formulas", {"key": "reach2", "name": "Reach twice", "expression": "2"}),
    ("/feedback/themes", {"label": "Checkout is slow"}),
    ("/feedback", {"text": "Checkout takes forever", "account": "acme"}),
    ("/feedback/1/links", {"roadmap_item": "IDEA-1"}),
    ("/decisions", {"title": "Ship one-page checkout"}),
    ("/tools", {"name": "Checkout analytics", "category": "analytics", "cost_cents": 100}),
    ("/comments", {"object_type": "decision", "object_id": "1", "body_markdown": "Agreed"}),
    (
        "/automations/rules",
        {
            "name": "note",
            "trigger": "roadmap_item.created",
            "actions": [{"kind": "notify", "role": "admin"}],
        },
    ),
    ("/launch-templates", LAUNCH_TEMPLATE),
    ("/launches", {"template": 1, "name": "Checkout GA", "target_date": "2027-03-01"}),
]


#: Keys of seeded objects, by the path prefix whose next segment names one.
SEEDED_KEYS = {
    "/api/v1/areas/": "checkout",
    "/api/v1/accounts/": "acme",
    "/api/v1/experiments/": "EXP-1",
    "/api/v1/experiment-templates/": "Checkout test",
    "/api/v1/roadmap/objectives/": "OBJ-1",
    "/api/v1/roadmap/items/": "IDEA-1",
    "/api/v1/roadmap/formulas/": "reach2",
    "/api/v1/roadmap/statuses/": "new",
    "/api/v1/launches/": "LAUNCH-1",
    "/api/v1/decisions/": "DEC-1",
    "/api/v1/tools/": "checkout-analytics",
    "/api/v1/automations/rules/": "note",
    "/api/v1/watches/": "decision",
    "/api/v1/feedback/{feedback_id}/links/": "IDEA-1",
}


def aim_at_seeded_objects(case: Any) -> None:
    """Send half of the valid cases to seeded objects, so they get past the lookup.

    Integer ids are small numbers often enough by themselves; string keys (EXP-1,
    slugs) are not. Which half is chosen by a hash of the generated value, so a run
    repeats exactly.
    """
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative:
        return
    params = case.path_parameters or {}
    for prefix, key in SEEDED_KEYS.items():
        path = case.operation.path
        if not path.startswith(prefix):
            continue
        segment = path[len(prefix) :].split("/", 1)[0]
        name = segment.strip("{}")
        if segment.startswith("{") and name in params:
            if zlib.crc32(repr(params[name]).encode()) % 2 == 0:
                params[name] = key


def load_schema(max_examples: int) -> Any:
    """The schema the served app publishes, built here without a database or a server.

    It is needed when pytest collects (one test per operation); the served app's
    ``/api/v1/openapi.json`` is the same document (a test below holds that).
    """
    from pilothouse.core.config import Settings
    from pilothouse.core.db import Database
    from pilothouse.core.runtime import Runtime
    from pilothouse.web.app import create_app

    settings = Settings(home=Path("/nonexistent-pilothouse-home"), database_url="sqlite://")
    app = create_app(runtime=Runtime(settings=settings, database=Database("sqlite://")))
    loaded = schemathesis.openapi.from_dict(app.openapi())
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=max_examples,
        deterministic=True,
        no_shrink=True,
        database="none",
    )
    loaded.config.phases.update(phases=["examples", "fuzzing"])
    # 413 (body over the size limit) is a rejection too.
    rejection = loaded.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    for label in EXCLUDED:
        method, path = label.split(" ", 1)
        loaded = loaded.exclude(method=method, path=path)
    return loaded


admin_schema = load_schema(ADMIN_EXAMPLES)
viewer_schema = load_schema(VIEWER_EXAMPLES)


def test_served_schema_is_the_fuzzed_one(workspace: Workspace) -> None:
    served = httpx.get(f"{workspace.server.base_url}/api/v1/openapi.json", timeout=60).json()
    fuzzed = admin_schema.raw_schema
    differ = sorted(
        path
        for path in set(served["paths"]) | set(fuzzed["paths"])
        if served["paths"].get(path) != fuzzed["paths"].get(path)
    )
    assert not differ, f"the served schema differs from the fuzzed one at {differ}"
    assert served == fuzzed


@admin_schema.parametrize()
def test_api_fuzz_as_admin(case: Any, workspace: Workspace) -> None:
    call_and_check(case, workspace, Role.admin)


@viewer_schema.parametrize()
def test_api_fuzz_as_viewer(case: Any, workspace: Workspace) -> None:
    call_and_check(case, workspace, Role.viewer)


def call_and_check(case: Any, workspace: Workspace, role: Role) -> None:
    """Send ``case`` as ``role`` and run every check; a failure carries the server's log."""
    workspace.restore_people()
    aim_at_seeded_objects(case)
    log = workspace.server.log_path
    seen = log.stat().st_size
    try:
        case.call_and_validate(
            base_url=workspace.server.base_url,
            headers=workspace.headers(role),
            checks=CHECKS,
            timeout=60,
        )
    except Exception as exc:
        logged = log.read_bytes()[seen:].decode("utf-8", "replace").strip()
        if logged:  # the server's traceback of a 500 says where to look
            exc.add_note(f"\nServer log during this call:\n{logged[-6000:]}")
        raise
