"""Select and labels custom fields, edit screens and ``editmeta``, as Jira Cloud and Data Center answer
them: a select list's options are its allowed values, a value that is no option and a field off the
issue type's edit screen are refused with Jira's 400 body, and JQL finds an issue by its option or label."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI

from emulator.app import create_emulator
from emulator.scenario import ScenarioError, load_site
from tests.emulator.conftest import AUTH, Running, serve
from tests.emulator.test_emulator_openapi import check_jira, openapi

HEALTH, LABELS, STATUS = "customfield_10050", "customfield_10051", "customfield_10052"
OFF_SCREEN = "Field 'customfield_10050' cannot be set. It is not on the appropriate screen, or unknown."
SCENARIO: dict[str, Any] = {
    "customFields": [
        {"id": HEALTH, "name": "OKR health", "custom": "select", "options": ["On track", "At risk", "Off track"]},
        {"id": LABELS, "name": "OKR labels", "custom": "labels"},
        {"id": STATUS, "name": "OKR status", "custom": "textarea"},
    ],
    "editScreens": {"Task": ["OKR status"]},  # a Task's edit screen lacks the health fields
    "projects": [{"key": "SHOP"}],
    "issues": [
        {"key": "SHOP-1", "type": "Epic", "summary": "Checkout"},
        {"key": "SHOP-2", "type": "Task", "summary": "KR issue"},
    ],
}


@pytest.fixture(params=["cloud", "datacenter"])
def site(request: pytest.FixtureRequest) -> Iterator[Running]:
    with serve(create_emulator(SCENARIO, flavor=request.param)) as running:
        yield running


def call(site: Running, method: str, path: str, api: str = "2", **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{site.url}/rest/api/{api}/{path}", auth=AUTH, timeout=5, **kwargs)


def edit(site: Running, key: str, body: dict[str, Any]) -> requests.Response:
    return call(site, "PUT", f"issue/{key}", json=body)


def test_the_field_list_gives_each_kind_its_schema(site: Running) -> None:
    schemas = {f["id"]: f["schema"] for f in call(site, "GET", "field").json()}
    assert schemas[HEALTH] == {
        "type": "option",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
        "customId": 10050,
    }
    assert schemas[LABELS]["type"] == "array" and schemas[LABELS]["items"] == "string"
    assert schemas[LABELS]["custom"].endswith(":labels") and schemas[STATUS]["custom"].endswith(":textarea")


@pytest.mark.parametrize("api", ["2", "3"])
def test_editmeta_lists_the_screen_with_the_options_as_allowed_values(site: Running, api: str) -> None:
    fields = call(site, "GET", "issue/SHOP-1/editmeta", api).json()["fields"]
    health = fields[HEALTH]
    assert (health["name"], health["key"], health["required"], health["operations"]) == (
        "OKR health",
        HEALTH,
        False,
        ["set"],
    )
    assert [v["value"] for v in health["allowedValues"]] == ["On track", "At risk", "Off track"]
    assert health["allowedValues"][0]["self"].endswith(
        f"/rest/api/{api}/customFieldOption/{health['allowedValues'][0]['id']}"
    )
    assert fields[LABELS]["operations"] == ["add", "set", "remove"]
    assert fields["summary"]["required"] is True and "labels" in fields


def test_a_field_off_the_issue_types_screen_is_not_in_its_editmeta(site: Running) -> None:
    fields = call(site, "GET", "issue/SHOP-2/editmeta").json()["fields"]
    assert STATUS in fields and HEALTH not in fields and LABELS not in fields
    assert "summary" in fields  # system fields stay


def test_editmeta_follows_the_document(site: Running, jira_spec: dict[str, Any]) -> None:
    jira_api: OpenAPI = openapi(jira_spec)
    for key in ("SHOP-1", "SHOP-2"):
        response = call(site, "GET", f"issue/{key}/editmeta", "3")
        assert response.status_code == 200
        check_jira(jira_api, response)


def test_an_option_is_set_by_value_and_read_back_as_jira_sends_it(site: Running) -> None:
    assert edit(site, "SHOP-1", {"fields": {HEALTH: {"value": "Off track"}}}).status_code == 204
    value = call(site, "GET", "issue/SHOP-1").json()["fields"][HEALTH]
    assert value["value"] == "Off track" and set(value) == {"self", "value", "id"}
    assert edit(site, "SHOP-1", {"fields": {HEALTH: {"id": value["id"]}}}).status_code == 204
    assert edit(site, "SHOP-1", {"fields": {HEALTH: None}}).status_code == 204
    assert call(site, "GET", "issue/SHOP-1").json()["fields"][HEALTH] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"value": "Missed"}, "Option value 'Missed' is not valid"),
        ({"id": "99999"}, "Option id '99999' is not valid"),
        ("Off track", "Could not find valid 'id' or 'value' in the Parent Option object."),
    ],
)
def test_a_value_that_is_no_option_is_refused_with_jiras_words(site: Running, value: Any, message: str) -> None:
    response = edit(site, "SHOP-1", {"fields": {HEALTH: value}})
    assert response.status_code == 400
    assert response.json() == {"errorMessages": [], "errors": {HEALTH: message}}


def test_a_field_off_the_screen_is_refused_with_jiras_words(site: Running) -> None:
    for body in ({"fields": {HEALTH: {"value": "At risk"}}}, {"update": {HEALTH: [{"set": {"value": "At risk"}}]}}):
        response = edit(site, "SHOP-2", body)
        assert response.status_code == 400
        assert response.json() == {"errorMessages": [], "errors": {HEALTH: OFF_SCREEN}}
    assert edit(site, "SHOP-2", {"fields": {STATUS: "KR1 on track"}}).status_code == 204


def test_a_labels_field_takes_add_and_remove_and_keeps_the_other_labels(site: Running) -> None:
    assert edit(site, "SHOP-1", {"fields": {LABELS: ["team-pick", "okr-at-risk"]}}).status_code == 204
    update = {LABELS: [{"add": "okr-off-track"}, {"remove": "okr-at-risk"}, {"remove": "okr-done"}]}
    assert edit(site, "SHOP-1", {"update": update}).status_code == 204
    assert call(site, "GET", "issue/SHOP-1").json()["fields"][LABELS] == ["okr-off-track", "team-pick"]
    refused = edit(site, "SHOP-1", {"update": {LABELS: [{"add": "off track"}]}})
    assert refused.status_code == 400 and "contains spaces" in refused.json()["errors"][LABELS]


def found(site: Running, jql: str) -> list[str]:
    """The keys a search finds: Data Center's /search, Cloud's /search/jql."""
    if site.emulator.site.flavor == "datacenter":
        response = call(site, "GET", "search", params={"jql": jql})
    else:
        response = call(site, "POST", "search/jql", "3", json={"jql": jql, "fields": ["summary"]})
    assert response.status_code == 200, (jql, response.text)
    return [issue["key"] for issue in response.json()["issues"]]


def test_jql_finds_an_issue_by_its_option_and_by_its_label(site: Running) -> None:
    edit(site, "SHOP-1", {"fields": {HEALTH: {"value": "Off track"}, LABELS: ["okr-off-track"]}})
    for jql in ('"OKR health" = "Off track"', "cf[10050] in ('Off track', 'At risk')", '"OKR labels" = okr-off-track'):
        assert found(site, jql) == ["SHOP-1"], jql
    assert found(site, '"OKR health" = "At risk"') == []
    assert found(site, '"OKR health" is EMPTY') == ["SHOP-2"]


def test_a_scenario_screen_naming_an_unknown_field_is_refused() -> None:
    with pytest.raises(ScenarioError, match="editScreens.Task: no custom field named Nope"):
        load_site({**SCENARIO, "editScreens": {"Task": ["Nope"]}}, "cloud")
