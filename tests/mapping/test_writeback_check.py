"""The fields writeback: names against the site (pure): a field of the wrong kind, a health select list
missing options, a field off an issue type's edit screen — each one finding, with its path and the fix."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mapping.field_kinds import field_kind, field_kinds
from mapping.loader import load_config_document
from mapping.site_check import EditScreen, SiteFacts, check_site
from mapping.writeback_check import check_writeback_fields

CUSTOM = "com.atlassian.jira.plugin.system.customfieldtypes:"
SCHEMAS = {
    "customfield_10050": {"type": "option", "custom": CUSTOM + "select", "customId": 10050},
    "customfield_10051": {"type": "string", "custom": CUSTOM + "textarea", "customId": 10051},
    "customfield_10052": {"type": "number", "custom": CUSTOM + "float", "customId": 10052},
    "labels": {"type": "array", "items": "string", "system": "labels"},
}
ALL_OPTIONS = ("On track", "At risk", "Off track", "Done", "Missed", "Not measured")
FIELDS = {"OKR health": "customfield_10050", "OKR status": "customfield_10051", "OKR score": "customfield_10052"}


def _facts(epic_screen: dict[str, tuple[str, ...]], task_screen: dict[str, tuple[str, ...]] | None = None) -> SiteFacts:
    return SiteFacts(
        projects={"SHOP": "Shop", "OKR": "OKRs"},
        fields={**FIELDS, "Labels": "labels"},
        issue_types=("Epic", "Task"),
        issues={"SHOP-1": None, "OKR-1": None},
        schemas=SCHEMAS,
        issue_type_of={"SHOP-1": "Epic", "OKR-1": "Task"},
        edit_screens={
            "Epic": EditScreen("SHOP-1", epic_screen),
            "Task": EditScreen("OKR-1", task_screen if task_screen is not None else epic_screen),
        },
    )


def _config(**writeback: Any) -> Any:
    kr = {"id": "KR1", "title": "Fewer bugs", "unmeasured": "soon", "jira_issue": "OKR-1"}
    kr["contributors"] = {"epics": ["SHOP-1"]}
    return load_config_document(
        {
            "version": 1,
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "writeback": writeback,
            "okr_sets": [
                {
                    "id": "shop",
                    "name": "Shop",
                    "cycle": "Q4",
                    "projects": ["SHOP"],
                    "objectives": [{"id": "O1", "title": "Quality", "key_results": [kr]}],
                }
            ],
        }
    )


def _lines(config: Any, facts: SiteFacts) -> list[str]:
    return [f.line() for f in check_site(config, facts) + check_writeback_fields(config, facts)]


FULL = {"customfield_10050": ALL_OPTIONS, "customfield_10051": (), "labels": ()}


def test_fields_of_the_right_kind_with_every_option_on_every_screen_give_no_finding() -> None:
    assert _lines(_config(health_field="OKR health", status_field="OKR status"), _facts(FULL)) == []
    assert _lines(_config(health_field="labels"), _facts(FULL)) == []


def test_a_missing_field_is_an_error_with_the_field_meant() -> None:
    assert _lines(_config(health_field="OKR helth"), _facts(FULL)) == [
        "error: writeback.health_field: the site has no field 'OKR helth' to write into; did you mean OKR health? "
        "If not, create it: Jira settings → Issues → Custom fields → Create custom field → Select List (single "
        "choice) with the options On track, At risk, Off track, Done, Missed, Not measured, named 'OKR helth', and "
        "add it to the edit screens of the issue types it is written on; or name a labels field (Labels) instead"
    ]


def test_a_field_the_site_lacks_altogether_says_which_custom_field_to_create() -> None:
    config = _config(health_field="Team mood", status_field="Team OKR line", kr_fields={"score": "KR points"})
    lines = _lines(config, _facts(FULL))
    screens = "and add it to the edit screens of the issue types it is written on"
    assert lines == [
        "error: writeback.kr_fields.score: the site has no field 'KR points' to write into; create it: Jira settings "
        f"→ Issues → Custom fields → Create custom field → Number, named 'KR points', {screens}",
        "error: writeback.health_field: the site has no field 'Team mood' to write into; create it: Jira "
        "settings → Issues → Custom fields → Create custom field → Select List (single choice) with the options "
        f"On track, At risk, Off track, Done, Missed, Not measured, named 'Team mood', {screens}; or name a "
        "labels field (Labels) instead",
        "error: writeback.status_field: the site has no field 'Team OKR line' to write into; create it: Jira "
        f"settings → Issues → Custom fields → Create custom field → Paragraph (multi-line text), named "
        f"'Team OKR line', {screens}",
    ]


def test_a_field_of_the_wrong_kind_says_which_kind_it_must_be() -> None:
    (line,) = _lines(_config(health_field="OKR score"), _facts(FULL))
    assert line.startswith("error: writeback.health_field: 'OKR score' is a float field")
    assert "single-select list (Select List (single choice)) or a labels field" in line
    assert "Jira settings → Issues → Custom fields → Create custom field" in line
    (text,) = _lines(_config(status_field="OKR health"), _facts(FULL))
    assert "writeback.status_field: 'OKR health' is a select field" in text and "a text field" in text


def test_kr_fields_must_hold_what_is_written_there() -> None:
    lines = _lines(_config(kr_fields={"health": "OKR health", "score": "OKR status"}), _facts(FULL))
    assert len(lines) == 2
    assert lines[0].startswith("error: writeback.kr_fields.health: 'OKR health' is a select field")
    assert "it must be a text field" in lines[0]
    assert lines[1].startswith("error: writeback.kr_fields.score: 'OKR status' is a textarea field")
    assert "it must be a number field (Number)" in lines[1]


def test_missing_options_are_named_with_where_to_add_them() -> None:
    screen = {**FULL, "customfield_10050": ("On track", "At risk", "Off track", "Done")}
    (line,) = set(_lines(_config(health_field="OKR health"), _facts(screen, FULL)))
    assert line == (
        "error: writeback.health_field: 'OKR health' has no option 'Missed', 'Not measured' for Epic issues "
        "(the editmeta of SHOP-1); add them: Jira settings → Issues → Custom fields → OKR health → "
        "Contexts and default value → Edit options"
    )


def test_a_field_off_an_issue_types_edit_screen_says_how_to_add_it() -> None:
    task = {"customfield_10051": ()}
    lines = _lines(_config(health_field="OKR health", status_field="OKR status"), _facts(FULL, task))
    assert lines == [
        "error: writeback.health_field: 'OKR health' is not on the edit screen of Task issues in OKR (the editmeta "
        "of OKR-1 lacks it), so Jira refuses the write; add it: Jira settings → Issues → Screen schemes → OKR's "
        "screen scheme → the edit screen of Task → Add field 'OKR health'"
    ]


def test_the_existing_fields_are_checked_on_the_screens_they_are_written_on() -> None:
    config = _config(epic_field="OKR status", kr_fields={"score": "OKR score"})
    lines = _lines(config, _facts({"customfield_10051": ()}, {"customfield_10051": ()}))
    assert len(lines) == 1 and lines[0].startswith("error: writeback.kr_fields.score: 'OKR score' is not on the")
    assert "Task issues in OKR" in lines[0]


def test_an_epic_the_contributor_jql_found_has_its_screen_checked_for_epic_fields_only() -> None:
    facts = _facts({**FULL, "customfield_10052": ()})
    sampled = replace(
        facts,
        sampled_epics=("SHOP-7",),
        issue_type_of={**facts.issue_type_of, "SHOP-7": "Story"},
        edit_screens={**facts.edit_screens, "Story": EditScreen("SHOP-7", {})},
    )
    config = _config(status_field="OKR status", kr_fields={"score": "OKR score"})
    lines = _lines(config, sampled)
    assert len(lines) == 1 and "'OKR status' is not on the edit screen of Story issues in SHOP" in lines[0]


def test_a_field_kind_is_read_from_its_schema() -> None:
    assert [field_kind(SCHEMAS[i]) for i in sorted(SCHEMAS)] == ["select", "text", "number", "labels"]
    assert field_kind({"type": "string", "system": "summary"}) == "text" and field_kind(None) == "other"
    assert field_kind({"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points"}) == "number"
    assert field_kind({"type": "user", "custom": "com.atlassian.servicedesk:sd-request-participants"}) == "other"
    assert field_kinds([{"id": "labels", "schema": SCHEMAS["labels"]}, {"name": "no id"}]) == {"labels": "labels"}
