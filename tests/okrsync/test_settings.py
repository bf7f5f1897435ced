"""Settings at the edge, the embedded Redis, and setup mistakes answered with the fix."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from okrsync.app import create_app
from okrsync.cli import main
from okrsync.redis_store import embedded_redis
from okrsync.settings import Settings, SettingsError, load_settings


def test_missing_webhook_secret_is_a_startup_error_naming_the_variable(tmp_path) -> None:
    with pytest.raises(SettingsError, match="OKRSYNC_WEBHOOK_SECRET is not set"):
        create_app(Settings(data_dir=tmp_path, _env_file=None))


def test_cli_reports_the_missing_secret_without_a_traceback(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("OKRSYNC_WEBHOOK_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "OKRSYNC_WEBHOOK_SECRET is not set" in result.output
    assert "Traceback" not in result.output


def test_settings_come_from_the_prefixed_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_WEBHOOK_SECRET", "old-secret-1, new-secret-2")
    monkeypatch.setenv("OKRSYNC_MAX_BODY_BYTES", "1234")
    settings = load_settings()
    assert settings.webhook_secrets() == (b"old-secret-1", b"new-secret-2")
    assert settings.max_body_bytes == 1234 and settings.redis_url is None
    assert "old-secret-1" not in repr(settings) and "new-secret-2" not in repr(settings)  # never in logs


def test_malformed_settings_name_the_variable_and_hide_secrets(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_MAX_BODY_BYTES", "lots")
    monkeypatch.setenv("OKRSYNC_JIRA_FLAVOR", "cloudy")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "OKRSYNC_MAX_BODY_BYTES" in message and "'lots'" in message
    assert "OKRSYNC_JIRA_FLAVOR" in message and "'cloud'" in message


def test_dedupe_window_cannot_be_set_below_a_day(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_DEDUPE_SECONDS", "60")
    with pytest.raises(SettingsError, match="OKRSYNC_DEDUPE_SECONDS"):
        load_settings()


def test_embedded_redis_persists_append_only_under_the_data_dir(tmp_path) -> None:
    client = embedded_redis(tmp_path / "data")
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert client.config_get("appendfsync")["appendfsync"] == "everysec"
    assert client.config_get("dir")["dir"] == str((tmp_path / "data").resolve())
    assert embedded_redis(tmp_path / "data") is client  # one server per data dir per process
    client.set("k", "v")
    assert (tmp_path / "data" / "appendonly.aof").exists()


@pytest.mark.parametrize("variable", ["OKRSYNC_JIRA_URL", "OKRSYNC_CONFLUENCE_URL", "OKRSYNC_PUBLIC_URL"])
def test_a_site_url_without_scheme_names_the_variable_and_the_fix(monkeypatch, tmp_path, variable) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, "your-site.atlassian.net")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        f"invalid settings: {variable} must start with https:// (got 'your-site.atlassian.net'); "
        "e.g. https://your-site.atlassian.net"
    )


def test_a_url_is_checked_without_echoing_its_credentials(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_REDIS_URL", "tcp://:hunter2@cache.internal:6379")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "OKRSYNC_REDIS_URL must start with redis:// (got 'cache.internal:6379')" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_the_url_schemes_that_work_are_accepted(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for variable, url in {
        "OKRSYNC_JIRA_URL": "https://acme.atlassian.net",
        "OKRSYNC_CONFLUENCE_URL": "http://127.0.0.1:8090/wiki",
        "OKRSYNC_REDIS_URL": "rediss://cache.internal:6380/0",
    }.items():
        monkeypatch.setenv(variable, url)
    settings = load_settings()
    assert settings.jira_url == "https://acme.atlassian.net" and settings.redis_url == "rediss://cache.internal:6380/0"
    monkeypatch.setenv("OKRSYNC_REDIS_URL", "unix:///run/redis.sock")
    assert load_settings().redis_url == "unix:///run/redis.sock"
    monkeypatch.setenv("OKRSYNC_REDIS_URL", "  ")
    assert load_settings().redis_url is None
