"""What the edge checks of a delivery before it is queued, without building the typed event (pure).

The worker builds the typed event (``webhooks.events.parse_event``); the edge only has to know that it
will. ``well_formed`` looks at the few fields the event models read, with plain type tests, and is
strict: when it says yes, the model accepts the document; when it says no, the model decides (it
accepts what is merely unusual, such as a timestamp written ``1.0``, and names what is wrong), so the
edge answers exactly what it answered when it built the event, only faster for the usual payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webhooks.jiratime import parse_jira_time

USER_FIELDS = ("accountId", "name", "key", "displayName", "emailAddress")
CHANGELOG_ITEM_TEXTS = ("fieldId", "fieldtype", "fromString", "toString")
COMMENT_TEXTS = ("self", "created", "updated")
LINK_TYPE_TEXTS = ("name", "outwardName", "inwardName")


def _text_or_none(value: Any) -> bool:
    return value is None or type(value) is str


def _identifier(value: Any) -> bool:
    """A str or an int, as Jira writes ids (a bool is left to the model)."""
    return type(value) is str or type(value) is int


def _user(value: Any) -> bool:
    return value is None or (type(value) is dict and all(_text_or_none(value.get(name)) for name in USER_FIELDS))


def _fields(value: Any) -> bool:
    if type(value) is not dict:
        return False
    updated = value.get("updated")
    if updated is None:
        return True
    try:
        parse_jira_time(updated)
    except (TypeError, ValueError):
        return False
    return True


def _issue(value: Any) -> bool:
    return (
        type(value) is dict
        and _identifier(value.get("id"))
        and type(value.get("key")) is str
        and bool(value["key"])
        and _fields(value.get("fields", {}))
    )


def _changelog(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is not dict or not (value.get("id") is None or _identifier(value["id"])):
        return False
    items = value.get("items", [])
    return type(items) is list and all(_changelog_item(item) for item in items)


def _changelog_item(item: Any) -> bool:
    return (
        type(item) is dict
        and type(item.get("field")) is str
        and all(_text_or_none(item.get(name)) for name in CHANGELOG_ITEM_TEXTS)
    )


def _issue_event(document: dict[str, Any]) -> bool:
    return (
        _issue(document.get("issue"))
        and _changelog(document.get("changelog"))
        and _text_or_none(document.get("issue_event_type_name"))
    )


def _link_event(document: dict[str, Any]) -> bool:
    link = document.get("issueLink")
    if type(link) is not dict:
        return False
    link_type = link.get("issueLinkType", {})
    return (
        all(_identifier(link.get(name)) for name in ("id", "sourceIssueId", "destinationIssueId"))
        and type(link_type) is dict
        and all(_text_or_none(link_type.get(name)) for name in LINK_TYPE_TEXTS)
    )


def _comment_event(document: dict[str, Any]) -> bool:
    comment, issue = document.get("comment"), document.get("issue")
    return (
        type(comment) is dict
        and _identifier(comment.get("id"))
        and _user(comment.get("author"))
        and all(_text_or_none(comment.get(name)) for name in COMMENT_TEXTS)
        and (issue is None or _issue(issue))
    )


CHECKS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "jira:issue_created": _issue_event,
    "jira:issue_updated": _issue_event,
    "jira:issue_deleted": _issue_event,
    "issuelink_created": _link_event,
    "issuelink_deleted": _link_event,
    "comment_created": _comment_event,
    "comment_updated": _comment_event,
    "comment_deleted": _comment_event,
}


def well_formed(kind: str, document: dict[str, Any]) -> bool:
    """True only when the event model of ``kind`` accepts ``document``; False: ask the model."""
    timestamp = document.get("timestamp")
    check = CHECKS.get(kind)
    return (
        check is not None
        and (timestamp is None or type(timestamp) is int)
        and _user(document.get("user"))
        and check(document)
    )
