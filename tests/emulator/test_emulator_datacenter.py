"""The Data Center flavour answers as Jira Data Center 8.20 / 9.x does: serverInfo, search entries,
error bodies (and, on Cloud, serverInfo's serverTime)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from atlassian import Jira

from emulator.app import create_emulator
from emulator.scenario import ScenarioError, load_site
from emulator.server_info import VersionError, data_center_release
from tests.emulator.conftest import AUTH, Running, serve


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


@pytest.mark.parametrize(("version", "expected", "build"), [
    ("8.20", "8.20.13", 820013), ("8.20.7", "8.20.7", 820007), ("9.12", "9.12.15", 9120015),
])
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
        response = requests.request(method, f"{datacenter.url}/rest/api/2/issue/PAY-99", json={"fields": {}},
                                    auth=AUTH, timeout=5)
        assert response.status_code == 404
        assert response.json() == {"errorMessages": ["Issue Does Not Exist"], "errors": {}}
    cloud_site = load_site(None, "cloud")
    with pytest.raises(LookupError, match="Issue does not exist or you do not have permission to see it."):
        cloud_site.issue("PAY-99")


@pytest.mark.parametrize(("jql", "message"), [
    ("project = PAY AND", "Error in the JQL Query: Expecting a field name but got end of query."),
    ("sprint in openSprints()", "Field 'sprint' does not exist or you do not have permission to view it."),
    ("project = NOPE", "The value 'nope' does not exist for the field 'project'."),
])
def test_bad_jql_is_400_with_jiras_message(datacenter: Running, jql: str, message: str) -> None:
    for response in (requests.get(f"{datacenter.url}/rest/api/2/search", params={"jql": jql}, auth=AUTH, timeout=5),
                     requests.post(f"{datacenter.url}/rest/api/2/search", json={"jql": jql}, auth=AUTH, timeout=5)):
        assert response.status_code == 400
        assert response.json()["errors"] == {} and response.json()["errorMessages"][0].startswith(message)


def test_the_enhanced_search_is_a_missing_resource_on_data_center(datacenter: Running) -> None:
    url = f"{datacenter.url}/rest/api/2/search/jql"
    response = requests.get(url, params={"jql": "project = PAY"}, auth=AUTH, timeout=5)
    assert response.status_code == 404
    assert response.json() == {"message": f"null for uri: {url}?jql=project+%3D+PAY", "status-code": 404}
