"""Jira through the real atlassian-python-api client over HTTP: paging, edits, properties, comments, links."""

from __future__ import annotations

import pytest
import requests
from atlassian import Jira
from requests import HTTPError

from tests.emulator.conftest import AUTH, Running


def cloud_client(running: Running) -> Jira:
    return Jira(url=running.url, username=AUTH[0], password=AUTH[1], cloud=True)


def dc_client(running: Running) -> Jira:
    return Jira(url=running.url, username="admin", password="secret", cloud=False)


def test_cloud_pages_through_more_than_a_thousand_issues_with_next_page_token(bulk_cloud: Running) -> None:
    jira = cloud_client(bulk_cloud)
    keys: list[str] = []
    token = None
    pages = 0
    while True:
        page = jira.enhanced_jql(
            "project = BULK ORDER BY key ASC", fields="summary,status,labels", nextPageToken=token, limit=100
        )
        keys += [issue["key"] for issue in page["issues"]]
        pages += 1
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
    assert len(keys) == len(set(keys)) == 1234
    assert pages == 13
    assert keys[:2] == ["BULK-1", "BULK-2"] and keys[-1] == "BULK-1234"


def test_cloud_caps_max_results_at_100_unless_only_ids_are_requested(bulk_cloud: Running) -> None:
    jira = cloud_client(bulk_cloud)
    assert len(jira.enhanced_jql("project = BULK", fields="summary", limit=5000)["issues"]) == 100
    ids_only = jira.enhanced_jql("project = BULK", fields="id", limit=5000)
    assert len(ids_only["issues"]) == 1234 and ids_only["isLast"] is True
    assert "fields" not in ids_only["issues"][0]


def test_cloud_list_helper_collects_every_issue(bulk_cloud: Running) -> None:
    issues = cloud_client(bulk_cloud).enhanced_jql_get_list_of_tickets(
        "project = BULK AND labels = alpha", fields="labels"
    )
    assert issues and all("alpha" in issue["fields"]["labels"] for issue in issues)


def test_cloud_approximate_count_and_removed_search(bulk_cloud: Running) -> None:
    jira = cloud_client(bulk_cloud)
    assert jira.approximate_issue_count("project in (BULK, SMALL)") == {"count": 1235}
    old = requests.get(f"{bulk_cloud.url}/rest/api/2/search", params={"jql": "project = BULK"}, auth=AUTH, timeout=5)
    assert old.status_code == 410 and "search/jql" in old.json()["errorMessages"][0]


def test_cloud_refuses_unbounded_and_invalid_jql(bulk_cloud: Running) -> None:
    search = f"{bulk_cloud.url}/rest/api/3/search/jql"
    unbounded = requests.get(search, params={"jql": "ORDER BY created"}, auth=AUTH, timeout=5)
    assert unbounded.status_code == 400 and "Unbounded" in unbounded.json()["errorMessages"][0]
    bad = requests.post(search, json={"jql": "project = BULK AND sprint in openSprints()"}, auth=AUTH, timeout=5)
    assert bad.status_code == 400 and "sprint" in bad.json()["errorMessages"][0]
    unknown = requests.get(search, params={"jql": "project = NOPE"}, auth=AUTH, timeout=5)
    assert unknown.json()["errorMessages"] == ["The value 'nope' does not exist for the field 'project'."]


def test_cloud_post_search_with_changelog(cloud: Running) -> None:
    response = requests.post(
        f"{cloud.url}/rest/api/3/search/jql",
        auth=AUTH,
        timeout=5,
        json={"jql": "key = PAY-2", "fields": ["status"], "expand": "changelog"},
    )
    issue = response.json()["issues"][0]
    statuses = [
        item["toString"]
        for history in issue["changelog"]["histories"]
        for item in history["items"]
        if item["field"] == "status"
    ]
    assert statuses == ["In Progress", "In Review"]
    assert issue["fields"]["status"]["statusCategory"]["key"] == "done"


def test_datacenter_pages_with_start_at_and_total(bulk_datacenter: Running) -> None:
    jira = dc_client(bulk_datacenter)
    keys: list[str] = []
    start = 0
    while True:
        page = jira.jql("project = BULK", fields="summary", start=start, limit=500)
        assert page["total"] == 1234 and page["startAt"] == start
        keys += [issue["key"] for issue in page["issues"]]
        start += len(page["issues"])
        if start >= page["total"]:
            break
    assert len(set(keys)) == 1234


def test_datacenter_has_no_enhanced_search_and_names_users(datacenter: Running) -> None:
    response = requests.get(f"{datacenter.url}/rest/api/3/search/jql", params={"jql": "project = PAY"}, timeout=5)
    assert response.status_code == 404
    me = dc_client(datacenter).myself()
    assert me["name"] == "admin" and me["key"] == "admin" and "accountId" not in me


def test_edits_and_properties_are_visible_on_re_read(cloud: Running) -> None:
    jira = cloud_client(cloud)
    jira.issue_update(
        "PAY-4",
        fields={"summary": "Refund totals round half-even", "priority": {"name": "Low"}},
        update={"labels": [{"add": "okr-2025-q3"}, {"remove": "ledger"}]},
    )
    jira.set_issue_property("PAY-4", "okrsync.progress", {"kr": "KR-1", "share": 0.25})
    issue = jira.issue("PAY-4", expand="changelog")
    assert issue["fields"]["summary"] == "Refund totals round half-even"
    assert issue["fields"]["priority"]["name"] == "Low"
    assert issue["fields"]["labels"] == ["okr-2025-q3"]
    last = issue["changelog"]["histories"][-1]["items"]
    assert {i["field"] for i in last} == {"summary", "priority", "labels"}
    assert jira.get_issue_property("PAY-4", "okrsync.progress")["value"] == {"kr": "KR-1", "share": 0.25}
    assert [k["key"] for k in jira.get_issue_property_keys("PAY-4")["keys"]] == ["okrsync.progress"]


def test_property_values_over_32_kb_are_refused(cloud: Running) -> None:
    jira = cloud_client(cloud)
    with pytest.raises(HTTPError) as raised:
        jira.set_issue_property("PAY-4", "big", {"blob": "x" * 33000})
    assert raised.value.response.status_code == 400
    assert "32 KB" in raised.value.response.json()["errorMessages"][0]


def test_unknown_fields_are_refused_like_jira(cloud: Running) -> None:
    response = requests.put(
        f"{cloud.url}/rest/api/2/issue/PAY-4",
        auth=AUTH,
        timeout=5,
        json={"fields": {"customfield_99999": 1, "labels": ["has space"]}},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"customfield_99999", "labels"}


def test_create_comment_link_and_transition(cloud: Running) -> None:
    jira = cloud_client(cloud)
    created = jira.issue_create(
        fields={
            "project": {"key": "PAY"},
            "issuetype": {"name": "Story"},
            "summary": "Wallet payments",
            "customfield_10016": 8,
            "components": [{"name": "Mobile"}],
        }
    )
    key = created["key"]
    assert key == "PAY-6"
    jira.issue_add_comment(key, "Kick-off done")
    jira.create_issue_link({"type": {"name": "Blocks"}, "inwardIssue": {"key": key}, "outwardIssue": {"key": "PAY-3"}})
    requests.post(
        f"{cloud.url}/rest/api/2/issue/{key}/transitions", json={"transition": {"id": "10002"}}, auth=AUTH, timeout=5
    ).raise_for_status()
    issue = jira.issue(key)
    fields = issue["fields"]
    assert fields["status"]["name"] == "Done" and fields["resolution"]["name"] == "Done"
    assert fields["resolutiondate"] is not None and fields["customfield_10016"] == 8
    assert fields["comment"]["comments"][0]["body"] == "Kick-off done"
    assert fields["issuelinks"][0]["outwardIssue"]["key"] == "PAY-3"
    assert [c["name"] for c in fields["components"]] == ["Mobile"]


def test_v3_renders_rich_text_as_document_format(cloud: Running) -> None:
    jira = cloud_client(cloud)
    jira.issue_update("PAY-1", fields={"description": "Make checkout one page."})
    v3 = requests.get(
        f"{cloud.url}/rest/api/3/issue/PAY-1", params={"fields": "description"}, auth=AUTH, timeout=5
    ).json()
    assert v3["fields"]["description"]["type"] == "doc"
    assert jira.issue("PAY-1", fields="description")["fields"]["description"] == "Make checkout one page."


def test_catalog_endpoints(cloud: Running) -> None:
    jira = cloud_client(cloud)
    assert {"Story Points", "Summary"} <= {f["name"] for f in jira.get_all_fields()}
    assert [p["key"] for p in jira.projects()] == ["PAY", "OPS"]
    assert jira.myself()["accountId"] == "5b10a2844c20165700ede21g"
    assert jira.get_server_info()["deploymentType"] == "Cloud"


def test_remote_links_are_created_replaced_by_global_id_and_deleted(cloud: Running) -> None:
    url = f"{cloud.url}/rest/api/2/issue/PAY-1/remotelink"
    page = {
        "globalId": "confluence=65000",
        "relationship": "OKR page",
        "object": {"url": f"{cloud.url}/wiki/pages/65000", "title": "OKRs home"},
    }
    created = requests.post(url, json=page, auth=AUTH, timeout=5)
    assert created.status_code == 201
    link_id = created.json()["id"]
    assert created.json()["self"] == f"{url.replace('PAY-1', cloud.emulator.site.issue('PAY-1').id)}/{link_id}"
    again = requests.post(url, json={**page, "object": {**page["object"], "title": "Renamed"}}, auth=AUTH, timeout=5)
    assert (again.status_code, again.json()["id"]) == (200, link_id)  # the same globalId replaces the link
    [listed] = requests.get(url, auth=AUTH, timeout=5).json()
    assert (listed["id"], listed["object"]["title"], listed["relationship"]) == (link_id, "Renamed", "OKR page")
    by_global_id = requests.get(url, params={"globalId": "confluence=65000"}, auth=AUTH, timeout=5).json()
    assert by_global_id == listed
    missing_title = requests.post(url, json={"object": {"url": "https://example.com"}}, auth=AUTH, timeout=5)
    assert missing_title.status_code == 400 and "title" in missing_title.json()["errors"]
    too_long = requests.post(url, json={**page, "globalId": "x" * 256}, auth=AUTH, timeout=5)
    assert too_long.status_code == 400 and "globalId" in too_long.json()["errors"]
    replaced = requests.put(
        f"{url}/{link_id}", json={"object": {"url": "https://example.com/x", "title": "X"}}, auth=AUTH, timeout=5
    )
    assert replaced.status_code == 204
    assert requests.get(f"{url}/{link_id}", auth=AUTH, timeout=5).json()["object"]["title"] == "X"
    assert requests.delete(f"{url}/{link_id}", auth=AUTH, timeout=5).status_code == 204
    assert requests.get(url, auth=AUTH, timeout=5).json() == []
    gone = requests.delete(url, params={"globalId": "confluence=65000"}, auth=AUTH, timeout=5)
    assert gone.status_code == 404 and gone.json()["errorMessages"]
