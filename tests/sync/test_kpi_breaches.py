"""End to end: a KPI out of its band for breach_after opens exactly one problem issue in the problem
program's project with the program's source label and the evidence; its recovery is noted on the
same issue, and a second breach too, never as a second issue."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sync.dirty import mark_all
from sync.kpi_breaches import claim_key
from sync.kpis import kpi_history_key
from sync.scheduling import schedule_flush
from sync.sql_metrics import refresh_sql_metrics
from tests.conftest import QUEUE, run_worker

PAY_METRIC = """
  pay_success:
    description: Payment success, from the warehouse
    source: sql
    connection: dwh
    query: SELECT rate FROM payments
    unit: "%"
"""
KPIS = """
    kpis:
      - metric: pay_success
        keep: {above: 97}
        breach_after: 1d
        escalate: {program: shop-problems, label: kpi-breach}
"""
PROGRAM = """
problem_programs:
  - id: shop-problems
    name: Shop problems
    sources:
      - {id: kpi, name: KPI breaches, jql: project = OKR AND labels = kpi-breach}
    classify:
      labels: {system: problem-system, mechanism: problem-mechanism, people: problem-people}
    action_points: {project: OKR}
"""


def _warehouse(tmp_path: Path, rate: float) -> str:
    path = tmp_path / "dwh.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS payments (rate REAL)")
        connection.execute("DELETE FROM payments")
        connection.execute("INSERT INTO payments VALUES (?)", (rate,))
    connection.close()
    return f"sqlite:///{path}"


def _apply(runtime, connection) -> None:  # type: ignore[no-untyped-def]
    text = connection.hget("okrsync:config", "text").decode()
    text = text.replace("okr_sets:", PAY_METRIC.strip("\n") + "\nokr_sets:", 1)
    text = text.replace("    objectives:", KPIS.strip("\n") + "\n    objectives:", 1)
    runtime.config_store.apply(text.rstrip("\n") + "\n" + PROGRAM, "okrs.yaml", "test", datetime.now(UTC))


def _flush(runtime, connection) -> None:  # type: ignore[no-untyped-def]
    refresh_sql_metrics(runtime, force=True)
    mark_all(connection, {"kind": "test"})
    schedule_flush(connection, QUEUE)
    run_worker(connection)


def _problems(jira) -> list[dict]:  # type: ignore[no-untyped-def]
    return list(jira.search("project = OKR AND labels = kpi-breach"))


def _comments(jira, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    issue = jira.get_issue(key, fields=["comment"])
    return [
        c["body"] if isinstance(c["body"], str) else json.dumps(c["body"])
        for c in issue["fields"]["comment"]["comments"]
    ]


def test_a_kpi_out_of_band_opens_one_problem_and_its_recovery_is_noted_on_it(stack, connection, tmp_path) -> None:
    runtime, jira = stack["runtime"], stack["jira"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 95.5)}
    _apply(runtime, connection)
    _flush(runtime, connection)
    assert _problems(jira) == []  # out of band, but not for a day yet

    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    earlier = {"at": two_days_ago.isoformat(), "v": 95.0, "s": "breached"}
    connection.zadd(kpi_history_key("shop", "pay_success"), {json.dumps(earlier): two_days_ago.timestamp()})
    _flush(runtime, connection)
    [problem] = _problems(jira)
    fields = problem["fields"]
    assert fields["labels"] == ["kpi-breach"] and fields["summary"].startswith("KPI pay_success out of band (≥ 97)")
    description = fields["description"] if isinstance(fields["description"], str) else json.dumps(fields["description"])
    assert "95" in description and f"{two_days_ago:%Y-%m-%d}" in description
    claim = json.loads(connection.get(claim_key("shop", "pay_success")))
    assert (claim["issue"], claim["recovered"]) == (problem["key"], False)

    _flush(runtime, connection)  # still out of band: no second issue, no note
    assert len(_problems(jira)) == 1 and _comments(jira, problem["key"]) == []

    _warehouse(tmp_path, 98.2)
    _flush(runtime, connection)
    [note] = _comments(jira, problem["key"])
    assert "KPI pay_success is back in its band (≥ 97)" in note and "now 98.2" in note
    _flush(runtime, connection)
    assert len(_comments(jira, problem["key"])) == 1  # noted once

    # out of band again, for two days by now (the readings since the earlier one dropped): the same issue hears of it
    _warehouse(tmp_path, 90.0)
    history = kpi_history_key("shop", "pay_success")
    connection.zremrangebyscore(history, f"({two_days_ago.timestamp()}", "+inf")
    _flush(runtime, connection)
    assert len(_problems(jira)) == 1
    assert any("out of band again" in c for c in _comments(jira, problem["key"]))
