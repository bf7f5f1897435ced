"""Settings from the environment (and `.env`), prefix ``OKRSYNC_``.

Read once, at the edge (the app factory and the CLI), never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_DEDUPE_SECONDS = 24 * 3600


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OKRSYNC_", env_file=".env", extra="ignore", frozen=True)

    redis_url: str | None = Field(
        default=None, description="Redis server URL; unset starts an embedded Redis under DATA_DIR."
    )
    data_dir: Path = Field(default=Path(".okrsync"), description="Where embedded state lives.")
    config: Path | None = Field(default=None, description="Path of okrs.yaml.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Webhook secret(s), comma-separated while rotating."
    )
    admin_token: SecretStr | None = None
    read_token: SecretStr | None = None
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, GET /metrics needs Authorization: Bearer <this token>."
    )
    jira_url: str | None = None
    jira_flavor: Literal["cloud", "datacenter"] | None = None
    jira_user: str | None = None
    jira_token: SecretStr | None = None
    confluence_url: str | None = None
    confluence_user: str | None = None
    confluence_token: SecretStr | None = None
    public_url: str | None = None
    max_body_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    dedupe_seconds: int = Field(default=25 * 3600, ge=MIN_DEDUPE_SECONDS)
    queue_name: str = "okrsync"
    admin_max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="Largest admin API request body.")
    session_secret: SecretStr | None = Field(
        default=None, description="Signs the admin pages' session cookie; unset derives it from ADMIN_TOKEN."
    )
    secure_cookies: bool | None = Field(
        default=None, description="Mark the session cookie Secure; unset: when PUBLIC_URL is https."
    )
    measurement_skew_seconds: int = Field(
        default=300, ge=0, description="How far in the future a pushed measurement's time may lie."
    )
    pages_interval_seconds: float = Field(
        default=30.0, gt=0, description="At most one update per Confluence page per this many seconds."
    )
    flush_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="At least this long between the starts of two flushes: a stream of events shares one "
        "write per KR per interval.",
    )
    proxy_hops: int = Field(
        default=0,
        ge=0,
        le=5,
        description="Reverse proxies in front that append X-Forwarded-For (0: none); the client's address is "
        "read from them, so failed sign-ins are counted per client, not per proxy.",
    )
    checkin_hold_seconds: float = Field(
        default=300.0,
        ge=0,
        le=7 * 24 * 3600,
        description="A KR's new health must hold this long before its check-in comment is posted.",
    )
    checkin_min_interval_seconds: float = Field(
        default=3600.0,
        ge=0,
        le=30 * 24 * 3600,
        description="At most one check-in comment per KR per this many seconds.",
    )
    worker_nice: int = Field(
        default=0,
        ge=0,
        le=19,
        description="Niceness `okrsync worker` runs at (0-19); above 0 the web service answers first on shared cores.",
    )
    retry_attempts: int = Field(
        default=6, ge=1, le=20, description="Attempts of one Jira or Confluence call before it gives up."
    )
    retry_max_wait_seconds: float = Field(
        default=120.0, ge=0, le=3600, description="Most seconds one Jira or Confluence call waits between attempts."
    )
    log_level: str = "INFO"

    @field_validator("redis_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        return check_scheme(value, REDIS_SCHEMES)

    @field_validator("jira_url", "confluence_url", "public_url")
    @classmethod
    def _site_scheme(cls, value: str | None) -> str | None:
        return check_scheme(value, SITE_SCHEMES)

    def webhook_secrets(self) -> tuple[bytes, ...]:
        """The active secrets; more than one while a rotation is under way."""
        if self.webhook_secret is None:
            return ()
        parts = self.webhook_secret.get_secret_value().split(",")
        return tuple(p.strip().encode() for p in parts if p.strip())

    def require_webhook_secrets(self) -> tuple[bytes, ...]:
        secrets = self.webhook_secrets()
        if not secrets:
            raise SettingsError(
                "OKRSYNC_WEBHOOK_SECRET is not set: set it to the secret configured on the Jira "
                "webhook (comma-separate several while rotating), e.g. "
                "OKRSYNC_WEBHOOK_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return secrets


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
SITE_SCHEMES = ("https://", "http://")  # http:// for a local emulator only


def check_scheme(value: str | None, schemes: tuple[str, ...]) -> str | None:
    """``value`` unless it is set without one of ``schemes`` (the first is the one to suggest)."""
    if value is None or value.strip().lower().startswith(schemes):
        return value
    shown = value.strip().rsplit("@", 1)[-1]  # never echo user:password@
    suggestion = schemes[0] + shown.split("://", 1)[-1]
    raise ValueError(f"must start with {schemes[0]} (got {shown!r}); e.g. {suggestion}")


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one sentence per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "OKRSYNC_" + "_".join(str(p) for p in error["loc"]).upper()
            problems.append(_problem(name, error))
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


def _problem(name: str, error: Any) -> str:
    """ "OKRSYNC_JIRA_URL must start with https:// (got …)"; pydantic's own checks quote the input after."""
    if error["type"] == "value_error":
        return f"{name} {error['ctx']['error']}"
    shown = "<hidden>" if _is_secret(name) else repr(error.get("input"))
    return f"{name}: {error['msg']} (got {shown})"


def _is_secret(variable: str) -> bool:
    return variable.endswith(("_SECRET", "_TOKEN"))


SQL_URL_PREFIX, SQL_URL_SUFFIX = "OKRSYNC_SQL_", "_URL"


def sql_connection_urls(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The ``OKRSYNC_SQL_<NAME>_URL`` variables (the SQLAlchemy URLs of ``source: sql`` connections), from
    the environment and, beneath it, the ``.env`` file; their names are the configuration's, so they are
    read here rather than declared as settings. They hold passwords: never logged."""
    from dotenv import dotenv_values

    found = {k: v for k, v in dotenv_values(env_file).items() if v} if env_file and env_file.is_file() else {}
    found.update(os.environ)
    return {k: v for k, v in found.items() if k.startswith(SQL_URL_PREFIX) and k.endswith(SQL_URL_SUFFIX) and v}
