"""Webhook bodies in the shape Jira sends them (see tests/fixtures/jira-webhooks/). Pure.

The ``user`` and the issue's users follow the site's flavour: ``accountId`` on Cloud, ``name`` and
``key`` on Data Center. Issue bodies use REST v2 rendering, as Jira's own webhooks do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator.jira_json import (
    View,
    comment_json,
    issue_json,
    issue_type_json,
    named_json,
    parse_field_selection,
    project_json,
    status_json,
    user_json,
)
from emulator.state import Issue, Site, User

WEBHOOK_FIELDS = parse_field_selection("*all,-comment", "*all")


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def webhook_view(site: Site, base: str) -> View:
    return View(base=base, api="2", flavor=site.flavor)


def issue_body(site: Site, issue: Issue, view: View) -> dict[str, Any]:
    full = issue_json(site, issue, view, WEBHOOK_FIELDS)
    return {"id": full["id"], "self": full["self"], "key": full["key"], "fields": full["fields"]}


def issue_event(
    site: Site,
    issue: Issue,
    view: View,
    *,
    event: str,
    type_name: str,
    actor: User,
    now: datetime,
    changelog: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``jira:issue_created`` / ``jira:issue_updated`` / ``jira:issue_deleted``."""
    body: dict[str, Any] = {
        "timestamp": millis(now),
        "webhookEvent": event,
        "issue_event_type_name": type_name,
        "user": user_json(actor, view),
        "issue": issue_body(site, issue, view),
    }
    if changelog is not None:
        items = [
            dict(i) if view.flavor == "cloud" else {k: v for k, v in i.items() if k != "fieldId"}
            for i in changelog["items"]
        ]
        body["changelog"] = {"id": changelog["id"], "items": items}
    return body


def comment_event(
    site: Site, issue: Issue, comment: dict[str, Any], view: View, *, event: str, now: datetime
) -> dict[str, Any]:
    """``comment_created`` / ``comment_updated`` / ``comment_deleted`` with the short issue form."""
    fields = issue.fields
    short_issue = {
        "id": issue.id,
        "self": view.rest(f"issue/{issue.id}"),
        "key": issue.key,
        "fields": {
            "summary": fields.get("summary"),
            "issuetype": issue_type_json(site.issue_type(fields["issuetype"]), view),
            "project": project_json(site.project_by_id(issue.project_id), view),
            "assignee": user_json(site.user(fields["assignee"]), view) if fields.get("assignee") else None,
            "priority": named_json("priority", site.priority(fields["priority"]), view)
            if fields.get("priority")
            else None,
            "status": status_json(site.status(fields["status"]), view),
        },
    }
    return {
        "timestamp": millis(now),
        "webhookEvent": event,
        "comment": comment_json(site, issue, comment, view),
        "issue": short_issue,
    }


def issue_commented_event(
    site: Site, issue: Issue, comment: dict[str, Any], view: View, *, actor: User, now: datetime
) -> dict[str, Any]:
    """The ``jira:issue_updated`` that accompanies a new comment (``issue_commented``)."""
    body = issue_event(site, issue, view, event="jira:issue_updated", type_name="issue_commented", actor=actor, now=now)
    body["comment"] = comment_json(site, issue, comment, view)
    return body


def link_event(site: Site, link: dict[str, Any], *, event: str, now: datetime) -> dict[str, Any]:
    """``issuelink_created`` / ``issuelink_deleted``."""
    link_type = site.link_type(link["type"])
    return {
        "timestamp": millis(now),
        "webhookEvent": event,
        "issueLink": {
            "id": int(link["id"]),
            "sourceIssueId": int(link["inward"]),
            "destinationIssueId": int(link["outward"]),
            "issueLinkType": {
                "id": int(link_type["id"]),
                "name": link_type["name"],
                "outwardName": link_type["outward"],
                "inwardName": link_type["inward"],
                "isSubTaskLinkType": False,
                "isSystemLinkType": False,
            },
            "systemLink": False,
        },
    }
