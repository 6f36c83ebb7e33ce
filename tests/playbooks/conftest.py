from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.playbooks.helpers import PlaybookTeam
from tests.support.accounts import Accounts


@pytest.fixture
def team(client: TestClient, accounts: Accounts) -> PlaybookTeam:
    """An admin, an editor and a viewer with write tokens."""
    return PlaybookTeam(client, accounts)
