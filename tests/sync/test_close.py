"""Closing a cycle through the real stack: on time by the scheduler, on command, a back-dated issue
after the close shown as a late correction without changing the frozen grade, and `close --again`;
`okrsync close` refusing bad input in one sentence with exit 2."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from okr.report import stored_report
from okrsync.cli import main
from okrsync.ops import apply_config_file
from okrsync.periodic import Periodic
from sync import keys
from sync.close import close_cycle
from sync.closed import close_records
from sync.dirty import mark_all
from sync.scheduling import schedule_flush
from tests.conftest import QUEUE, SECRET
from tests.sync.conftest import property_writes, settled, status_of

DAY = 86400


def _yesterday() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - DAY))


# The cycle ended at 00:00 UTC today; the scenario's escaped bugs (SHOP-2, SHOP-3) were created 3 days ago.
CLOSED_CONFIG = """
version: 1
cycles: [{id: q, start: 2020-01-01, end: YESTERDAY, close_after: CLOSE_AFTER}]
metrics:
  escaped:
    description: Escaped defects found and fixed
    jql: project = SHOP AND issuetype = Bug AND labels = escaped
okr_sets:
  - id: shop
    name: Shop
    cycle: q
    projects: [SHOP, OKR]
    objectives:
      - id: O1
        title: Dependable checkout
        key_results:
          - id: KR1
            title: Three escaped defects found before customers did
            metric: escaped
            baseline: 0
            target: 3
            jira_issue: OKR-1
"""


@pytest.fixture()
def config_text() -> str:
    return CLOSED_CONFIG.replace("YESTERDAY", _yesterday()).replace("CLOSE_AFTER", "0d")


def _back_dated_bug(emulator: Any, jira: Any) -> None:
    """An escaped bug created now in Jira, with a `created` two days ago: inside the closed cycle."""
    emulator.faults.configure({"clock_offset_s": -2 * DAY})
    try:
        jira.create_issue(
            {
                "project": {"key": "SHOP"},
                "issuetype": {"name": "Bug"},
                "summary": "Found late, dated back",
                "labels": ["escaped"],
            }
        )
    finally:
        emulator.faults.configure({"clock_offset_s": 0})


def _stored_kr(connection: Any) -> Any:
    report = stored_report(json.loads(connection.get(keys.REPORT)))
    assert report is not None
    return report.okr_set("shop"), report.find("shop", "KR1")


def test_a_closed_grade_stays_frozen_when_a_back_dated_issue_arrives(service, connection) -> None:
    emulator, jira, runtime = service["emulator"], service["jira"], service["runtime"]
    settled(connection, emulator)
    ended = status_of(jira, "OKR-1")
    assert (ended["current"], ended["health"], ended["final"]) == (2, "missed", True)
    assert "closed_at" not in ended  # ended, not closed yet

    record = close_cycle(runtime, "q", "release manager")
    settled(connection, emulator)
    closed = status_of(jira, "OKR-1")
    assert (closed["current"], closed["health"], closed["closed_at"]) == (2, "missed", record.closed_at)
    assert "late_correction" not in closed

    _back_dated_bug(emulator, jira)
    settled(connection, emulator)
    late = status_of(jira, "OKR-1")
    assert (late["current"], late["score"], late["health"]) == (2, 0.67, "missed")  # the frozen grade
    assert late["late_correction"] == {"current": 3, "score": 1.0, "health": "done"}
    okr_set, kr = _stored_kr(connection)
    assert okr_set.closed_at == record.closed_at and "late_correction" in kr.flags
    assert (okr_set.objectives[0].score, okr_set.objectives[0].health) == (0.67, "missed")
    writes, flushes = property_writes(emulator), int(connection.hget(keys.STATS, "flushes") or 0)
    mark_all(connection, {"kind": "schedule"})  # a recomputation of everything finds the same: writes nothing
    schedule_flush(connection, QUEUE)
    settled(connection, emulator)
    assert property_writes(emulator) == writes and int(connection.hget(keys.STATS, "flushes") or 0) > flushes

    again = close_cycle(runtime, "q", "release manager", again=True)
    settled(connection, emulator)
    refrozen = status_of(jira, "OKR-1")
    assert (refrozen["current"], refrozen["health"], refrozen["closed_at"]) == (3, "done", again.closed_at)
    assert "late_correction" not in refrozen
    assert close_records(connection)["q"].history == ({"closed_at": record.closed_at, "by": "release manager"},)
    assert "Traceback" not in service["log"].read_text()


def test_the_scheduler_closes_a_cycle_once_its_close_after_has_passed(stack, connection) -> None:
    Periodic(stack["runtime"]).round(force=True)
    record = close_records(connection)["q"]
    assert (record.by, record.key_results["shop/KR1"].current) == ("scheduler", 2)
    Periodic(stack["runtime"]).round(force=True)
    assert close_records(connection)["q"].closed_at == record.closed_at  # closed once


def test_the_scheduler_leaves_a_cycle_open_until_close_after_has_passed(stack, connection, tmp_path: Path) -> None:
    later = tmp_path / "later.yaml"
    later.write_text(CLOSED_CONFIG.replace("YESTERDAY", _yesterday()).replace("CLOSE_AFTER", "3d"))
    apply_config_file(stack["runtime"], later)
    Periodic(stack["runtime"]).round(force=True)
    assert close_records(connection) == {}  # ended yesterday, closes in 3 days


@pytest.fixture()
def command_env(site, connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    values = {
        "OKRSYNC_WEBHOOK_SECRET": SECRET,
        "OKRSYNC_QUEUE_NAME": QUEUE,
        "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}",
        "OKRSYNC_DATA_DIR": str(tmp_path),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("OKRSYNC_JIRA_URL", "OKRSYNC_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    text = CLOSED_CONFIG.replace("YESTERDAY", _yesterday()).replace("CLOSE_AFTER", "3d")
    text = text.replace("cycles: [", f"cycles: [{{id: open, start: 2020-01-01, end: {today}}}, ")
    (tmp_path / "okrs.yaml").write_text(text)
    return tmp_path / "okrs.yaml"


def _close(*arguments: str) -> Any:
    result = CliRunner().invoke(main, ["close", *arguments])
    assert "Traceback" not in result.output, result.output
    return result


def test_close_on_command_and_its_bad_input(command_env: Path, connection) -> None:
    assert CliRunner().invoke(main, ["apply", str(command_env)]).exit_code == 0
    unknown = _close("nope")
    assert unknown.exit_code == 2
    assert unknown.output.strip() == "okrsync: unknown cycle 'nope': the configuration has open, q"
    not_ended = _close("open")
    assert not_ended.exit_code == 2 and "cycle open has not ended yet: it ends at" in not_ended.output

    closed = _close("q", "--by", "ops lead")
    assert closed.exit_code == 0, closed.output
    assert "cycle q closed at" in closed.output and "by ops lead: 1 KR result(s) frozen" in closed.output
    assert "  shop/KR1: 0 · score 0.00 · missed" in closed.output  # no resync here: nothing mirrored
    twice = _close("q")
    assert twice.exit_code == 2 and "--again" in twice.output
    again = _close("q", "--again", "--by", "ops lead")
    assert again.exit_code == 0 and "cycle q closed again" in again.output
    assert len(close_records(connection)["q"].history) == 1
