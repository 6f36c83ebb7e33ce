"""Settings: defaults, normalisation, validation, and the generated secret key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from pilothouse.core.config import Settings, load_secret_key


def test_defaults_use_sqlite_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PILOTHOUSE_DATABASE_URL", raising=False)
    monkeypatch.setenv("PILOTHOUSE_HOME", str(tmp_path / "data"))
    settings = Settings()
    assert settings.home == tmp_path / "data"
    assert (
        settings.effective_database_url
        == f"sqlite:///{(tmp_path / 'data').resolve()}/pilothouse.db"
    )


def test_environment_overrides_and_postgres_urls_are_normalised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PILOTHOUSE_DATABASE_URL", "postgres://u:p@db:5432/ph")
    monkeypatch.setenv("PILOTHOUSE_PORT", "9000")
    settings = Settings()
    assert settings.effective_database_url == "postgresql+psycopg://u:p@db:5432/ph"
    assert settings.port == 9000


@pytest.mark.parametrize(
    ("name", "value"),
    [("timezone", "Mars/Base"), ("port", "70000"), ("session_cookie_secure", "sometimes")],
)
def test_invalid_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value})  # type: ignore[arg-type]


def test_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    key = load_secret_key(tmp_path)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32
    assert load_secret_key(tmp_path) == key


def test_secret_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_secret_key(tmp_path)
    (tmp_path / "secret_key").chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_secret_key(tmp_path)


def test_configured_secret_key_wins(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, secret_key="k" * 40)
    assert settings.resolved_secret_key() == "k" * 40
    assert not (tmp_path / "secret_key").exists()
