"""The compact mirror document of one Jira issue. Pure: a Jira REST issue in, a small dict out.

It keeps what the JQL subset evaluated over the mirror needs and nothing else, in the
same shape for Cloud and Data Center: users as one identity (``accountId``, else ``key``/``name``),
times as UTC ISO-8601, dates as ``YYYY-MM-DD``, options and users inside custom fields flattened to
their value. Total: any field of an unexpected shape is dropped, never an exception.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from webhooks.jiratime import parse_jira_time

DATETIME_FIELDS = ("created", "updated", "resolutiondate")
DATE_FIELDS = ("duedate",)


def issue_document(issue: dict[str, Any]) -> dict[str, Any]:
    """Project a Jira issue (``{"id", "key", "fields"}``) onto the mirror document."""
    fields = _dict(issue.get("fields"))
    status = _dict(fields.get("status"))
    document: dict[str, Any] = {
        "id": str(issue.get("id", "")),
        "key": str(issue.get("key", "")),
        "project": _dict(fields.get("project")).get("key"),
        "issuetype": _name(fields.get("issuetype")),
        "subtask": bool(_dict(fields.get("issuetype")).get("subtask", False)),
        "status": _name(status),
        "statusCategory": _dict(status.get("statusCategory")).get("key"),
        "summary": fields.get("summary") if isinstance(fields.get("summary"), str) else None,
        "labels": _strings(fields.get("labels")),
        "components": [c for c in (_name(x) for x in _list(fields.get("components"))) if c],
        "priority": _name(fields.get("priority")),
        "resolution": _name(fields.get("resolution")),
        "assignee": user_identity(fields.get("assignee")),
        "reporter": user_identity(fields.get("reporter")),
        "parent": _dict(fields.get("parent")).get("key"),
        "links": issue_links(fields.get("issuelinks")),
        "custom": custom_fields(fields),
    }
    for name in DATETIME_FIELDS:
        document[name] = utc_time(fields.get(name))
    for name in DATE_FIELDS:
        document[name] = calendar_date(fields.get(name))
    return document


def user_identity(user: object) -> str | None:
    """Cloud ``accountId``; Data Center ``key`` or ``name``."""
    if not isinstance(user, dict):
        return None
    for attribute in ("accountId", "key", "name"):
        if isinstance(user.get(attribute), str) and user[attribute]:
            return user[attribute]
    return None


def issue_links(raw: object) -> list[dict[str, str]]:
    links = []
    for link in _list(raw):
        link = _dict(link)
        kind = _dict(link.get("type"))
        for direction, side in (("outward", "outwardIssue"), ("inward", "inwardIssue")):
            other = _dict(link.get(side))
            if other.get("key"):
                links.append(link_entry(link.get("id", ""), kind.get("name", ""), direction, other))
    return links


def link_entry(link_id: object, kind: object, direction: str, other: dict[str, Any]) -> dict[str, str]:
    """One link as the mirror keeps it: the other issue seen from this one."""
    return {
        "id": str(link_id),
        "type": str(kind or ""),
        "direction": direction,
        "issue_id": str(other.get("id", "")),
        "key": str(other.get("key") or ""),
    }


def custom_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """``customfield_NNNNN`` values flattened to strings, numbers or lists of them."""
    flat: dict[str, Any] = {}
    for name, value in fields.items():
        if not name.startswith("customfield_"):
            continue
        simple = _simple_value(value)
        if simple is not None and simple != []:
            flat[name] = simple
    return flat


def _simple_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, list):
        items = [_simple_value(v) for v in value]
        return [v for v in items if isinstance(v, (int, float, str))]
    if isinstance(value, dict):
        for attribute in ("value", "accountId", "key", "name"):
            if isinstance(value.get(attribute), (str, int, float)):
                return value[attribute]
    return None


def utc_time(value: object) -> str | None:
    if isinstance(value, str) and len(value) == 28 and value[23:] == "+0000" and value[10] + value[19] == "T.":
        return _utc_milliseconds(value[:23])  # Jira's own form in UTC, most of them: 2019-02-15T19:01:52.971+0000
    try:
        moment = parse_jira_time(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc_milliseconds(head: str) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.fff`` of a time in UTC, checked by parsing, as ``utc_time`` writes it."""
    try:
        datetime.fromisoformat(head)
    except ValueError:
        return None
    return head + "Z"


def calendar_date(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(value: object) -> str | None:
    name = _dict(value).get("name")
    return name if isinstance(name, str) else None


def _strings(value: object) -> list[str]:
    return [v for v in _list(value) if isinstance(v, str)]
