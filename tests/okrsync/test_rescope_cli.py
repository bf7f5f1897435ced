"""`okrsync rescope SET KR --reason TEXT`: records the KR's current contributors as its scope; a bad
request is one sentence on stderr and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from okrsync.admin.document import apply_config_text
from okrsync.cli import main
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.runtime import forget_runtimes
from tests.conftest import QUEUE, SECRET
from tests.okrsync.admin.conftest import config_text, mirror_issues


@pytest.fixture()
def cli_env(connection: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> redis.Redis:
    settings = Settings(webhook_secret=SECRET, data_dir=tmp_path, queue_name=QUEUE, _env_file=None)
    apply_config_text(build_runtime(settings, connection), config_text(), "tests", source="okrs.yaml")
    mirror_issues(connection)
    for name, value in {
        "OKRSYNC_WEBHOOK_SECRET": SECRET,
        "OKRSYNC_QUEUE_NAME": QUEUE,
        "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}",
        "OKRSYNC_DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("OKRSYNC_JIRA_URL", "OKRSYNC_CONFLUENCE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield connection
    forget_runtimes()


def test_rescope_records_the_scope_and_says_it(cli_env: redis.Redis) -> None:
    result = CliRunner().invoke(main, ["rescope", "shop", "KR1", "--reason", "payments moved to Q1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("shop/KR1: scope: 2 epics as rescoped on ")
    assert result.output.rstrip().endswith(": payments moved to Q1")
    stored = json.loads(cli_env.hget("okrsync:scopes", "shop/KR1@now"))
    assert stored["epics"] == {"SHOP-20": True, "SHOP-21": False}
    assert stored["rescoped"]["reason"] == "payments moved to Q1" and stored["rescoped"]["author"]
    assert cli_env.sismember("okrsync:dirty", "shop/KR1")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["rescope", "nope", "KR1", "--reason", "x"], "okrsync: no OKR set 'nope' in the configuration in force\n"),
        (["rescope", "shop", "KR9", "--reason", "x"], "okrsync: no key result 'KR9' in OKR set 'shop'\n"),
        (["rescope", "shop", "KR1"], "okrsync: a rescope needs a reason (--reason TEXT)\n"),
        (["rescope", "shop", "KR1", "--reason", "  "], "okrsync: a rescope needs a reason (--reason TEXT)\n"),
        (
            ["rescope", "shop", "KR2", "--reason", "x"],
            "okrsync: key result KR2 of shop has no contributing epics to rescope\n",
        ),
    ],
)
def test_a_bad_rescope_is_one_sentence_and_exit_2(cli_env: redis.Redis, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(main, arguments)
    assert (result.exit_code, result.output) == (2, message)
    assert cli_env.hlen("okrsync:scopes") == 0
