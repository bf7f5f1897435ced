"""Every failed `okrsync` command ends with one sentence naming what to fix, exit 2 for setup (settings,
no configuration applied, bad arguments) and 1 for the run (Jira or Redis unreachable); the traceback
only with --debug or OKRSYNC_LOG_LEVEL=DEBUG. Each case runs the real command as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from okrsync.cli_errors import RUNTIME, SETUP, failure_of
from sync.keys import STATS_CALLS as CALLS
from tests.conftest import REPO

OKRSYNC = str(Path(sys.executable).parent / "okrsync")
EXAMPLE = REPO / "examples" / "okrs.yaml"
SECONDS = 30  # any of these commands, retries included, ends well within this


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


def okrsync(tmp_path: Path, *arguments: str, **env: str) -> Ran:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    environment.update(OKRSYNC_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO), **env)
    started = time.monotonic()
    done = subprocess.run(
        [OKRSYNC, *arguments], capture_output=True, text=True, timeout=SECONDS, cwd=tmp_path, env=environment
    )
    return Ran(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def one_sentence(ran: Ran, code: int, *words: str) -> str:
    """The one line on stderr, after checking the exit code and that it says ``words``."""
    assert ran.code == code, ran.stderr
    assert "Traceback" not in ran.stderr and len(ran.lines) == 1, ran.stderr
    line = ran.lines[0]
    assert line.startswith("okrsync: "), line
    for word in words:
        assert word in line, line
    return line


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def redis_env(connection: redis.Redis) -> dict[str, str]:
    """The test Redis, so that no command has to start an embedded one."""
    return {"OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}"}


def test_resync_without_a_configuration_applied(tmp_path: Path, redis_env: dict[str, str]) -> None:
    ran = okrsync(tmp_path, "resync", OKRSYNC_JIRA_URL=f"http://127.0.0.1:{closed_port()}", **redis_env)
    one_sentence(ran, SETUP, "no configuration applied", "okrsync apply okrs.yaml")


def test_resync_without_a_jira(tmp_path: Path, redis_env: dict[str, str]) -> None:
    one_sentence(okrsync(tmp_path, "resync", **redis_env), SETUP, "no Jira configured", "OKRSYNC_JIRA_URL")


def test_a_jira_url_without_scheme_is_a_settings_error(tmp_path: Path) -> None:
    ran = okrsync(tmp_path, "resync", OKRSYNC_JIRA_URL="your-site.atlassian.net")
    line = one_sentence(ran, SETUP, "OKRSYNC_JIRA_URL must start with https:// (got 'your-site.atlassian.net')")
    assert "https://your-site.atlassian.net" in line


def test_validate_online_without_a_jira_or_its_token(tmp_path: Path) -> None:
    one_sentence(okrsync(tmp_path, "validate", "--online", str(EXAMPLE)), SETUP, "--online needs a Jira")
    ran = okrsync(
        tmp_path,
        "validate",
        "--online",
        str(EXAMPLE),
        OKRSYNC_JIRA_URL="https://acme.atlassian.net",
        OKRSYNC_JIRA_USER="okr-sync@acme.example",
    )
    one_sentence(ran, SETUP, "OKRSYNC_JIRA_TOKEN")


def test_credentials_in_a_url_are_never_echoed(tmp_path: Path) -> None:
    ran = okrsync(tmp_path, "status", OKRSYNC_CONFLUENCE_URL="bob:hunter2@acme.atlassian.net/wiki")
    one_sentence(ran, SETUP, "OKRSYNC_CONFLUENCE_URL must start with https://")
    assert "hunter2" not in ran.stderr


@pytest.mark.parametrize("url", ["localhost:6379", "http://localhost:6379"])
def test_a_bad_redis_url_is_a_settings_error(tmp_path: Path, url: str) -> None:
    one_sentence(okrsync(tmp_path, "status", OKRSYNC_REDIS_URL=url), SETUP, "OKRSYNC_REDIS_URL must start with")


def test_redis_down_is_a_runtime_failure(tmp_path: Path) -> None:
    ran = okrsync(tmp_path, "status", OKRSYNC_REDIS_URL=f"redis://127.0.0.1:{closed_port()}")
    one_sentence(ran, RUNTIME, "cannot reach Redis", "OKRSYNC_REDIS_URL")


@pytest.mark.parametrize(
    "variable, value, words",
    [
        ("OKRSYNC_DEDUPE_SECONDS", "soon", ["OKRSYNC_DEDUPE_SECONDS", "integer", "'soon'"]),
        ("OKRSYNC_JIRA_FLAVOR", "server", ["OKRSYNC_JIRA_FLAVOR", "'cloud' or 'datacenter'"]),
        ("OKRSYNC_RETRY_ATTEMPTS", "0", ["OKRSYNC_RETRY_ATTEMPTS", "greater than or equal to 1"]),
        ("OKRSYNC_ADMIN_MAX_BODY_BYTES", "-1", ["OKRSYNC_ADMIN_MAX_BODY_BYTES", "greater than 0"]),
    ],
)
def test_a_malformed_setting_names_the_variable(tmp_path: Path, variable: str, value: str, words: list[str]) -> None:
    one_sentence(okrsync(tmp_path, "status", **{variable: value}), SETUP, "invalid settings", *words)


def test_a_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory")
    one_sentence(okrsync(tmp_path, "status"), SETUP, str(tmp_path / "data"))


def test_export_with_nothing_applied(tmp_path: Path, redis_env: dict[str, str]) -> None:
    one_sentence(okrsync(tmp_path, "export", **redis_env), SETUP, "no configuration applied", "okrsync apply")


def test_register_webhook_without_a_secret(tmp_path: Path, redis_env: dict[str, str]) -> None:
    one_sentence(okrsync(tmp_path, "register-webhook", **redis_env), SETUP, "OKRSYNC_WEBHOOK_SECRET is not set")


def test_a_bad_okrsync_config_stops_the_scheduler(tmp_path: Path, redis_env: dict[str, str]) -> None:
    (tmp_path / "okrs.yaml").write_text("okr_sets: [\n")
    ran = okrsync(tmp_path, "scheduler", "--once", OKRSYNC_CONFIG="okrs.yaml", **redis_env)
    assert ran.code == SETUP and ran.lines[0].startswith("okrsync: OKRSYNC_CONFIG: "), ran.stderr
    assert "Traceback" not in ran.stderr and len(ran.lines) < 6


@pytest.mark.parametrize("command", ["apply", "validate", "lint"])
def test_a_file_that_is_not_yaml_is_its_problems_without_traceback(
    tmp_path: Path, redis_env: dict[str, str], command: str
) -> None:
    (tmp_path / "okrs.yaml").write_text("okr_sets: [\n  - id: a\n    objectives: {\n")
    ran = okrsync(tmp_path, command, "okrs.yaml", **redis_env)
    assert ran.code == 1 and "okrs.yaml" in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr and len(ran.lines) < 6


def test_apply_a_file_that_is_not_there(tmp_path: Path, redis_env: dict[str, str]) -> None:
    ran = okrsync(tmp_path, "apply", "missing.yaml", **redis_env)
    assert ran.code == 1 and "missing.yaml: cannot read the file" in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["--issues", "missing.jsonl", "--at", "2026-11-15T12:00:00Z"], ["missing.jsonl"]),
        (["--issues", "issues.jsonl", "--at", "tomorrow"], ["--at", "'tomorrow'", "ISO-8601"]),
        (["--issues", "issues.jsonl", "--at", "2026-11-15T12:00:00"], ["--at", "no UTC offset"]),
        (["--at", "2026-11-15T12:00:00Z"], ["--issues"]),
    ],
)
def test_evaluate_with_bad_arguments_is_a_usage_error(tmp_path: Path, arguments: list[str], words: list[str]) -> None:
    (tmp_path / "issues.jsonl").write_text("")
    ran = okrsync(tmp_path, "evaluate", "--config", str(EXAMPLE), *arguments)
    assert ran.code == SETUP and "Traceback" not in ran.stderr and len(ran.lines) <= 4, ran.stderr
    for word in words:
        assert word in ran.stderr, ran.stderr


def test_status_with_a_bad_argument(tmp_path: Path) -> None:
    ran = okrsync(tmp_path, "status", "--limit", "many")
    assert ran.code == SETUP and "'many' is not a valid integer" in ran.stderr and "Traceback" not in ran.stderr


def _apply_the_example(tmp_path: Path, redis_env: dict[str, str]) -> None:
    ran = okrsync(tmp_path, "apply", str(EXAMPLE), **redis_env)
    assert ran.code == 0, ran.stderr


def test_an_unreachable_jira_gives_up_after_the_stated_attempts(
    tmp_path: Path, redis_env: dict[str, str], connection: redis.Redis
) -> None:
    _apply_the_example(tmp_path, redis_env)
    site = f"http://127.0.0.1:{closed_port()}"
    ran = okrsync(tmp_path, "resync", OKRSYNC_JIRA_URL=site, OKRSYNC_RETRY_ATTEMPTS="3", **redis_env)
    assert ran.code == RUNTIME and "Traceback" not in ran.stderr, ran.stderr
    *retries, last = ran.lines
    assert len(retries) == 2 and all("retrying in" in line for line in retries), ran.stderr
    assert last.startswith(f"okrsync: Jira at {site} did not answer after 3 attempts over "), last
    assert "OKRSYNC_JIRA_URL" in last
    attempts = sum(int(n) for field, n in connection.hgetall(CALLS).items() if field.startswith(b"jira|"))
    assert attempts == 3  # one retry layer: not the count's attempts and then the walk's again
    assert ran.seconds < 15  # 0.5 s + 1 s of backoff (± jitter) and the start of the command


def test_the_issues_unreachable_jira_at_the_default_budget_says_its_true_attempts(
    tmp_path: Path, redis_env: dict[str, str], connection: redis.Redis
) -> None:
    """`OKRSYNC_JIRA_URL=http://127.0.0.1:1 okrsync resync` as reported, with no retry setting: the
    sentence's count is the attempts made (6, OKRSYNC_RETRY_ATTEMPTS' default), not twice as many."""
    _apply_the_example(tmp_path, redis_env)
    ran = okrsync(tmp_path, "resync", OKRSYNC_JIRA_URL="http://127.0.0.1:1", **redis_env)
    assert ran.code == RUNTIME and "Traceback" not in ran.stderr, ran.stderr
    *retries, last = ran.lines
    assert len(retries) == 5 and all("retrying in" in line for line in retries), ran.stderr
    assert last.startswith("okrsync: Jira at http://127.0.0.1:1 did not answer after 6 attempts over "), last
    attempts = sum(int(n) for field, n in connection.hgetall(CALLS).items() if field.startswith(b"jira|"))
    assert attempts == 6
    assert ran.seconds < 25  # 0.5 + 1 + 2 + 4 + 8 s of backoff (± jitter) and the start, not the 32 s reported


def test_debug_shows_the_traceback_and_keeps_the_exit_code(tmp_path: Path, redis_env: dict[str, str]) -> None:
    ran = okrsync(tmp_path, "--debug", "export", **redis_env)
    assert ran.code == SETUP and ran.stderr.startswith("Traceback (most recent call last):"), ran.stderr
    assert ran.lines[-1] == "okrsync: no configuration applied yet: run `okrsync apply okrs.yaml` first"


def test_log_level_debug_shows_the_traceback_too(tmp_path: Path) -> None:
    ran = okrsync(tmp_path, "status", OKRSYNC_REDIS_URL=f"redis://127.0.0.1:{closed_port()}", OKRSYNC_LOG_LEVEL="DEBUG")
    assert ran.code == RUNTIME and "Traceback (most recent call last):" in ran.stderr, ran.stderr
    assert ran.lines[-1].startswith("okrsync: cannot reach Redis")


def test_an_unforeseen_error_is_one_sentence_that_points_at_debug() -> None:
    failure = failure_of(KeyError("fields"))
    assert failure.exit_code == RUNTIME
    assert failure.sentence == "unexpected KeyError: 'fields' (run `okrsync --debug …` for the traceback)"


def test_a_runtime_error_of_the_ops_is_setup_when_it_names_a_missing_step() -> None:
    assert failure_of(RuntimeError("no mapped projects: list them under okr_sets[].projects")).exit_code == SETUP
    assert failure_of(RuntimeError("the mirror\nis busy")) == failure_of(RuntimeError("the mirror is busy"))
    assert failure_of(RuntimeError("the mirror is busy")).exit_code == RUNTIME
