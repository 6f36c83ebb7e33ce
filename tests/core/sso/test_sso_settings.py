"""SSO settings and the group-to-role mapping, without a provider."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from pilothouse.cli.main import app as cli_app
from pilothouse.core.config import Settings
from pilothouse.core.sso.mapping import claim_values, parse_role_map, role_from_claims


def test_role_map_parses_and_names_a_bad_entry() -> None:
    text = "ph-admins=admin, ph-editors = Editor,\nstaff=viewer"
    assert parse_role_map(text) == {
        "ph-admins": "admin",
        "ph-editors": "editor",
        "staff": "viewer",
    }
    assert parse_role_map("") == {}
    for bad, message in [
        ("staff=boss", "entry 'staff=boss': role must be one of"),
        ("staff", "entry 'staff' is not 'group=role'"),
        ("=admin", "is not 'group=role'"),
        ("a=admin, a=viewer", "group 'a' is mapped twice"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_role_map(bad)


def test_claim_paths_and_the_highest_role_wins() -> None:
    claims = {"groups": ["staff", "ph-editors", 7], "realm_access": {"roles": ["admins"]}}
    assert claim_values(claims, "groups") == ["staff", "ph-editors"]
    assert claim_values(claims, "realm_access.roles") == ["admins"]
    assert claim_values({"hd": "example.com"}, "hd") == ["example.com"]
    assert claim_values(claims, "missing.path") == []
    role_map = {"staff": "viewer", "ph-editors": "editor", "admins": "admin"}
    assert role_from_claims(claims, "groups", role_map, "none") == "editor"
    assert role_from_claims(claims, "realm_access.roles", role_map, "none") == "admin"
    assert role_from_claims({"groups": ["x"]}, "groups", role_map, "none") is None
    assert role_from_claims({"groups": ["x"]}, "groups", role_map, "viewer") == "viewer"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"oidc_role_map": "staff=boss"}, "PILOTHOUSE_OIDC_ROLE_MAP: entry 'staff=boss'"),
        ({"oidc_issuer": "https://idp.example.com"}, "PILOTHOUSE_OIDC_CLIENT_ID is needed"),
        ({"oidc_sso_only": True}, "PILOTHOUSE_OIDC_SSO_ONLY needs PILOTHOUSE_OIDC_ISSUER"),
        ({"oidc_issuer": "http://idp.example.com", "oidc_client_id": "x"}, "must start with https"),
        (
            {
                "oidc_issuer": "https://idp.example.com",
                "oidc_client_id": "x",
                "oidc_scopes": "email",
            },
            "must include 'openid'",
        ),
    ],
)
def test_sso_settings_that_cannot_work_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)  # type: ignore[arg-type]


def test_issuer_loses_a_trailing_slash_and_sso_is_off_by_default() -> None:
    assert not Settings().oidc_enabled
    settings = Settings(oidc_issuer="https://idp.example.com/", oidc_client_id="x")
    assert settings.oidc_issuer == "https://idp.example.com" and settings.oidc_enabled


def test_config_show_masks_the_client_secret(tmp_path: object) -> None:
    env = {
        "PILOTHOUSE_HOME": str(tmp_path),
        "PILOTHOUSE_OIDC_ISSUER": "https://idp.example.com",
        "PILOTHOUSE_OIDC_CLIENT_ID": "pilothouse",
        "PILOTHOUSE_OIDC_CLIENT_SECRET": "very-secret-value",
    }
    result = CliRunner().invoke(cli_app, ["config", "show"], env=env)
    assert result.exit_code == 0, result.output
    assert "very-secret-value" not in result.output
    assert "PILOTHOUSE_OIDC_CLIENT_SECRET" in result.output and "(set)" in result.output
    assert "https://idp.example.com" in result.output
