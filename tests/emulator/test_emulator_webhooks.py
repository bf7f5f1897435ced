"""Changes made through the API reach a local receiver as signed Jira webhooks, retried and faulted."""

from __future__ import annotations

import time

import requests
from atlassian import Jira

from tests.emulator.conftest import AUTH, Receiver, Running
from webhooks.events import CommentEvent, IssueEvent, IssueLinkEvent, from_request, parse_event

SECRET = "s3cret-for-tests"
NO_DELIVERY_SECONDS = 0.1
ALL_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created", "issuelink_created"]


def register(running: Running, receiver: Receiver, events: list[str] | None = None, jql: str = "") -> dict:
    response = requests.post(
        f"{running.url}/rest/webhooks/1.0/webhook",
        auth=AUTH,
        timeout=5,
        json={
            "name": "okrsync",
            "url": receiver.url,
            "events": events or ALL_EVENTS,
            "filters": {"issue-related-events-section": jql},
            "secret": SECRET,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def jira(running: Running) -> Jira:
    return Jira(url=running.url, username=AUTH[0], password=AUTH[1], cloud=True)


def settle(running: Running) -> None:
    assert running.emulator.dispatcher.wait_idle(timeout=5)


def test_an_edit_arrives_signed_and_parses_as_a_jira_event(cloud: Running, receiver: Receiver) -> None:
    register(cloud, receiver, ["jira:issue_updated"])
    jira(cloud).issue_update("PAY-3", fields={"labels": ["checkout", "okr-2025-q3"]})
    delivery = receiver.wait_for(1)[0]
    headers = delivery["headers"]
    event = from_request(headers, delivery["body"], (SECRET.encode(),))
    assert isinstance(event, IssueEvent)
    assert event.webhook_event == "jira:issue_updated" and event.issue_event_type_name == "issue_updated"
    assert event.issue.key == "PAY-3" and event.user and event.user.account_id
    item = event.changelog.items[0]
    assert (item.field, item.field_id, item.from_string, item.to_string) == (
        "labels",
        "labels",
        "checkout",
        "checkout okr-2025-q3",
    )
    assert headers["X-Atlassian-Webhook-Identifier"] and "X-Atlassian-Webhook-Retry" not in headers
    assert delivery["json"]["issue"]["fields"]["updated"][-5:] == "+0000"


def test_every_event_kind_parses(cloud: Running, receiver: Receiver) -> None:
    register(cloud, receiver)
    client = jira(cloud)
    key = client.issue_create(
        fields={"project": {"key": "PAY"}, "issuetype": {"name": "Task"}, "summary": "Webhook coverage"}
    )["key"]
    client.issue_add_comment(key, "first")
    client.create_issue_link(
        {"type": {"name": "Relates"}, "inwardIssue": {"key": key}, "outwardIssue": {"key": "PAY-1"}}
    )
    requests.post(
        f"{cloud.url}/rest/api/3/issue/{key}/transitions", json={"transition": {"id": "10002"}}, auth=AUTH, timeout=5
    ).raise_for_status()
    requests.delete(f"{cloud.url}/rest/api/2/issue/{key}", auth=AUTH, timeout=5).raise_for_status()
    received = receiver.wait_for(6)
    events = [parse_event(d["body"]) for d in received]
    names = [(e.webhook_event, getattr(e, "issue_event_type_name", None)) for e in events]
    assert names == [
        ("jira:issue_created", "issue_created"),
        ("comment_created", None),
        ("jira:issue_updated", "issue_commented"),
        ("issuelink_created", None),
        ("jira:issue_updated", "issue_resolved"),
        ("jira:issue_deleted", "issue_deleted"),
    ]
    assert isinstance(events[1], CommentEvent) and isinstance(events[3], IssueLinkEvent)
    assert len({d["headers"]["X-Atlassian-Webhook-Identifier"] for d in received}) == 6


def test_datacenter_payloads_name_users_by_name_and_key(datacenter: Running, receiver: Receiver) -> None:
    register(datacenter, receiver, ["jira:issue_updated"])
    Jira(url=datacenter.url, username="admin", password="x").issue_update("PAY-4", fields={"summary": "Renamed"})
    body = receiver.wait_for(1)[0]["json"]
    assert body["user"]["name"] == "admin" and "accountId" not in body["user"]
    assert "fieldId" not in body["changelog"]["items"][0]
    assert isinstance(parse_event(receiver.received[0]["body"]), IssueEvent)


def test_a_failing_receiver_gets_retries_with_the_same_identifier(cloud: Running, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    register(cloud, receiver, ["jira:issue_updated"])
    jira(cloud).issue_update("PAY-4", fields={"summary": "Retried"})
    attempts = receiver.wait_for(3)
    assert [a["answered"] for a in attempts] == [500, 503, 200]
    assert len({a["headers"]["X-Atlassian-Webhook-Identifier"] for a in attempts}) == 1
    assert [a["headers"].get("X-Atlassian-Webhook-Retry") for a in attempts] == [None, "1", "2"]
    settle(cloud)
    assert cloud.counters()["webhooks"] == {"retried": 2, "delivered": 1}


def test_a_client_error_is_not_retried(cloud: Running, receiver: Receiver) -> None:
    receiver.statuses = [400]
    register(cloud, receiver, ["jira:issue_updated"])
    jira(cloud).issue_update("PAY-4", fields={"summary": "Refused"})
    receiver.wait_for(1)
    settle(cloud)
    assert len(receiver.received) == 1 and cloud.counters()["webhooks"] == {"failed": 1}


def test_the_drop_knob_loses_deliveries(cloud: Running, receiver: Receiver) -> None:
    cloud.faults(webhook_drop_fraction=1.0)
    register(cloud, receiver, ["jira:issue_updated"])
    jira(cloud).issue_update("PAY-4", fields={"summary": "Dropped"})
    settle(cloud)
    time.sleep(NO_DELIVERY_SECONDS)  # a negative wait: a delivery still on its way would arrive by now
    assert receiver.received == []
    assert cloud.counters()["webhooks"] == {"dropped": 1}


def test_the_duplicate_knob_delivers_twice_with_one_identifier(cloud: Running, receiver: Receiver) -> None:
    cloud.faults(webhook_duplicate_fraction=1.0)
    register(cloud, receiver, ["jira:issue_updated"])
    jira(cloud).issue_update("PAY-4", fields={"summary": "Twice"})
    received = receiver.wait_for(2)
    assert received[0]["body"] == received[1]["body"]
    assert (
        received[0]["headers"]["X-Atlassian-Webhook-Identifier"]
        == received[1]["headers"]["X-Atlassian-Webhook-Identifier"]
    )


def test_the_reorder_knob_lets_later_changes_overtake(cloud: Running, receiver: Receiver) -> None:
    register(cloud, receiver, ["jira:issue_updated"])
    client = jira(cloud)
    cloud.faults(webhook_reorder_fraction=1.0, webhook_reorder_delay_s=0.3)
    client.issue_update("PAY-4", fields={"summary": "first"})
    cloud.faults(webhook_reorder_fraction=0.0)
    client.issue_update("PAY-4", fields={"summary": "second"})
    received = receiver.wait_for(2)
    assert [d["json"]["issue"]["fields"]["summary"] for d in received] == ["second", "first"]


def test_the_jql_filter_selects_issues(cloud: Running, receiver: Receiver) -> None:
    register(cloud, receiver, ["jira:issue_updated"], jql="project = OPS")
    client = jira(cloud)
    client.issue_update("PAY-4", fields={"summary": "not for this hook"})
    client.issue_update("OPS-1", fields={"summary": "for this hook"})
    received = receiver.wait_for(1)
    settle(cloud)
    assert [d["json"]["issue"]["key"] for d in receiver.received] == ["OPS-1"] == [received[0]["json"]["issue"]["key"]]


def test_webhook_admin_lists_and_deletes(cloud: Running, receiver: Receiver) -> None:
    hook = register(cloud, receiver)
    listed = requests.get(f"{cloud.url}/rest/webhooks/1.0/webhook", auth=AUTH, timeout=5).json()
    assert [h["url"] for h in listed] == [receiver.url] and "secret" not in listed[0]
    assert requests.delete(hook["self"], auth=AUTH, timeout=5).status_code == 204
    assert requests.get(f"{cloud.url}/rest/webhooks/1.0/webhook", auth=AUTH, timeout=5).json() == []
    bad = requests.post(
        f"{cloud.url}/rest/webhooks/1.0/webhook",
        auth=AUTH,
        timeout=5,
        json={"url": receiver.url, "events": ["jira:issue_moved"]},
    )
    assert bad.status_code == 400 and "jira:issue_moved" in bad.json()["errorMessages"][0]


def test_the_delivery_state_counts_what_was_published_and_says_when_all_are_made(
    cloud: Running, receiver: Receiver
) -> None:
    assert cloud.control("GET", "deliveries/state").json() == {"idle": True, "published": 0}
    register(cloud, receiver, ["jira:issue_updated"])
    receiver.statuses = [500]  # the first attempt fails: the delivery is retried, published once
    jira(cloud).issue_update("PAY-4", fields={"summary": "Counted"})
    cloud.faults(webhook_drop_fraction=1.0)
    jira(cloud).issue_update("PAY-4", fields={"summary": "Dropped, still published"})
    settle(cloud)
    assert len(receiver.wait_for(2)) == 2
    assert cloud.control("GET", "deliveries/state").json() == {"idle": True, "published": 2}


def test_deliveries_go_one_by_one_unless_the_lanes_knob_asks_for_more() -> None:
    from emulator.delivery import LANES, lane_of

    payloads = [{"issue": {"id": str(10000 + n)}} for n in range(40)]
    assert {lane_of(p, 1) for p in payloads} == {0}
    assert {lane_of(p, 4) for p in payloads} == set(range(LANES))
    link = {"issueLink": {"sourceIssueId": 10003, "destinationIssueId": 10007}}
    assert lane_of(link, 4) == lane_of(payloads[3], 4)  # a link goes on its source issue's lane
