"""The site's catalogs through the Jira port, as `okrsync init` reads them: projects (every page on Cloud),
one project with its components, issue types, statuses with their categories, priorities highest first."""

from __future__ import annotations

import pytest

from tests.connector.conftest import JiraFactory, Site


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_catalogs_read_as_jira_answers_them(
    flavor: str, request: pytest.FixtureRequest, make_jira: JiraFactory
) -> None:
    site: Site = request.getfixturevalue(flavor)
    jira = make_jira(site)
    assert [p["key"] for p in jira.projects()] == ["PAY", "OPS"]
    assert [c["name"] for c in jira.project("PAY")["components"]] == ["Checkout", "Ledger", "Mobile"]
    assert {"Bug", "Epic", "Incident"} <= {t["name"] for t in jira.issue_types()}
    assert {s["name"]: s["statusCategory"]["key"] for s in jira.statuses()}["Done"] == "done"
    assert [p["name"] for p in jira.priorities()][0] == "Highest"
    assert jira.stats.count("jira", "projects") == 1 and jira.stats.count("jira", "project") == 1
