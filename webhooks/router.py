"""One registry from event type to the handlers that react to it.

The web side asks :meth:`Router.decide` whether a delivery is worth queueing; the worker side calls
:meth:`Router.dispatch`. The event types the product acts on are declared in ``ROUTED_EVENTS``
(the webhook registered in Jira subscribes to these); those Jira sends that the product deliberately
does not use are listed in ``IGNORED_EVENTS``; anything else is *unknown*: answered 200 and counted, so a new
Jira event type shows up on the metrics instead of in an error log.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from webhooks.events import JiraEvent

Handler = Callable[[Any, Any], None]

# The event types the product acts on: the worker's handlers are registered for these, and the
# webhook registered in Jira subscribes to exactly these.
ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
ISSUE_LINK_EVENTS = ("issuelink_created", "issuelink_deleted")
COMMENT_EVENTS = ("comment_created", "comment_updated", "comment_deleted")  # people's /checkin comments
ROUTED_EVENTS = ISSUE_EVENTS + ISSUE_LINK_EVENTS + COMMENT_EVENTS

IGNORED_EVENTS = frozenset(
    {
        "worklog_created",
        "worklog_updated",
        "worklog_deleted",
        "sprint_created",
        "sprint_updated",
        "sprint_deleted",
        "sprint_started",
        "sprint_closed",
        "board_created",
        "board_updated",
        "board_deleted",
        "board_configuration_changed",
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_moved",
        "jira:version_deleted",
        "project_created",
        "project_updated",
        "project_deleted",
        "user_created",
        "user_updated",
        "user_deleted",
        "option_voting_changed",
        "option_watching_changed",
        "option_unassigned_issues_changed",
        "option_subtasks_changed",
        "option_attachments_changed",
        "option_issuelinks_changed",
        "option_timetracking_changed",
    }
)


# Other event names Jira's webhooks send (Cloud and Data Center). An unknown event is counted under
# its name when it is one of these (or while few names are counted, see okrsync.counters), else as "other".
OTHER_JIRA_EVENTS = frozenset(
    {
        "attachment_created",
        "attachment_deleted",
        "issue_property_set",
        "issue_property_deleted",
        "filter_created",
        "filter_updated",
        "filter_deleted",
        "project_soft_deleted",
        "project_restored_deleted",
        "project_archived",
        "project_restored_archived",
    }
)


class Decision(str, Enum):
    QUEUE = "queue"
    IGNORED = "ignored"
    UNKNOWN = "unknown"


class Router:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def register(self, *kinds: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@router.register("jira:issue_created", ...)``."""

        def add(handler: Handler) -> Handler:
            for kind in kinds:
                self._handlers.setdefault(kind, []).append(handler)
            return handler

        return add

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def is_jira_event(self, kind: str) -> bool:
        """A name Jira sends: handled here, ignored on purpose, or listed in OTHER_JIRA_EVENTS."""
        return kind in self._handlers or kind in IGNORED_EVENTS or kind in OTHER_JIRA_EVENTS

    def decide_kind(self, kind: str) -> Decision:
        if kind in self._handlers:
            return Decision.QUEUE
        if kind in IGNORED_EVENTS:
            return Decision.IGNORED
        return Decision.UNKNOWN

    def dispatch(self, event: JiraEvent, context: Any) -> int:
        """Run every handler for the event; returns how many ran."""
        handlers = self._handlers.get(event.kind, [])
        for handler in handlers:
            handler(event, context)
        return len(handlers)
