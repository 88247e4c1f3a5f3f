"""Settings: defaults, one clear line per bad value, secrets that never print."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from yorisoi.config import REPO_ROOT, SettingsError, ensure_secret_key, load_settings

CLEAR = {"line_channel_secret": None, "line_channel_access_token": None, "secret_key": None}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "LINE_CHANNEL_SECRET",
        "LINE_CHANNEL_ACCESS_TOKEN",
        "LINE_API_ENDPOINT",
        "PORT",
        "YORISOI_DATABASE_URL",
        "YORISOI_CONTENT_DIR",
        "YORISOI_TIMEZONE",
        "YORISOI_SECRET_KEY",
        "YORISOI_HOST",
        "YORISOI_PROCESSING",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_demo_mode() -> None:
    s = load_settings()
    assert s.demo and s.database_url == "sqlite:///var/yorisoi.sqlite3"
    assert s.line_api_endpoint == "https://api.line.me" and s.port == 8080
    assert s.timezone == "Asia/Tokyo" and s.content_dir == REPO_ROOT
    assert s.bind_host == "127.0.0.1" and s.max_body_bytes == 1024 * 1024


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s3cret")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "t0ken")
    monkeypatch.setenv("YORISOI_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LINE_API_ENDPOINT", "http://127.0.0.1:8090/")
    monkeypatch.setenv("PORT", "9000")
    s = load_settings()
    assert not s.demo and s.port == 9000 and s.bind_host == "0.0.0.0"
    assert s.line_api_endpoint == "http://127.0.0.1:8090"
    assert "s3cret" not in repr(s) and "t0ken" not in repr(s) and "kkkk" not in repr(s)


@pytest.mark.parametrize(
    ("variable", "value", "phrase"),
    [
        ("PORT", "eighty", "PORT:"),
        ("PORT", "70000", "PORT:"),
        ("YORISOI_DATABASE_URL", "postgres://x", "YORISOI_DATABASE_URL: unknown database scheme"),
        (
            "YORISOI_DATABASE_URL",
            "sqlite:///",
            "YORISOI_DATABASE_URL: the SQLite URL names no file",
        ),
        ("YORISOI_TIMEZONE", "Mars/Olympus", "YORISOI_TIMEZONE: unknown time zone"),
        ("YORISOI_CONTENT_DIR", "/nonexistent", "YORISOI_CONTENT_DIR: no states/ folder"),
        ("LINE_API_ENDPOINT", "api.line.me", "LINE_API_ENDPOINT: must start with http"),
        ("YORISOI_PROCESSING", "sometimes", "YORISOI_PROCESSING:"),
        ("YORISOI_SECRET_KEY", "short", "YORISOI_SECRET_KEY: must be at least 32"),
        ("YORISOI_MAX_BODY_BYTES", "10", "YORISOI_MAX_BODY_BYTES:"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, phrase: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(phrase) and "\n" not in str(err.value)


def test_half_credentials_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    with pytest.raises(SettingsError, match=r"^LINE_CHANNEL_ACCESS_TOKEN: set both"):
        load_settings()


def test_production_needs_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "t")
    with pytest.raises(SettingsError, match=r"^YORISOI_SECRET_KEY: required"):
        load_settings()


def test_demo_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    s = load_settings(var_dir=tmp_path / "var", **CLEAR)
    first = ensure_secret_key(s)
    second = ensure_secret_key(s)
    assert first.secret_key is not None and second.secret_key is not None
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    mode = (tmp_path / "var" / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
