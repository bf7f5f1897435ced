"""`okrsync validate --online` and `okrsync apply` against the emulated Jira over real HTTP: each name
the site lacks is one line with its document path and the fix; errors exit 2 (apply then stores
nothing), warnings exit 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from connector import JiraPort, JiraSettings
from okrsync.cli import main
from tests.conftest import QUEUE, SECRET
from tests.support.stack import emulated_site
from tests.sync.conftest import CONFIG, SCENARIO

METRIC_JQL = "project = SHOP AND issuetype = Bug"


@pytest.fixture()
def site() -> Iterator[tuple[Any, str]]:
    with emulated_site(SCENARIO) as found:
        yield found


@pytest.fixture()
def env(site, connection: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    values = {
        "OKRSYNC_WEBHOOK_SECRET": SECRET,
        "OKRSYNC_QUEUE_NAME": QUEUE,
        "OKRSYNC_JIRA_URL": site[1],
        "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}",
        "OKRSYNC_JIRA_USER": "admin@acme.example",
        "OKRSYNC_JIRA_TOKEN": "any",
        "OKRSYNC_DATA_DIR": str(tmp_path),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _file(replace: str = METRIC_JQL, by: str = METRIC_JQL) -> str:
    text = CONFIG.replace("START", "2026-01-01").replace("END", "2026-12-31")
    assert replace in text
    Path("okrs.yaml").write_text(text.replace(f"jql: {replace}\n", f"jql: {by}\n"))
    return "okrs.yaml"


def _validate(file: str):
    result = CliRunner().invoke(main, ["validate", "--online", file])
    assert "Traceback" not in result.output, result.output
    return result


def test_the_port_lists_what_the_site_has(site) -> None:
    jira = JiraPort(JiraSettings(site[1], "admin@acme.example", "any", flavor="cloud"))
    assert {p["key"] for p in jira.projects()} == {"SHOP", "OKR"}
    assert "In Progress" in {s["name"] for s in jira.statuses()}
    assert "High" in {p["name"] for p in jira.priorities()} and "Epic" in {t["name"] for t in jira.issue_types()}


def test_a_clean_file_has_no_finding(env) -> None:
    result = _validate(_file())
    assert result.exit_code == 0, result.output
    assert "error:" not in result.output and "warning:" not in result.output


def test_an_unknown_project_is_an_error_with_the_project_meant(env) -> None:
    result = _validate(_file(by="project = SHPO AND issuetype = Bug"))
    assert result.exit_code == 2, result.output
    assert (
        "error: metrics.escaped_share.jql: the site has no project 'SHPO' (Jira rejects the query); did you mean SHOP?"
        in result.output
    )
    assert "1 error(s)" in result.output


def test_a_misspelled_status_is_an_error_with_the_status_meant(env) -> None:
    result = _validate(_file(by='project = SHOP AND issuetype = Bug AND status = "In Progres"'))
    assert result.exit_code == 2, result.output
    assert "metrics.escaped_share.jql: the site has no status 'In Progres'" in result.output
    assert "did you mean In Progress?" in result.output


def test_a_missing_issue_key_is_found_with_the_fix(env) -> None:
    result = _validate(_file(by="project = SHOP AND parent = SHOP-99999"))
    assert result.exit_code == 2, result.output
    assert (
        "error: metrics.escaped_share.jql: SHOP-99999 does not exist in Jira (404) (Jira rejects the query); "
        "check the key" in result.output
    )


def test_a_misspelled_field_online_is_an_error_with_the_field_meant(env) -> None:
    result = _validate(_file(by="projct = SHOP AND issuetype = Bug"))
    assert result.exit_code == 2 and "the site has no field 'projct'" in result.output, result.output
    assert "did you mean project?" in result.output


def test_apply_refuses_a_file_naming_what_the_site_lacks_and_stores_nothing(env, connection: redis.Redis) -> None:
    result = CliRunner().invoke(main, ["apply", _file(by="project = SHPO AND issuetype = Bug")])
    assert result.exit_code == 2 and "did you mean SHOP?" in result.output, result.output
    assert connection.hget("okrsync:config", "text") is None
    clean = CliRunner().invoke(main, ["apply", _file()])
    assert clean.exit_code == 0 and "applied as revision 1" in clean.output, clean.output
