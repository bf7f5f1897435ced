"""The only code that talks HTTP to Jira and Confluence, through atlassian-python-api.

A narrow port: the handful of calls the product makes, one exception tree, one retry layer
(``Retry-After``, capped backoff, bounded total wait) and call accounting.
"""

from connector.confluence import ConfluencePort, ConfluenceSettings, Page
from connector.errors import (
    AuthError,
    BadRequest,
    Conflict,
    ConnectorError,
    NotFound,
    RateLimited,
    SetupError,
    Unavailable,
)
from connector.factory import confluence_from_settings, jira_from_settings
from connector.jira import JiraPort, JiraSettings, webhook_id
from connector.retry import RetryPolicy, parse_retry_after
from connector.stats import CallStats

__all__ = [
    "AuthError",
    "BadRequest",
    "CallStats",
    "Conflict",
    "ConfluencePort",
    "ConfluenceSettings",
    "ConnectorError",
    "JiraPort",
    "JiraSettings",
    "NotFound",
    "Page",
    "RateLimited",
    "RetryPolicy",
    "SetupError",
    "Unavailable",
    "confluence_from_settings",
    "jira_from_settings",
    "parse_retry_after",
    "webhook_id",
]
