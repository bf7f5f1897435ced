"""The starter okrs.yaml as text (pure): quarters, quoting of the site's names, sites lacking a type."""

from __future__ import annotations

from datetime import date

import pytest

from mapping.errors import ConfigError
from mapping.lint import lint
from mapping.loader import load_config_text
from mapping.stages import STAGES
from mapping.starter import (
    SiteDescription,
    SiteIssueType,
    SiteProject,
    SiteStatus,
    jql_value,
    planned_quarter,
    starter_text,
    yaml_word,
)

DONE = SiteStatus("已完成", "done", "完成")


def site(*types: str, priorities: tuple[str, ...] = ("P1", "P2"), projects: int = 1) -> SiteDescription:
    return SiteDescription(
        url="https://acme.atlassian.net",
        projects=tuple(SiteProject(f"K{n}", f"Project {n}", ("Web",)) for n in range(projects)),
        issue_types=tuple(SiteIssueType(t) for t in types),
        statuses=(SiteStatus("To Do", "new", "To Do"), DONE),
        priorities=priorities,
        custom_fields=("Story Points",),
    )


def test_the_quarter_planned_is_this_one_or_the_next_near_its_end() -> None:
    assert planned_quarter(date(2026, 11, 15)) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert planned_quarter(date(2026, 12, 3)) == ("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))
    assert planned_quarter(date(2026, 2, 10)) == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))


def test_names_are_quoted_only_when_jql_or_yaml_needs_it() -> None:
    assert jql_value("Bug") == "Bug"
    assert jql_value("Sub-task") == '"Sub-task"'
    assert jql_value("缺陷") == '"缺陷"'
    assert jql_value('Say "hi"') == '"Say \\"hi\\""'
    assert jql_value("IN") == '"IN"'
    assert yaml_word("PAY") == "PAY" and yaml_word("NO") == '"NO"' and yaml_word("2024") == '"2024"'


@pytest.mark.parametrize("stage", STAGES)
def test_a_site_without_bugs_or_epics_gets_honest_unmeasured_krs(stage: str) -> None:
    text = starter_text(site("Story", "Task"), stage, date(2026, 11, 15))  # type: ignore[arg-type]
    config = load_config_text(text, source="starter")
    assert lint(config) == []
    krs = [kr for o in config.okr_sets[0].objectives for kr in o.key_results]
    assert all(kr.unmeasured and kr.first_reading_due == date(2026, 12, 15) for kr in krs)
    assert "this Jira has no issue type for" in text and config.metrics == {}


def test_the_sites_own_names_are_used_and_quoted() -> None:
    text = starter_text(site("史诗", "缺陷", "故障", projects=12), "scale", date(2026, 11, 15))
    config = load_config_text(text, source="starter")
    assert lint(config) == []
    jql = " ".join(m.jql or "" for m in config.metrics.values())
    assert 'issuetype = "缺陷"' in jql and 'issuetype = "史诗"' in jql and 'issuetype = "故障"' in jql
    assert 'statusCategory = "完成"' in jql and "priority = P1" in " ".join(
        m.numerator_jql or "" for m in config.metrics.values()
    )
    assert config.okr_sets[0].projects == [f"K{n}" for n in range(10)]
    assert "The set below names the first 10 projects" in text and "K11 (Project 11; components Web)" in text


def test_a_site_without_projects_gets_the_placeholder() -> None:
    empty = SiteDescription(
        "https://acme.atlassian.net", (), (SiteIssueType("Bug"), SiteIssueType("Epic")), (), ("High",), ()
    )
    text = starter_text(empty, "pmf", date(2026, 11, 15))
    assert "'project = YOURPROJECT AND issuetype = Bug'" in text and "# TO REPLACE:" in text
    assert lint(load_config_text(text, source="starter")) == []


def test_a_stage_outside_the_model_is_a_precise_error() -> None:
    text = starter_text(None, "growth", date(2026, 11, 15)).replace("stage: growth", "stage: unicorn")
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, source="okrs.yaml")
    message = str(caught.value)
    assert "okr_sets[0].stage" in message and "'unicorn'" in message and "'early-users'" in message
