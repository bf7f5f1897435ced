"""Ports built from the service settings."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from connector import ConfluencePort, JiraPort, confluence_from_settings, jira_from_settings
from okrsync.settings import Settings


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_no_url_means_no_port() -> None:
    assert jira_from_settings(settings()) is None
    assert confluence_from_settings(settings()) is None


def test_ports_take_url_user_token_and_flavour(cloud: Any) -> None:
    configured = settings(
        jira_url=cloud.url,
        jira_user="admin@acme.example",
        jira_token=SecretStr("admin-token"),
        jira_flavor="cloud",
        confluence_url=cloud.url + "/wiki",
        confluence_user="admin@acme.example",
        confluence_token=SecretStr("admin-token"),
    )
    jira = jira_from_settings(configured)
    confluence = confluence_from_settings(configured)
    assert isinstance(jira, JiraPort) and isinstance(confluence, ConfluencePort)
    assert jira.flavor == "cloud" and jira.myself()["emailAddress"] == "admin@acme.example"
    assert confluence.find_page("OKR", "OKRs home") is not None
    assert "admin-token" not in repr(jira.settings) + repr(confluence.settings)


def test_a_token_without_user_is_a_bearer_token(strict_cloud: Any) -> None:
    jira = jira_from_settings(settings(jira_url=strict_cloud.url, jira_token=SecretStr("bob-token")))
    assert jira is not None and jira.myself()["emailAddress"] == "bob@acme.example"
    assert jira.client.session.auth is not None and "Authorization" in jira.client.session.headers


def test_the_retry_budget_comes_from_the_settings() -> None:
    jira = jira_from_settings(
        settings(jira_url="https://acme.atlassian.net", retry_attempts=2, retry_max_wait_seconds=5)
    )
    assert jira is not None
    assert (jira.transport.policy.max_attempts, jira.transport.policy.max_total_wait) == (2, 5.0)
    default = jira_from_settings(settings(jira_url="https://acme.atlassian.net"))
    assert default is not None
    assert (default.transport.policy.max_attempts, default.transport.policy.max_total_wait) == (6, 120.0)
