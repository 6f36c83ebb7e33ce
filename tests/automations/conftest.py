from __future__ import annotations

from collections.abc import Iterator

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.core.workspace import set_setting
from tests.automations.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = found.start()
    yield found
    if found.hold is not None:
        found.hold.set()
    server.shutdown()
    server.server_close()


def allow_private(runtime: Runtime, allowed: bool = True) -> None:
    """Tests talk to a receiver on 127.0.0.1, which only an admin's setting allows."""
    with runtime.database.session() as session:
        set_setting(session, Actor.command_line(), "automations.allow_private_targets", allowed)
