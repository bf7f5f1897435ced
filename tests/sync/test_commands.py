"""The operator's commands against the emulator: apply, export, resync with its progress bar,
register-webhook (idempotent), and the scheduler's single round."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from okrsync.cli import main
from tests.conftest import QUEUE, SECRET
from tests.sync.conftest import CONFIG, SCENARIO


@pytest.fixture()
def env(site, connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    _, jira_url = site
    values = {
        "OKRSYNC_WEBHOOK_SECRET": SECRET,
        "OKRSYNC_QUEUE_NAME": QUEUE,
        "OKRSYNC_JIRA_URL": jira_url,
        "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}",
        "OKRSYNC_JIRA_USER": "admin@acme.example",
        "OKRSYNC_JIRA_TOKEN": "any",
        "OKRSYNC_PUBLIC_URL": "http://127.0.0.1:9/",
        "OKRSYNC_DATA_DIR": str(tmp_path),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "okrs.yaml").write_text(CONFIG.replace("START", "2026-01-01").replace("END", "2026-12-31"))
    return values


def _run(*arguments: str):
    result = CliRunner().invoke(main, list(arguments))
    assert "Traceback" not in result.output, result.output
    return result


def test_apply_then_export_round_trips_and_reports_metric_versions(env) -> None:
    applied = _run("apply", "okrs.yaml")
    assert applied.exit_code == 0, applied.output
    assert "applied as revision 1" in applied.output and "metric escaped_share: new, v-" in applied.output
    assert "already in force" in _run("apply", "okrs.yaml").output
    assert _run("export").output == Path("okrs.yaml").read_text()


def test_apply_refuses_a_broken_file_and_stores_nothing(env, connection) -> None:
    Path("broken.yaml").write_text("cycles: []\n")
    result = _run("apply", "broken.yaml")
    assert result.exit_code == 1 and "cycles" in result.output
    assert connection.hget("okrsync:config", "text") is None


def test_resync_walks_the_mapped_projects_with_a_progress_bar(env, connection) -> None:
    _run("apply", "okrs.yaml")
    result = _run("resync", "--full")
    assert result.exit_code == 0, result.output
    assert f"resync: {len(SCENARIO['issues'])} issue(s) read" in result.output
    assert "SHOP" in result.output and "ETA" in result.output
    assert connection.hlen("okrsync:mirror:keys") == len(SCENARIO["issues"])


def test_register_webhook_is_idempotent(env, site) -> None:
    _run("apply", "okrs.yaml")
    first = _run("register-webhook")
    assert first.exit_code == 0 and "webhook created: http://127.0.0.1:9/webhooks/jira" in first.output
    assert 'project in ("OKR", "SHOP")' in first.output
    again = _run("register-webhook")
    assert again.exit_code == 0 and "webhook unchanged" in again.output
    emulator, _ = site
    assert len(emulator.site.webhooks) == 1


def test_register_webhook_without_the_webhook_api_prints_the_manual_steps(env, site) -> None:
    emulator, _ = site
    emulator.faults.configure({"webhook_api": False})  # a Jira that answers 404 for the webhook API
    _run("apply", "okrs.yaml")
    result = _run("register-webhook")
    assert result.exit_code == 4, result.output
    assert "no webhook administration API (404)" in result.output
    assert "Jira settings → System → WebHooks" in result.output and "http://127.0.0.1:9/webhooks/jira" in result.output


def test_commands_that_need_jira_say_which_settings(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKRSYNC_JIRA_URL")
    result = _run("resync")
    assert result.exit_code == 2 and "OKRSYNC_JIRA_URL" in result.output


def test_register_webhook_needs_a_url(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKRSYNC_PUBLIC_URL")
    result = _run("register-webhook")
    assert result.exit_code == 2 and "OKRSYNC_PUBLIC_URL" in result.output


def test_one_scheduler_round_reconciles_and_recomputes(env, connection) -> None:
    _run("apply", "okrs.yaml")
    result = _run("scheduler", "--once")
    assert result.exit_code == 0, result.output
    assert connection.get("okrsync:reconcile:last") is not None
    assert b"*" in connection.smembers("okrsync:dirty")  # every KR recomputed; the reconciled ones too


def test_apply_and_validate_online_warn_about_issue_keys_jira_does_not_have(env) -> None:
    text = (
        Path("okrs.yaml")
        .read_text()
        .replace(
            "contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr-escaped}",
            "contributors: {epics: [SHOP-1, SHOP-99999]}",
        )
    )
    Path("misspelled.yaml").write_text(text)
    warning = "okr_sets[0].objectives[0].key_results[0].contributors.epics: SHOP-99999 does not exist in Jira (404)"
    validated = CliRunner().invoke(main, ["validate", "--online", "misspelled.yaml"])
    assert validated.exit_code == 0 and warning in validated.output, validated.output
    assert "SHOP-1 " not in validated.output and "OKR-1" not in validated.output  # only the missing one
    offline = _run("validate", "misspelled.yaml")
    assert "SHOP-99999" not in offline.output  # offline, nothing is asked
    applied = _run("apply", "misspelled.yaml")
    assert applied.exit_code == 0 and warning in applied.output
    again = _run("apply", "misspelled.yaml")  # already in force: the key is still missing, and said so
    assert "already in force" in again.output and warning in again.output
