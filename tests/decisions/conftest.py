from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.decisions.helpers import Team
from tests.support.accounts import Accounts


@pytest.fixture
def team(client: TestClient, accounts: Accounts) -> Team:
    return Team(client, accounts)
