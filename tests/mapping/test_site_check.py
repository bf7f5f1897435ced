"""The configuration against a site's facts (pure): each name the site lacks is one finding with its
document path and the near miss; any JQL text gives precise findings, never an exception."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.jql_fields import unknown_fields
from mapping.loader import load_config_document
from mapping.site_check import SiteFacts, check_site, issue_keys_to_ask

TIME_BUDGET_SECONDS = 0.5  # one text checked offline and against a site
SITE = SiteFacts(
    projects={"SHOP": "Shop", "OPS": "Operations"},
    fields={"story points": "customfield_10016", "OKR score": "customfield_10100", "Status": "status"},
    statuses=("To Do", "In Progress", "Done"),
    priorities=("Highest", "High", "Medium"),
    issue_types=("Bug", "Epic", "Task"),
    issues={"SHOP-1": None, "SHOP-99999": "does not exist in Jira (404)"},
)


def _config(jql: str = "project = SHOP", **kr: Any) -> Any:
    first = {"id": "KR1", "title": "Fewer bugs", "metric": "m", "baseline": 10, "target": 5, **kr}
    second = {"id": "KR2", "title": "Happier buyers", "unmeasured": "no survey yet"}
    return load_config_document(
        {
            "version": 1,
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "writeback": {"kr_fields": {"score": "OKR score"}},
            "metrics": {"m": {"description": "bugs", "source": "jira", "jql": jql}},
            "okr_sets": [
                {
                    "id": "shop",
                    "name": "Shop",
                    "cycle": "Q4",
                    "projects": ["SHOP", "OPS"],
                    "objectives": [{"id": "O1", "title": "Quality", "key_results": [first, second]}],
                }
            ],
        }
    )


def _lines(config: Any) -> list[str]:
    return [finding.line() for finding in check_site(config, SITE)]


def test_a_file_naming_only_what_the_site_has_gives_no_finding() -> None:
    text = 'project in (SHOP, Operations) AND status = "in progress" AND type = Bug AND priority = High'
    text += ' AND "Story Points" > 1 AND cf[10016] > 1 AND key = SHOP-1'
    assert _lines(_config(text, jira_issue="SHOP-1")) == []


def test_each_missing_name_is_one_line_with_its_path_and_the_near_miss() -> None:
    config = _config("projct = SHOP AND project = SHPO AND status = Doen AND priority = Hihg AND type = Bgu")
    assert _lines(config) == [
        "error: metrics.m.jql: the site has no field 'projct' (Jira rejects the query); did you mean project?",
        "error: metrics.m.jql: the site has no project 'SHPO' (Jira rejects the query); did you mean SHOP?",
        "error: metrics.m.jql: the site has no status 'Doen' (Jira rejects the query); did you mean Done?",
        "error: metrics.m.jql: the site has no priority 'Hihg' (Jira rejects the query); did you mean High?",
        "error: metrics.m.jql: the site has no issue type 'Bgu' (Jira rejects the query); did you mean Bug?",
    ]


def test_issue_keys_in_queries_are_errors_and_written_ones_warnings() -> None:
    config = _config("project = SHOP AND parent = shop-99999", jira_issue="SHOP-99999")
    assert issue_keys_to_ask(config) == ["SHOP-99999"]
    assert _lines(config) == [
        "error: metrics.m.jql: SHOP-99999 does not exist in Jira (404) (Jira rejects the query); check the key",
        "warning: okr_sets[0].objectives[0].key_results[0].jira_issue: SHOP-99999 does not exist in Jira (404); "
        "its status cannot be written there — check the key",
    ]


def test_mapped_projects_and_written_fields_must_exist() -> None:
    config = _config().model_copy(
        update={
            "okr_sets": [_config().okr_sets[0].model_copy(update={"projects": ["SHOP", "SHIP"]})],
            "writeback": _config().writeback.model_copy(update={"kr_fields": {"score": "OKR scores"}}),
        }
    )
    assert _lines(config) == [
        "error: okr_sets[0].projects[1]: the site has no project 'SHIP'; did you mean SHOP?",
        "error: writeback.kr_fields.score: the site has no field 'OKR scores' to write into; did you mean OKR score? "
        "If not, create it: Jira settings → Issues → Custom fields → Create custom field → Number, named "
        "'OKR scores', and add it to the edit screens of the issue types it is written on",
    ]


jql_alphabet = st.sampled_from(
    list("abcXYZ019 =!~<>()\"',-*[]\\\n")
    + ["AND ", "OR ", "NOT ", "IN ", "IS ", "WAS ", "CHANGED ", "EMPTY", "ORDER BY ", "project", "status"]
    + ["key", "parent", "priority", "type", "projct", "SHOP-1", "now()", "cf[1]", '"Story Points"']
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(jql_alphabet, max_size=30).map("".join) | st.text(max_size=80))
def test_any_jql_text_gives_precise_findings_and_never_raises(text: str) -> None:
    base = _config()
    config = base.model_copy(update={"metrics": {"m": base.metrics["m"].model_copy(update={"jql": text})}})
    started = time.perf_counter()
    offline, online = unknown_fields(config, {"story points": "customfield_1"}), check_site(config, SITE)
    assert time.perf_counter() - started < TIME_BUDGET_SECONDS
    for finding in offline:
        assert finding.where == "metrics.m.jql" and repr(finding.field) in finding.message
    for site_finding in online:
        assert site_finding.where == "metrics.m.jql" and site_finding.message
        assert "\n" not in site_finding.line()


def test_a_key_with_a_line_break_is_not_asked_for() -> None:
    assert issue_keys_to_ask(_config('project = SHOP AND key = "SHOP-99999\n"')) == []


def test_a_sets_jira_issue_the_site_lacks_is_a_warning_about_the_digest_comment() -> None:
    config = _config()
    shop = config.okr_sets[0].model_copy(update={"jira_issue": "SHOP-99999"})
    config = config.model_copy(update={"okr_sets": [shop]})
    assert "SHOP-99999" in issue_keys_to_ask(config)
    assert _lines(config) == [
        "warning: okr_sets[0].jira_issue: SHOP-99999 does not exist in Jira (404); "
        "the weekly digest cannot be commented there — check the key",
    ]
