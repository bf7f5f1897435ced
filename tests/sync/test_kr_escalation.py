"""End to end: a KR off track for escalate_after_weeks opens exactly one problem issue, and its
recovery is noted on the same issue."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from okr.history import Reading
from sync.dirty import mark_all
from sync.escalation import ESCALATION_PROPERTY
from sync.history import history_key
from sync.kr_escalation import claim_key
from sync.scheduling import schedule_flush
from sync.sql_metrics import refresh_sql_metrics
from tests.conftest import QUEUE, run_worker
from tests.sync.test_kpi_breaches import PROGRAM

ORDERS = """
  orders_dwh:
    description: Orders a day, from the warehouse
    source: sql
    connection: dwh
    query: SELECT n FROM orders
"""
ORDERS_KR = """
          - id: KR3
            title: Orders a day from 10 to 20
            metric: orders_dwh
            baseline: 10
            target: 20
            escalate_after_weeks: 2
            escalate: {program: shop-problems, label: kpi-breach}
"""


def _orders(tmp_path: Path, n: float) -> str:
    path = tmp_path / "dwh.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS orders (n REAL)")
        connection.execute("DELETE FROM orders")
        connection.execute("INSERT INTO orders VALUES (?)", (n,))
    connection.close()
    return f"sqlite:///{path}"


def _flush(runtime, connection) -> None:  # type: ignore[no-untyped-def]
    refresh_sql_metrics(runtime, force=True)
    mark_all(connection, {"kind": "test"})
    schedule_flush(connection, QUEUE)
    run_worker(connection)


def test_a_kr_off_track_for_its_weeks_opens_one_problem_and_its_recovery_is_noted(stack, connection, tmp_path) -> None:
    runtime, jira = stack["runtime"], stack["jira"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _orders(tmp_path, 8)}
    text = connection.hget("okrsync:config", "text").decode()
    text = text.replace("okr_sets:", ORDERS.strip("\n") + "\nokr_sets:", 1)
    text = text.replace("          - id: KR2", ORDERS_KR.strip("\n") + "\n          - id: KR2", 1)
    runtime.config_store.apply(text.rstrip("\n") + "\n" + PROGRAM, "okrs.yaml", "test", datetime.now(UTC))
    _flush(runtime, connection)
    assert list(jira.search("labels = kpi-breach")) == []  # off track, not for two weeks yet

    three_weeks_ago = datetime.now(UTC) - timedelta(weeks=3)
    old = Reading(three_weeks_ago.isoformat(), 7.0, None, -0.3, 0.0, "off_track", (), None, 1, None, {})
    connection.zadd(history_key(("shop", "KR3")), {old.to_json(): three_weeks_ago.timestamp()})
    _flush(runtime, connection)
    _flush(runtime, connection)
    [problem] = list(jira.search("labels = kpi-breach"))
    assert problem["fields"]["summary"].startswith(f"KR KR3 off track since {three_weeks_ago:%Y-%m-%d}: Orders a day")
    assert json.loads(connection.get(claim_key("shop", "KR3")))["issue"] == problem["key"]
    described = json.dumps(jira.get_issue(problem["key"], fields=["description"])["fields"]["description"])
    assert "Readings since then" in described and "okrsync" not in described  # the marker is in the property
    assert jira.get_property(problem["key"], ESCALATION_PROPERTY)["claim"] == claim_key("shop", "KR3")

    _orders(tmp_path, 30)  # done
    _flush(runtime, connection)
    _flush(runtime, connection)
    comments = jira.get_issue(problem["key"], fields=["comment"])["fields"]["comment"]["comments"]
    assert len(comments) == 1 and "no longer off track (done)" in json.dumps(comments[0]["body"])
    assert len(list(jira.search("labels = kpi-breach"))) == 1
