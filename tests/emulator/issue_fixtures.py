"""A contributor epic as the service leaves it in Jira, made through the emulator's REST API: two remote
links (one per KR, one resolved), the health (select) and status (text) fields, a check-in comment."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

HEALTH, STATUS_LINE = "customfield_10100", "customfield_10101"
SCENARIO: dict[str, Any] = {
    "title": "Northwind Goods (test)",
    "users": [
        {"name": "okrsync", "accountId": "5b10a2844c20165700ede21g", "displayName": "OKR Sync"},
        {"name": "alice", "accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Alice Park"},
    ],
    "customFields": [
        {"id": "customfield_10016", "name": "Story Points", "type": "number"},
        {"id": HEALTH, "name": "OKR health", "type": "option"},
        {"id": STATUS_LINE, "name": "OKR status", "type": "string"},
    ],
    "projects": [{"key": "CHK", "name": "Checkout & Payments", "components": ["Payments", "Cart"]}],
    "confluence": {"spaces": [{"key": "OKR", "name": "Objectives and Key Results"}]},
}
ICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%2322a06b'/%3E%3C/svg%3E"  # noqa: E501
ON_TRACK_LINK = {
    "globalId": "okrsync:checkout/O1.KR2",
    "application": {"type": "com.okrsync", "name": "OKR Sync"},
    "object": {
        "url": "http://127.0.0.1:8090/wiki/spaces/OKR/pages/65001",
        "title": "O1.KR2 Escaped bug share · 32 % → 20 % · on track · score 0.40",
        "summary": "Checkout & Payments OKRs",
        "icon": {"url16x16": ICON, "title": "On track"},
    },
}
DONE_LINK = {
    "globalId": "okrsync:checkout/O1.KR1",
    "application": {"type": "com.okrsync", "name": "OKR Sync"},
    "object": {
        "url": "http://127.0.0.1:8090/wiki/spaces/OKR/pages/65001#O1.KR1",
        "title": "O1.KR1 Median time to restore · 12 h → 4 h · done · score 1.00",
        "summary": "Checkout & Payments OKRs",
        "icon": {"url16x16": ICON, "title": "Done"},
        "status": {"resolved": True, "icon": {"url16x16": ICON, "title": "Done"}},
    },
}
CHECKIN = (
    "OKR check-in — O1.KR2 Escaped bug share: *at risk → on track*. Now 32 % (baseline 40, target 15), "
    "score 0.40. See [the OKR page|http://127.0.0.1:8090/wiki/spaces/OKR/pages/65001]."
)


def created(client: FlaskClient, fields: dict[str, Any]) -> str:
    """A new CHK issue with ``fields``; its key."""
    body = {"fields": {"project": {"key": "CHK"}, "issuetype": {"name": "Task"}, **fields}}
    answer = client.post("/rest/api/2/issue", json=body)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return str(answer.get_json()["key"])


def contributor_epic(client: FlaskClient, summary: str = "Contract tests for the payment adapters") -> str:
    """The epic with its two KR links, health and status fields and a check-in comment; its key."""
    key = created(
        client,
        {
            "issuetype": {"name": "Epic"},
            "summary": summary,
            "labels": ["kr-escaped"],
            "components": [{"name": "Payments"}],
            "priority": {"name": "High"},
            "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5"},
            "description": "Contract tests for every payment adapter, run on each merge.",
            HEALTH: {"value": "On track"},
            STATUS_LINE: "O1.KR2 on track · score 0.40",
        },
    )
    for link in (ON_TRACK_LINK, DONE_LINK):
        answer = client.post(f"/rest/api/2/issue/{key}/remotelink", json=link)
        assert answer.status_code == 201, answer.get_data(as_text=True)
    answer = client.post(f"/rest/api/2/issue/{key}/comment", json={"body": CHECKIN})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return key
