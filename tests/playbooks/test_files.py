"""Playbooks as Markdown files with YAML front matter: round trip, and bad files that are
refused with file:line and the field, changing nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pilothouse.core.actor import Actor
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.runtime import Runtime
from pilothouse.playbooks import service
from pilothouse.playbooks.files import from_markdown
from pilothouse.playbooks.models import Playbook, PlaybookRevision
from tests.support.accounts import Accounts

CLI = Actor.command_line()
GOOD = """---
title: Feedback triage
slug: feedback-triage
owner: {owner}
reviewed_on: 2026-11-02
---
## Every weekday

Link each item to a theme.
"""


def _count(runtime: Runtime) -> tuple[int, int]:
    with runtime.database.session() as session:
        playbooks = session.scalar(select(func.count()).select_from(Playbook)) or 0
        revisions = session.scalar(select(func.count()).select_from(PlaybookRevision)) or 0
        return playbooks, revisions


def test_round_trip(runtime: Runtime, accounts: Accounts) -> None:
    owner = accounts.person(email="ops@example.com")
    text = GOOD.format(owner=owner.email)
    with runtime.database.session() as session:
        playbook = service.apply_markdown(session, CLI, text, "playbooks/triage.md")
        assert playbook.reviewed_on == date(2026, 11, 2) and playbook.owner_id == owner.id
        assert service.to_markdown(playbook) == text
        again = service.apply_markdown(session, CLI, text, "playbooks/triage.md")
        assert again.id == playbook.id and again.version == 1  # same file: no new version
        changed = text.replace("Link each item", "Link every item")
        assert service.apply_markdown(session, CLI, changed, "triage.md").version == 2


@pytest.mark.parametrize(
    ("text", "where", "field"),
    [
        ("---\ntitle: [unclosed\nslug: x\n---\n", "t.md:3", "front_matter"),
        ("---\ntitle: A\nslug: a\ncolour: red\n---\n", "t.md:4", "colour"),
        ("---\ntitle: A\nslug: Bad Slug\n---\n", "t.md:3", "slug"),
        ("---\ntitle: A\nslug: a\nreviewed_on: soon\n---\n", "t.md:4", "reviewed_on"),
        ("---\nslug: a\n---\nbody\n", "t.md:1", "title"),
        ("---\ntitle: A\nslug: a\nlinks: launch_template\n---\n", "t.md:4", "links"),
        ("no front matter\n", "t.md:1", "file"),
        ("---\ntitle: A\nslug: a\n", "t.md:1", "file"),
    ],
)
def test_bad_files_name_file_line_and_field(text: str, where: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        from_markdown(text, "t.md")
    assert str(caught.value.detail).startswith(f"{where}: ")
    assert caught.value.errors[0].field == field


def test_database_checks_name_the_line_and_write_nothing(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        for text, where in [
            ("---\ntitle: A\nslug: a\nowner: ghost@example.com\n---\n", "t.md:4: owner"),
            ("---\ntitle: A\nslug: a\nlinks:\n  - launch_template:99\n---\n", "t.md:4: links.0"),
        ]:
            with pytest.raises(ValidationFailed) as caught:
                service.apply_markdown(session, CLI, text, "t.md")
            assert str(caught.value.detail).startswith(where), caught.value.detail
    assert _count(runtime) == (0, 0)


def test_invalid_yaml_over_the_api_writes_nothing(client, accounts: Accounts, runtime) -> None:  # type: ignore[no-untyped-def]
    from pilothouse.core.models import Role

    editor = accounts.bearer(accounts.person(Role.editor))
    response = client.post(
        "/api/v1/playbooks/markdown",
        json={"text": "---\ntitle: A\n  slug: : x\n---\n", "path": "launch.md"},
        headers=editor,
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("launch.md:3: invalid YAML")
    assert _count(runtime) == (0, 0)
