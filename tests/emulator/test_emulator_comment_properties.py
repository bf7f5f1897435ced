"""Comment properties as Jira documents them (Cloud and Data Center): set on create with `properties`,
listed on `expand=properties`, served by `/comment/{id}/properties[/{key}]`; the body stays as sent.
Issue properties set in the create-issue body. Over HTTP, through the real atlassian-python-api client."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from atlassian import Jira

from tests.emulator.conftest import AUTH, Running

CHECKIN = {"marker": "okrsync-checkin:0123456789ab", "kr": "shop/KR1"}


def _client(running: Running, cloud: bool) -> Jira:
    return Jira(url=running.url, username=AUTH[0] if cloud else "admin", password=AUTH[1] if cloud else "secret")


@pytest.fixture(params=["cloud", "datacenter"])
def site(request: pytest.FixtureRequest) -> tuple[Running, Jira]:
    running = request.getfixturevalue(request.param)
    return running, _client(running, request.param == "cloud")


def _post_comment(jira: Jira, key: str, body: str, properties: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"body": body}
    if properties is not None:
        data["properties"] = properties
    return jira.post(f"rest/api/2/issue/{key}/comment", data=data)


def test_a_comment_created_with_properties_keeps_its_body_and_serves_them(site: tuple[Running, Jira]) -> None:
    _, jira = site
    created = _post_comment(jira, "PAY-1", "Now on track.", [{"key": "okrsync.checkin", "value": CHECKIN}])
    assert created["body"] == "Now on track." and "properties" not in created
    listed = jira.get("rest/api/2/issue/PAY-1/comment", params={"expand": "properties"})["comments"]
    assert listed[-1]["properties"] == [{"key": "okrsync.checkin", "value": CHECKIN}]
    plain = jira.get("rest/api/2/issue/PAY-1/comment")["comments"]
    assert "properties" not in plain[-1]  # only on expand, as Jira does
    path = f"rest/api/2/comment/{created['id']}/properties"
    assert jira.get(f"{path}/okrsync.checkin") == {"key": "okrsync.checkin", "value": CHECKIN}
    assert [k["key"] for k in jira.get(path)["keys"]] == ["okrsync.checkin"]
    issue = jira.issue("PAY-1", fields="comment")
    assert issue["fields"]["comment"]["comments"][-1]["body"] == "Now on track."


def test_comment_properties_are_set_replaced_and_deleted(site: tuple[Running, Jira]) -> None:
    running, jira = site
    comment = _post_comment(jira, "PAY-1", "A person's comment")
    url = f"{running.url}/rest/api/3/comment/{comment['id']}/properties/team.note"
    assert requests.put(url, json={"seen": 1}, auth=AUTH, timeout=5).status_code == 201
    assert requests.put(url, json={"seen": 2}, auth=AUTH, timeout=5).status_code == 200
    assert requests.get(url, auth=AUTH, timeout=5).json() == {"key": "team.note", "value": {"seen": 2}}
    assert requests.delete(url, auth=AUTH, timeout=5).status_code == 204
    missing = requests.get(url, auth=AUTH, timeout=5)
    assert missing.status_code == 404 and "team.note" in missing.json()["errorMessages"][0]
    assert requests.delete(url, auth=AUTH, timeout=5).status_code == 404


def test_bad_comment_properties_are_refused_with_a_reason(cloud: Running) -> None:
    jira_url = f"{cloud.url}/rest/api/2/issue/PAY-1/comment"
    shapes = [{"body": "x", "properties": {"key": "a"}}, {"body": "x", "properties": [{"key": "", "value": 1}]}]
    for shape in shapes:
        answer = requests.post(jira_url, json=shape, auth=AUTH, timeout=5)
        assert answer.status_code == 400 and answer.json()["errorMessages"], shape
    too_big = {"body": "x", "properties": [{"key": "k", "value": "v" * 40000}]}
    answer = requests.post(jira_url, json=too_big, auth=AUTH, timeout=5)
    assert answer.status_code == 400 and "32 KB" in answer.json()["errorMessages"][0]
    assert requests.get(f"{cloud.url}/rest/api/2/comment/999999/properties/k", auth=AUTH, timeout=5).status_code == 404
    bad_json = requests.put(f"{cloud.url}/rest/api/2/comment/999999/properties/k", data="{", auth=AUTH, timeout=5)
    assert bad_json.status_code == 400


def test_comments_come_newest_first_on_order_by_minus_created(site: tuple[Running, Jira]) -> None:
    _, jira = site
    for text in ("first", "second", "third"):
        _post_comment(jira, "PAY-2", text)
    newest = jira.get("rest/api/2/issue/PAY-2/comment", params={"orderBy": "-created", "maxResults": 2})
    assert [c["body"] for c in newest["comments"]] == ["third", "second"] and newest["total"] >= 3
    refused = jira.get("rest/api/2/issue/PAY-2/comment", params={"orderBy": "author"}, advanced_mode=True)
    assert refused.status_code == 400


def test_an_issue_created_with_properties_has_them(site: tuple[Running, Jira]) -> None:
    _, jira = site
    claim = {"claim": "platform/system/deploy"}
    created = jira.post(
        "rest/api/2/issue",
        data={
            "fields": {"project": {"key": "PAY"}, "issuetype": {"name": "Story"}, "summary": "An action point"},
            "properties": [{"key": "okrsync.actionpoint", "value": claim}],
        },
    )
    assert jira.get_issue_property(created["key"], "okrsync.actionpoint")["value"] == claim
