"""Stored values read as words on pages: one |label filter for enum values, setting keys
shown by their name with the key in small print."""

from __future__ import annotations

import enum

import pytest
from fastapi.testclient import TestClient

from pilothouse.core.models import Role
from pilothouse.experiments.models import DecisionOutcome
from pilothouse.web.labels import enum_label, setting_label
from pilothouse.web.nav import NAV, current_href
from tests.support.accounts import Accounts, sign_in


class Colour(enum.StrEnum):
    dark_blue = "dark_blue"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ROLL_BACK", "Roll back"),
        (DecisionOutcome.roll_back, "Roll back"),
        ("in_progress", "In progress"),
        ("in-progress", "In progress"),
        (Colour.dark_blue, "Dark blue"),
        ("ga_review", "GA review"),
        ("srm_check", "SRM check"),
        ("decided", "Decided"),
        ("wont_do", "Won't do"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_enum_label(value: object, expected: str) -> None:
    assert enum_label(value) == expected


def test_setting_label_names_the_setting() -> None:
    assert setting_label("experiments.require_hypothesis") == "Require hypothesis"
    assert setting_label("experiments.require_primary_metric") == "Require primary metric"
    assert setting_label("unknown.some_flag") == "Some flag"


def test_current_section_is_the_longest_matching_prefix() -> None:
    assert current_href(NAV, "/") == "/"
    assert current_href(NAV, "/feedback/themes/3") == "/feedback"
    assert current_href(NAV, "/admin/audit") == "/admin/audit"
    assert current_href(NAV, "/launchesque") is None  # a prefix must end at a segment
    assert current_href(NAV, "/account/tokens") is None


def test_settings_page_shows_names_with_the_key_in_small_print(
    client: TestClient, accounts: Accounts
) -> None:
    sign_in(client, accounts.person(Role.admin))
    page = client.get("/admin/settings").text
    assert (
        'Require hypothesis <small class="muted"><code>experiments.require_hypothesis</code>'
        in page
    )
    assert "Default: on." in page
