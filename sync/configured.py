"""The runtime's Jira, for the steps that run only when one is configured."""

from __future__ import annotations

from sync.ports import JiraApi
from sync.runtime import Runtime


class NoJiraConfigured(RuntimeError):
    """A step that talks to Jira ran on a runtime without one."""


def configured_jira(runtime: Runtime) -> JiraApi:
    """``runtime.jira``, for a step whose caller runs it only when a Jira is configured."""
    if runtime.jira is None:
        raise NoJiraConfigured("no Jira configured: set OKRSYNC_JIRA_URL, OKRSYNC_JIRA_USER and OKRSYNC_JIRA_TOKEN")
    return runtime.jira
