"""The Data Center flavour answers as Jira Data Center 8.20 / 9.x does: serverInfo, search entries,
error bodies (and, on Cloud, serverInfo's serverTime); epics through the Epic Link field, Epic Name
and Story Points, in the field catalog, issues, edits, JQL and webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from atlassian import Jira

from emulator.app import create_emulator
from emulator.scenario import ScenarioError, load_site
from emulator.server_info import VersionError, data_center_release
from tests.emulator.conftest import AUTH, Receiver, Running, serve
from webhooks.events import IssueEvent, parse_event


def dc_client(running: Running) -> Jira:
    return Jira(url=running.url, username="admin", password="x")


def _server_time(info: dict[str, Any]) -> datetime:
    return datetime.strptime(info["serverTime"], "%Y-%m-%dT%H:%M:%S.%f%z")


# ---------------------------------------------------------------------------- serverInfo


def test_server_info_reports_data_center_9_12_by_default(datacenter: Running) -> None:
    info = dc_client(datacenter).get_server_info()
    assert (info["version"], info["versionNumbers"], info["deploymentType"]) == ("9.12.15", [9, 12, 15], "Server")
    assert info["buildNumber"] == info["databaseBuildNumber"] == 9120015
    assert info["baseUrl"] == datacenter.url and info["serverTitle"] == "Acme (emulated)"
    assert abs(_server_time(info) - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("version", "expected", "build"),
    [
        ("8.20", "8.20.13", 820013),
        ("8.20.7", "8.20.7", 820007),
        ("9.12", "9.12.15", 9120015),
    ],
)
def test_server_info_reports_the_chosen_release(version: str, expected: str, build: int) -> None:
    with serve(create_emulator(flavor="datacenter", server_version=version)) as running:
        info = dc_client(running).get_server_info()
    assert (info["version"], info["buildNumber"], info["deploymentType"]) == (expected, build, "Server")
    assert info["versionNumbers"] == [int(part) for part in expected.split(".")]


def test_a_scenario_names_its_release_and_a_wrong_one_is_refused() -> None:
    scenario = {"serverVersion": "8.20.13", "projects": [{"key": "A"}]}
    assert load_site(scenario, "datacenter").server_version == "8.20.13"
    with pytest.raises(ScenarioError, match="8.20.x or 9.x.y"):
        load_site({**scenario, "serverVersion": "10.3"}, "datacenter")
    with pytest.raises(VersionError, match="'9.12-rc1'"):
        data_center_release("9.12-rc1")


def test_cloud_server_info_carries_server_time(cloud: Running) -> None:
    info = requests.get(f"{cloud.url}/rest/api/3/serverInfo", auth=AUTH, timeout=5).json()
    assert info["deploymentType"] == "Cloud" and abs(_server_time(info) - datetime.now(UTC)) < timedelta(minutes=1)


# ---------------------------------------------------------------------------- search entries


def test_search_entries_link_to_the_issue_by_id(datacenter: Running) -> None:
    page = dc_client(datacenter).jql("project = PAY ORDER BY key", fields="summary")
    site = datacenter.emulator.site
    for entry in page["issues"]:
        assert entry["self"] == f"{datacenter.url}/rest/api/2/issue/{site.issue(entry['key']).id}"
        assert entry["expand"] == "operations,versionedRepresentations,editmeta,changelog,renderedFields"
        assert set(entry["fields"]) == {"summary"}


@pytest.mark.parametrize("fields", ["id", "key", "id,key"])
def test_search_for_identifiers_only_answers_without_fields(datacenter: Running, fields: str) -> None:
    page = dc_client(datacenter).jql("project = PAY", fields=fields)
    assert page["total"] == 5
    assert all(set(entry) == {"expand", "id", "self", "key"} for entry in page["issues"])


# ---------------------------------------------------------------------------- errors


def test_an_unknown_issue_is_404_issue_does_not_exist(datacenter: Running) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = requests.request(
            method, f"{datacenter.url}/rest/api/2/issue/PAY-99", json={"fields": {}}, auth=AUTH, timeout=5
        )
        assert response.status_code == 404
        assert response.json() == {"errorMessages": ["Issue Does Not Exist"], "errors": {}}
    cloud_site = load_site(None, "cloud")
    with pytest.raises(LookupError, match="Issue does not exist or you do not have permission to see it."):
        cloud_site.issue("PAY-99")


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = PAY AND", "Error in the JQL Query: Expecting a field name but got end of query."),
        ("sprint in openSprints()", "Field 'sprint' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'nope' does not exist for the field 'project'."),
    ],
)
def test_bad_jql_is_400_with_jiras_message(datacenter: Running, jql: str, message: str) -> None:
    for response in (
        requests.get(f"{datacenter.url}/rest/api/2/search", params={"jql": jql}, auth=AUTH, timeout=5),
        requests.post(f"{datacenter.url}/rest/api/2/search", json={"jql": jql}, auth=AUTH, timeout=5),
    ):
        assert response.status_code == 400
        assert response.json()["errors"] == {} and response.json()["errorMessages"][0].startswith(message)


def test_the_enhanced_search_is_a_missing_resource_on_data_center(datacenter: Running) -> None:
    url = f"{datacenter.url}/rest/api/2/search/jql"
    response = requests.get(url, params={"jql": "project = PAY"}, auth=AUTH, timeout=5)
    assert response.status_code == 404
    assert response.json() == {"message": f"null for uri: {url}?jql=project+%3D+PAY", "status-code": 404}


# ---------------------------------------------------------------------------- epics, as Data Center links them

EPIC_LINK, EPIC_NAME, STORY_POINTS = "customfield_10101", "customfield_10102", "customfield_10016"


def _catalog(running: Running) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in dc_client(running).get_all_fields() if f["custom"]}


def test_the_field_catalog_lists_the_agile_fields_as_data_center_does(datacenter: Running) -> None:
    fields = _catalog(datacenter)
    assert fields["Epic Link"] == {
        "id": EPIC_LINK,
        "key": EPIC_LINK,
        "name": "Epic Link",
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": ["cf[10101]", "Epic Link"],
        "schema": {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link", "customId": 10101},
    }
    assert fields["Epic Name"]["schema"] == {
        "type": "string",
        "custom": "com.pyxis.greenhopper.jira:gh-epic-label",
        "customId": 10102,
    }
    assert fields["Epic Name"]["clauseNames"] == ["cf[10102]", "Epic Name"]
    assert fields["Story Points"]["id"] == STORY_POINTS  # the scenario's own field, taken as Story Points
    assert fields["Story Points"]["schema"] == {
        "type": "number",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
        "customId": 10016,
    }


def test_cloud_keeps_its_catalog_and_parent_links(cloud: Running) -> None:
    names = {
        f["name"] for f in requests.get(f"{cloud.url}/rest/api/3/field", auth=AUTH, timeout=5).json() if f["custom"]
    }
    assert names == {"Story Points", "Team"}
    story = requests.get(f"{cloud.url}/rest/api/2/issue/PAY-2", auth=AUTH, timeout=5).json()["fields"]
    assert story["parent"]["key"] == "PAY-1" and EPIC_LINK not in story
    refused = requests.get(
        f"{cloud.url}/rest/api/3/search/jql", params={"jql": '"Epic Link" = PAY-1'}, auth=AUTH, timeout=5
    )
    assert refused.status_code == 400


def test_scenario_epics_are_epic_links_and_sub_tasks_keep_their_parent(datacenter: Running) -> None:
    jira = dc_client(datacenter)
    story, task = jira.issue("PAY-2")["fields"], jira.issue("PAY-3")["fields"]
    assert (story[EPIC_LINK], story["parent"], task[EPIC_LINK]) == ("PAY-1", None, "PAY-1")
    assert story[STORY_POINTS] == 5
    epic = jira.issue("PAY-1")["fields"]
    assert (epic[EPIC_NAME], epic[EPIC_LINK]) == ("Checkout conversion", None)
    sub_task = jira.issue("PAY-5")["fields"]
    assert sub_task["parent"]["key"] == "PAY-3" and sub_task[EPIC_LINK] is None
    assert [s["key"] for s in jira.issue("PAY-3")["fields"]["subtasks"]] == ["PAY-5"]


def test_agile_fields_take_free_ids_or_the_scenarios_field_of_that_name() -> None:
    scenario = {
        "customFields": [
            {"id": "customfield_10101", "name": "OKR health", "type": "string"},
            {"id": "customfield_10014", "name": "epic link", "type": "string"},
        ],
        "projects": [{"key": "A"}],
        "issues": [
            {"key": "A-1", "type": "Epic", "summary": "Big", "epicName": "BIG"},
            {"key": "A-2", "type": "Story", "summary": "Small", "epic": "A-1"},
        ],
    }
    site = load_site(scenario, "datacenter")
    ids = {f["name"]: f["id"] for f in site.custom_fields}
    assert ids == {
        "OKR health": "customfield_10101",
        "Epic Link": "customfield_10014",
        "Epic Name": "customfield_10102",
        "Story Points": "customfield_10103",
    }
    assert site.issue("A-2").fields["customfield_10014"] == site.issue("A-1").id
    assert site.issue("A-1").fields["customfield_10102"] == "BIG"
    cloud = load_site(scenario, "cloud")
    assert cloud.issue("A-2").fields["parent"] == cloud.issue("A-1").id
    assert [f["name"] for f in cloud.custom_fields] == ["OKR health", "epic link"]
    with pytest.raises(ScenarioError, match="either epic or parent"):
        load_site(
            {
                **scenario,
                "issues": [*scenario["issues"], {"summary": "x", "project": "A", "epic": "A-1", "parent": "A-1"}],
            },
            "datacenter",
        )


def test_the_epic_link_is_set_on_create_and_edit_and_refused_when_not_an_epic(datacenter: Running) -> None:
    jira = dc_client(datacenter)
    created = jira.issue_create(
        fields={
            "project": {"key": "PAY"},
            "issuetype": {"name": "Story"},
            "summary": "Saved addresses",
            EPIC_LINK: "PAY-1",
            STORY_POINTS: 8,
        }
    )
    assert jira.issue(created["key"])["fields"][EPIC_LINK] == "PAY-1"
    epic = jira.issue_create(
        fields={"project": {"key": "PAY"}, "issuetype": {"name": "Epic"}, "summary": "Wallets", EPIC_NAME: "Wallets"}
    )
    jira.issue_update(created["key"], fields={EPIC_LINK: epic["key"]})
    assert jira.issue(created["key"])["fields"][EPIC_LINK] == epic["key"]
    url = f"{datacenter.url}/rest/api/2/issue/{created['key']}"
    assert requests.put(url, json={"update": {EPIC_LINK: [{"set": "PAY-1"}]}}, auth=AUTH, timeout=5).status_code == 204
    assert jira.issue(created["key"])["fields"][EPIC_LINK] == "PAY-1"
    for wrong, says in (
        ("PAY-3", "is not an epic: PAY-3 is a Task"),
        ("PAY-99", "no issue has that key"),
        (10000, "an epic's issue key as text"),
    ):
        refused = requests.put(url, json={"fields": {EPIC_LINK: wrong}}, auth=AUTH, timeout=5)
        assert refused.status_code == 400 and says in refused.json()["errors"][EPIC_LINK]
    jira.issue_update(created["key"], fields={EPIC_LINK: None})
    assert jira.issue(created["key"])["fields"][EPIC_LINK] is None
    history = jira.issue(created["key"], expand="changelog")["changelog"]["histories"]
    items = [i for h in history for i in h["items"] if i["field"] == "Epic Link"]
    first, wallets = datacenter.emulator.site.issue("PAY-1"), datacenter.emulator.site.issue(epic["key"])
    assert items == [  # the edits (creation is not a history): from/to hold the epics' ids, the strings their keys
        {
            "field": "Epic Link",
            "fieldtype": "custom",
            "from": first.id,
            "fromString": "PAY-1",
            "to": wallets.id,
            "toString": wallets.key,
        },
        {
            "field": "Epic Link",
            "fieldtype": "custom",
            "from": wallets.id,
            "fromString": wallets.key,
            "to": first.id,
            "toString": "PAY-1",
        },
        {
            "field": "Epic Link",
            "fieldtype": "custom",
            "from": first.id,
            "fromString": "PAY-1",
            "to": None,
            "toString": None,
        },
    ]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ('"Epic Link" = PAY-1', ["PAY-2", "PAY-3"]),
        ("cf[10101] = PAY-1", ["PAY-2", "PAY-3"]),
        ("'epic link' in (PAY-1, OPS-9) AND type = Story", ["PAY-2"]),
        ('"Epic Link" = 10000', ["PAY-2", "PAY-3"]),
        ('"Epic Link" != PAY-1', []),
        ('project = PAY AND "Epic Link" is EMPTY', ["PAY-1", "PAY-4", "PAY-5"]),
        ('"Story Points" > 3', ["PAY-2"]),
        ("cf[10016] >= 3 ORDER BY key DESC", ["PAY-3", "PAY-2"]),
        ('"Story Points" in (3, 8)', ["PAY-3"]),
        ('NOT "Story Points" > 3', ["PAY-3"]),
        ('"Epic Name" ~ checkout', ["PAY-1"]),
        ("parent = PAY-1", []),
        ("parent = PAY-3", ["PAY-5"]),
    ],
)
def test_jql_reads_the_agile_fields(datacenter: Running, jql: str, expected: list[str]) -> None:
    for page in (
        dc_client(datacenter).jql(jql, fields="key"),
        requests.post(
            f"{datacenter.url}/rest/api/2/search", json={"jql": jql, "fields": ["key"]}, auth=AUTH, timeout=5
        ).json(),
    ):
        assert [i["key"] for i in page["issues"]] == expected


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ('"Story Points" > many', "The value 'many' is not a valid number for the field 'Story Points'."),
        ('"Epic Link" ~ PAY', "The operator '~' is not supported by the 'Epic Link' field."),
        ('"Epic Name" = Checkout', "The operator '=' is not supported by the 'Epic Name' field."),
        ('"Epic Colour" = red', "Field 'Epic Colour' does not exist or you do not have permission to view it."),
    ],
)
def test_jql_on_the_agile_fields_refuses_what_jira_refuses(datacenter: Running, jql: str, message: str) -> None:
    response = requests.get(f"{datacenter.url}/rest/api/2/search", params={"jql": jql}, auth=AUTH, timeout=5)
    assert (response.status_code, response.json()["errorMessages"]) == (400, [message])


def test_webhooks_carry_the_epic_link_and_its_change(datacenter: Running, receiver: Receiver) -> None:
    registered = requests.post(
        f"{datacenter.url}/rest/webhooks/1.0/webhook",
        auth=AUTH,
        timeout=5,
        json={
            "name": "okrsync",
            "url": receiver.url,
            "events": ["jira:issue_updated"],
            "filters": {"issue-related-events-section": 'project = PAY AND ("Epic Link" = PAY-1 OR cf[10016] > 1)'},
        },
    )
    assert registered.status_code == 201, registered.text
    jira = dc_client(datacenter)
    jira.issue_update("PAY-4", fields={EPIC_LINK: "PAY-1"})  # PAY-4 joins the epic: it passes the filter
    jira.issue_update("OPS-1", fields={"summary": "Not in the filter"})
    [delivery] = receiver.wait_for(1)
    assert datacenter.emulator.dispatcher.wait_idle(timeout=5) and len(receiver.received) == 1
    body = delivery["json"]
    assert body["issue"]["key"] == "PAY-4" and body["issue"]["fields"][EPIC_LINK] == "PAY-1"
    assert body["changelog"]["items"] == [
        {
            "field": "Epic Link",
            "fieldtype": "custom",
            "from": None,
            "fromString": None,
            "to": datacenter.emulator.site.issue("PAY-1").id,
            "toString": "PAY-1",
        }
    ]
    assert isinstance(parse_event(delivery["body"]), IssueEvent)
