"""`okrsync init`: a first okrs.yaml for the product's stage, from the emulated Jira over real HTTP or offline.

For every stage the written file validates and lints with no finding; its JQL names the site's own
projects, issue types and priorities (and Jira answers it); a refusal is one sentence and exit code 2.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from click.testing import CliRunner, Result

from connector import JiraPort, JiraSettings
from emulator.app import create_emulator
from emulator.scenario import load_site
from mapping.lint import lint
from mapping.loader import load_config_text
from mapping.models import OkrConfig, Stage
from mapping.stages import STAGE_PLANS, STAGES
from okrsync import init_command
from okrsync.cli import main
from tests.emulator.conftest import AUTH, Running, serve

RENAMED_SCENARIO = {
    "users": [{"name": "admin", "email": AUTH[0]}],
    "customFields": [{"id": "customfield_10016", "name": "Story Points", "type": "number"}],
    "projects": [{"key": "SHOP", "name": "Shop", "components": ["Checkout", "Search"]}, {"key": "NO", "name": "Ops"}],
}


@pytest.fixture(scope="module")
def site() -> Iterator[Running]:
    with serve(create_emulator(flavor="cloud")) as running:
        yield running


@pytest.fixture(scope="module")
def renamed_site() -> Iterator[Running]:
    """A site whose bugs are Defects, whose epics are Feature Sets (found by hierarchy level), whose
    priorities run Blocker … Minor and which has no incident type."""
    built = load_site(RENAMED_SCENARIO, flavor="datacenter")
    built.issue_types = [
        {"id": "1", "name": "Feature Set", "hierarchyLevel": 1},
        {"id": "2", "name": "Story", "hierarchyLevel": 0},
        {"id": "3", "name": "Defect", "hierarchyLevel": 0},
    ]
    built.priorities = [{"id": "1", "name": "Blocker"}, {"id": "2", "name": "Critical"}, {"id": "3", "name": "Minor"}]
    for project in built.projects:
        project.issue_types = [t["name"] for t in built.issue_types]
    with serve(create_emulator(built)) as running:
        yield running


@pytest.fixture(autouse=True)
def no_jira(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working directory
    for name in ("OKRSYNC_JIRA_URL", "OKRSYNC_JIRA_USER", "OKRSYNC_JIRA_TOKEN", "OKRSYNC_JIRA_FLAVOR"):
        monkeypatch.delenv(name, raising=False)


def connect(monkeypatch: pytest.MonkeyPatch, running: Running) -> JiraPort:
    monkeypatch.setenv("OKRSYNC_JIRA_URL", running.url)
    monkeypatch.setenv("OKRSYNC_JIRA_USER", AUTH[0])
    monkeypatch.setenv("OKRSYNC_JIRA_TOKEN", AUTH[1])
    return JiraPort(JiraSettings(running.url, AUTH[0], AUTH[1]))


def init(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args])


def written(path: Path) -> OkrConfig:
    return load_config_text(path.read_text(encoding="utf-8"), source=str(path))


def queries(config: OkrConfig) -> list[str]:
    return [q for m in config.metrics.values() for q in (m.jql, m.numerator_jql) if q]


def assert_one_sentence(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_the_stage_choices_are_the_models_stages() -> None:
    assert STAGES == get_args(Stage)
    assert set(STAGE_PLANS) == set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_from_jira_validates_and_lints_clean(
    stage: str, site: Running, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    jira = connect(monkeypatch, site)
    result = init("--stage", stage, "--out", "okrs.yaml")
    assert result.exit_code == 0, result.output + result.stderr
    config = written(tmp_path / "okrs.yaml")
    assert lint(config) == []
    (okr_set,) = config.okr_sets
    assert okr_set.stage == stage and okr_set.projects == ["PAY", "OPS"]
    assert 2 <= len(okr_set.objectives) <= 4
    krs = [kr for o in okr_set.objectives for kr in o.key_results]
    assert all(kr.metric or (kr.unmeasured and kr.first_reading_due) for kr in krs)
    assert any(kr.metric for kr in krs), "every stage reads something from Jira"
    for query in queries(config):
        assert query.startswith("project in (PAY, OPS) AND "), query
        jira.count(query)  # Jira answers it: the names are the site's
    assert "YOURPROJECT" not in (tmp_path / "okrs.yaml").read_text(encoding="utf-8")
    assert_validates_and_lints_without_a_finding("okrs.yaml")


def assert_validates_and_lints_without_a_finding(file: str) -> None:
    """`okrsync validate --online` (the site has every name the file uses), `okrsync validate` offline
    (no JQL field it does not know) and `okrsync lint --strict`: exit 0 and not one warning or finding."""
    for arguments in (["validate", "--online", file], ["validate", file], ["lint", "--strict", file]):
        ran = CliRunner().invoke(main, arguments)
        said = ran.output + ran.stderr
        assert ran.exit_code == 0 and "warning" not in said and "error" not in said, (arguments, said)
        assert "Traceback" not in said
    assert CliRunner().invoke(main, ["lint", file]).output.endswith("0 finding(s)\n")


def test_the_jql_names_are_the_sites_own(
    renamed_site: Running, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    jira = connect(monkeypatch, renamed_site)
    result = init("--stage", "scale", "--out", "scale.yaml")
    assert result.exit_code == 0, result.output + result.stderr
    text = (tmp_path / "scale.yaml").read_text(encoding="utf-8")
    config = written(tmp_path / "scale.yaml")
    assert lint(config) == []
    assert config.okr_sets[0].projects == ["SHOP", "NO"]  # a key YAML would read as false stays a key
    everything = " ".join(queries(config))
    assert "issuetype = Defect" in everything and 'issuetype = "Feature Set"' in everything
    assert "priority = Blocker" in everything and "statusCategory = Done" in everything
    for default in ("Bug", "Epic", "Incident", "Highest"):
        assert default not in everything
    assert all(q.startswith("project in (SHOP, NO) AND ") for q in queries(config))
    assert "SHOP (Shop; components Checkout, Search)" in text and "Story Points" in text
    for query in queries(config):
        jira.count(query)
    assert_validates_and_lints_without_a_finding("scale.yaml")


@pytest.mark.parametrize("stage", STAGES)
def test_offline_writes_marked_placeholders(stage: str, tmp_path: Path) -> None:
    result = init("--stage", stage, "--offline", "--out", "starter.yaml")
    assert result.exit_code == 0, result.output + result.stderr
    text = (tmp_path / "starter.yaml").read_text(encoding="utf-8")
    config = written(tmp_path / "starter.yaml")
    assert lint(config) == []
    assert config.okr_sets[0].stage == stage and config.okr_sets[0].projects == ["YOURPROJECT"]
    assert all("project = YOURPROJECT" in q for q in queries(config))
    assert "# TO REPLACE: YOURPROJECT stands for your Jira project keys" in text


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    target = tmp_path / "okrs.yaml"
    target.write_text("mine\n", encoding="utf-8")
    result = init("--stage", "pmf", "--offline")
    assert_one_sentence(result, "okrs.yaml exists already", "--force")
    assert target.read_text(encoding="utf-8") == "mine\n"
    forced = init("--stage", "pmf", "--offline", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert written(target).okr_sets[0].stage == "pmf"


def test_without_a_terminal_the_stage_must_be_given(tmp_path: Path) -> None:
    assert_one_sentence(init("--offline"), "give --stage", "validation")
    assert not (tmp_path / "okrs.yaml").exists()


def test_at_a_terminal_the_stage_is_chosen_from_a_numbered_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(init_command, "stdin_is_terminal", lambda: True)
    result = CliRunner().invoke(main, ["init", "--offline"], input="9\n3\n")
    assert result.exit_code == 0, result.output + result.stderr
    assert "  1. prototype: " in result.output and "  6. scale: " in result.output
    assert written(tmp_path / "okrs.yaml").okr_sets[0].stage == "validation"


def test_a_stage_not_in_the_model_is_refused() -> None:
    result = init("--stage", "unicorn", "--offline")
    assert result.exit_code == 2 and "'unicorn' is not one of" in result.stderr


def test_online_without_a_jira_says_so(tmp_path: Path) -> None:
    assert_one_sentence(init("--stage", "growth"), "no Jira configured", "--offline")
    assert not (tmp_path / "okrs.yaml").exists()


def test_an_unreachable_jira_is_one_sentence_within_seconds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OKRSYNC_JIRA_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("OKRSYNC_JIRA_USER", AUTH[0])
    monkeypatch.setenv("OKRSYNC_JIRA_TOKEN", AUTH[1])
    started = time.monotonic()
    result = init("--stage", "growth")
    assert_one_sentence(result, "could not read the Jira at http://127.0.0.1:1", "Connection refused", "--offline")
    assert time.monotonic() - started < 15
    assert not (tmp_path / "okrs.yaml").exists()


def test_a_url_that_is_no_site_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKRSYNC_JIRA_URL", "your-site.atlassian.net")
    assert_one_sentence(init("--stage", "growth"), "OKRSYNC_JIRA_URL")


def test_a_refused_token_is_one_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with serve(create_emulator(flavor="cloud", require_auth=True)) as strict:
        connect(monkeypatch, strict)
        monkeypatch.setenv("OKRSYNC_JIRA_TOKEN", "not-the-token")
        result = init("--stage", "pmf")
    assert_one_sentence(result, f"could not read the Jira at {strict.url}", "401", "--offline")
    assert not (tmp_path / "okrs.yaml").exists()
