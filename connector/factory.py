"""Ports from the service settings: the one place that reads OKRSYNC_JIRA_*, OKRSYNC_CONFLUENCE_* and
OKRSYNC_RETRY_*.

Takes any object with the attributes of ``okrsync.settings.Settings`` (tokens as pydantic
``SecretStr`` or plain strings) so the connector does not import the composition root.
"""

from __future__ import annotations

from typing import Any

from connector.confluence import ConfluencePort, ConfluenceSettings
from connector.jira import JiraPort, JiraSettings
from connector.retry import RetryPolicy
from connector.stats import CallStats


def jira_from_settings(
    settings: Any, policy: RetryPolicy | None = None, stats: CallStats | None = None
) -> JiraPort | None:
    """The Jira port, or None when OKRSYNC_JIRA_URL is unset (the service then runs without write-back)."""
    url = _text(getattr(settings, "jira_url", None))
    if url is None:
        return None
    jira = JiraSettings(
        url=url,
        user=_text(getattr(settings, "jira_user", None)),
        token=_secret(getattr(settings, "jira_token", None)),
        flavor=getattr(settings, "jira_flavor", None) or None,
    )
    return JiraPort(jira, policy or policy_from_settings(settings), stats)


def confluence_from_settings(
    settings: Any, policy: RetryPolicy | None = None, stats: CallStats | None = None
) -> ConfluencePort | None:
    """The Confluence port, or None when OKRSYNC_CONFLUENCE_URL is unset (pages are then not written)."""
    url = _text(getattr(settings, "confluence_url", None))
    if url is None:
        return None
    confluence = ConfluenceSettings(
        url=url,
        user=_text(getattr(settings, "confluence_user", None)),
        token=_secret(getattr(settings, "confluence_token", None)),
    )
    return ConfluencePort(confluence, policy or policy_from_settings(settings), stats)


def policy_from_settings(settings: Any) -> RetryPolicy:
    """The retry budget of OKRSYNC_RETRY_ATTEMPTS and OKRSYNC_RETRY_MAX_WAIT_SECONDS (the defaults when unset)."""
    default = RetryPolicy()
    attempts = getattr(settings, "retry_attempts", None)
    max_wait = getattr(settings, "retry_max_wait_seconds", None)
    return RetryPolicy(
        max_attempts=default.max_attempts if attempts is None else int(attempts),
        max_total_wait=default.max_total_wait if max_wait is None else float(max_wait),
    )


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    reveal = getattr(value, "get_secret_value", None)
    return _text(reveal() if callable(reveal) else value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
