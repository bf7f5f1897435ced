"""`okrsync validate --online` and `okrsync apply` on the health and status fields, against the emulated
Jira over real HTTP: a missing field, a missing option and a field not on an issue type's edit screen
are each one line with the document path and the fix, and exit 2 (apply then stores nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from okrsync.cli import main
from tests.conftest import QUEUE, SECRET
from tests.support.stack import emulated_site
from tests.sync.conftest import CONFIG, SCENARIO

HEALTH_OPTIONS = ["On track", "At risk", "Off track", "Done", "Missed", "Not measured"]
WRITEBACK = "writeback:\n  kr_fields: {score: OKR score, health: OKR health}\n"


def _scenario(options: list[str], screens: dict[str, list[str]] | None = None) -> dict[str, Any]:
    fields = [
        *SCENARIO["customFields"],
        {"id": "customfield_10150", "name": "OKR health list", "custom": "select", "options": options},
        {"id": "customfield_10151", "name": "OKR status", "custom": "textarea"},
    ]
    return {**SCENARIO, "customFields": fields, **({"editScreens": screens} if screens else {})}


@pytest.fixture()
def scenario() -> dict[str, Any]:
    return _scenario(HEALTH_OPTIONS)


@pytest.fixture()
def env(scenario, connection: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with emulated_site(scenario) as (_, url):
        values = {
            "OKRSYNC_WEBHOOK_SECRET": SECRET,
            "OKRSYNC_QUEUE_NAME": QUEUE,
            "OKRSYNC_JIRA_URL": url,
            "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}",
            "OKRSYNC_JIRA_USER": "admin@acme.example",
            "OKRSYNC_JIRA_TOKEN": "any",
            "OKRSYNC_DATA_DIR": str(tmp_path),
        }
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield tmp_path


def _file(health: str = "OKR health list", status: str = "OKR status") -> str:
    """The sync tests' okrs.yaml (KR1 written on OKR-1, a Task) with the health and status fields."""
    text = CONFIG.replace("START", "2026-01-01").replace("END", "2026-12-31")
    assert WRITEBACK in text
    fields = f"  health_field: {health}\n  status_field: {status}\n"
    Path("okrs.yaml").write_text(text.replace(WRITEBACK, WRITEBACK + fields))
    return "okrs.yaml"


def _validate(file: str) -> Any:
    result = CliRunner().invoke(main, ["validate", "--online", file])
    assert "Traceback" not in result.output, result.output
    return result


def test_fields_with_every_option_on_the_screen_give_no_finding(env) -> None:
    result = _validate(_file())
    assert result.exit_code == 0, result.output
    assert "error:" not in result.output and "warning:" not in result.output


def test_a_missing_field_is_an_error_with_the_field_meant(env) -> None:
    result = _validate(_file(health="OKR helth list"))
    assert result.exit_code == 2, result.output
    assert (
        "error: writeback.health_field: the site has no field 'OKR helth list' to write into; "
        "did you mean OKR health list?" in result.output
    )


def test_a_field_the_site_lacks_altogether_is_an_error_saying_which_field_to_create(env) -> None:
    result = _validate(_file(health="Team mood"))
    assert result.exit_code == 2, result.output
    assert (
        "error: writeback.health_field: the site has no field 'Team mood' to write into; create it: Jira "
        "settings → Issues → Custom fields → Create custom field → Select List (single choice) with the options "
        "On track, At risk, Off track, Done, Missed, Not measured, named 'Team mood', and add it to the edit "
        "screens of the issue types it is written on; or name a labels field (Labels) instead" in result.output
    )
    assert "1 error(s)" in result.output


@pytest.mark.parametrize("scenario", [_scenario(HEALTH_OPTIONS[:4])])
def test_a_missing_option_is_an_error_naming_it_and_where_to_add_it(env) -> None:
    result = _validate(_file())
    assert result.exit_code == 2, result.output
    assert (
        "error: writeback.health_field: 'OKR health list' has no option 'Missed', 'Not measured' for Task issues "
        "(the editmeta of OKR-1); add them: Jira settings → Issues → Custom fields → OKR health list → "
        "Contexts and default value → Edit options" in result.output
    )


@pytest.mark.parametrize("scenario", [_scenario(HEALTH_OPTIONS, {"Task": ["OKR score", "OKR health"]})])
def test_a_field_off_the_edit_screen_is_an_error_saying_how_to_add_it(env) -> None:
    result = _validate(_file())
    assert result.exit_code == 2, result.output
    for where, name in (("health_field", "OKR health list"), ("status_field", "OKR status")):
        assert (
            f"error: writeback.{where}: {name!r} is not on the edit screen of Task issues in OKR (the editmeta of "
            f"OKR-1 lacks it), so Jira refuses the write; add it: Jira settings → Issues → Screen schemes → OKR's "
            f"screen scheme → the edit screen of Task → Add field {name!r}" in result.output
        )
    assert "2 error(s)" in result.output


@pytest.mark.parametrize("scenario", [_scenario(HEALTH_OPTIONS, {"Epic": ["OKR status"]})])
def test_the_epics_the_contributor_jql_finds_have_their_screen_checked(env) -> None:
    result = _validate(_file())
    assert result.exit_code == 2, result.output
    assert (
        "error: writeback.health_field: 'OKR health list' is not on the edit screen of Epic issues in SHOP "
        "(the editmeta of SHOP-1 lacks it)" in result.output
    )
    assert "1 error(s)" in result.output


def test_a_field_of_the_wrong_kind_is_an_error(env) -> None:
    result = _validate(_file(health="OKR score"))
    assert result.exit_code == 2, result.output
    assert "error: writeback.health_field: 'OKR score' is a float field" in result.output


@pytest.mark.parametrize("scenario", [_scenario(HEALTH_OPTIONS[:4])])
def test_apply_refuses_a_field_missing_options_and_stores_nothing(env, connection: redis.Redis) -> None:
    result = CliRunner().invoke(main, ["apply", _file()])
    assert result.exit_code == 2 and "has no option 'Missed', 'Not measured'" in result.output, result.output
    assert connection.hget("okrsync:config", "text") is None
