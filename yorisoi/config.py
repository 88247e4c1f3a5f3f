"""Settings, read once from the environment and validated before anything starts.

Every variable here is documented in the README. A bad value stops start-up with one
line naming the variable (``SettingsError``); secrets are ``SecretStr`` and never print.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from yorisoi.store import check_url

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(Exception):
    """Raised when an environment variable holds a value yorisoi cannot run with."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


# In demo mode on-call alerts go to this user of the LINE stand-in, so they can be seen.
DEMO_ONCALL_USER = "U" + "0" * 31 + "1"


class Settings(BaseSettings):
    """yorisoi's configuration."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    line_channel_secret: SecretStr | None = Field(
        None, validation_alias=_env("LINE_CHANNEL_SECRET")
    )
    line_channel_access_token: SecretStr | None = Field(
        None, validation_alias=_env("LINE_CHANNEL_ACCESS_TOKEN")
    )
    line_api_endpoint: str = Field(
        "https://api.line.me", validation_alias=_env("LINE_API_ENDPOINT")
    )
    database_url: str = Field(
        "sqlite:///var/yorisoi.sqlite3", validation_alias=_env("YORISOI_DATABASE_URL")
    )
    content_dir: Path = Field(REPO_ROOT, validation_alias=_env("YORISOI_CONTENT_DIR"))
    timezone: str = Field("Asia/Tokyo", validation_alias=_env("YORISOI_TIMEZONE"))
    secret_key: SecretStr | None = Field(None, validation_alias=_env("YORISOI_SECRET_KEY"))
    host: str | None = Field(None, validation_alias=_env("YORISOI_HOST"))
    port: int = Field(8080, ge=1, le=65535, validation_alias=_env("PORT"))
    var_dir: Path = Field(Path("var"), validation_alias=_env("YORISOI_VAR_DIR"))
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, validation_alias=_env("YORISOI_MAX_BODY_BYTES")
    )
    reply_token_ttl: float = Field(
        50.0, gt=0, le=60, validation_alias=_env("YORISOI_REPLY_TOKEN_TTL")
    )
    line_timeout: float = Field(10.0, gt=0, le=120, validation_alias=_env("YORISOI_LINE_TIMEOUT"))
    processing: Literal["on", "paused"] = Field("on", validation_alias=_env("YORISOI_PROCESSING"))
    retention_days: int = Field(365, ge=1, validation_alias=_env("YORISOI_RETENTION_DAYS"))
    inbox_retention_days: int = Field(
        7, ge=1, validation_alias=_env("YORISOI_INBOX_RETENTION_DAYS")
    )
    secure_cookies: bool | None = Field(None, validation_alias=_env("YORISOI_SECURE_COOKIES"))
    oncall_line_user_id: str | None = Field(
        None, pattern=r"^U[0-9a-f]{32}$", validation_alias=_env("YORISOI_ONCALL_LINE_USER_ID")
    )
    oncall_webhook_url: SecretStr | None = Field(
        None, validation_alias=_env("YORISOI_ONCALL_WEBHOOK_URL")
    )
    public_url: str | None = Field(None, validation_alias=_env("YORISOI_PUBLIC_URL"))
    operator_idle_minutes: int = Field(
        30, ge=1, le=720, validation_alias=_env("YORISOI_OPERATOR_IDLE_MINUTES")
    )
    claim_timeout_minutes: float = Field(
        10.0, gt=0, le=24 * 60, validation_alias=_env("YORISOI_CLAIM_TIMEOUT_MINUTES")
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("YORISOI_LOG_LEVEL")
    )

    @property
    def demo(self) -> bool:
        """True when no LINE credentials are set: run against the built-in stand-in."""
        return self.line_channel_secret is None

    @property
    def base_url(self) -> str:
        """Where staff reach this server (links in alerts): YORISOI_PUBLIC_URL or local."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def oncall_user(self) -> str | None:
        """The LINE user id on-call alerts are pushed to; in demo mode a stand-in user."""
        if self.oncall_line_user_id or not self.demo:
            return self.oncall_line_user_id
        return DEMO_ONCALL_USER

    @property
    def zone(self) -> ZoneInfo:
        """The service time zone."""
        return ZoneInfo(self.timezone)

    @property
    def cookies_secure(self) -> bool:
        """Mark staff cookies Secure (HTTPS only): by default everywhere but demo mode."""
        return (not self.demo) if self.secure_cookies is None else self.secure_cookies

    @property
    def bind_host(self) -> str:
        """Where to listen: loopback in demo mode unless told otherwise."""
        return self.host or ("127.0.0.1" if self.demo else "0.0.0.0")

    @field_validator("line_api_endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("oncall_webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        check_url(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("content_dir")
    @classmethod
    def _content(cls, value: Path) -> Path:
        if not (value / "states").is_dir():
            raise ValueError(f"no states/ folder in {value}")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> Settings:
        if (self.line_channel_secret is None) != (self.line_channel_access_token is None):
            missing = (
                "LINE_CHANNEL_ACCESS_TOKEN"
                if self.line_channel_access_token is None
                else "LINE_CHANNEL_SECRET"
            )
            raise ValueError(
                f"{missing}: set both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN, "
                "or neither for demo mode"
            )
        if not self.demo and self.secret_key is None:
            raise ValueError("YORISOI_SECRET_KEY: required when LINE credentials are set")
        return self


_ALIASES = {
    name: str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (overrides win); raise SettingsError on a bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"][0] if first["loc"] else ""
        variable = _ALIASES.get(str(loc), str(loc))
        message = first["msg"].removeprefix("Value error, ")
        if not variable or message.startswith(("LINE_", "YORISOI_")):
            raise SettingsError(message) from None
        raise SettingsError(f"{variable}: {message}") from None


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: in demo mode, generate one kept under var/."""
    if settings.secret_key is not None:
        return settings
    path = settings.var_dir / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
    else:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key + "\n", encoding="utf-8")
    return settings.model_copy(update={"secret_key": SecretStr(key)})
