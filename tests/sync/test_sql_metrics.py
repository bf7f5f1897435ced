"""source: sql metrics are fetched on a worker, each on its own refresh, and read by every evaluation
with their provenance; one that fails keeps its last value, marked stale, and stops no other."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rq import Queue

from mapping.warehouse import query_digest
from okrsync.periodic import Periodic
from okrsync.status import failing_targets
from sync.dirty import mark_all
from sync.flush import REPORT
from sync.scheduling import SQL_JOB, schedule_flush
from sync.sql_metrics import refresh_sql_metrics, sql_failures
from tests.conftest import QUEUE, run_worker

QUERY = "SELECT rate FROM checkout_daily ORDER BY day DESC LIMIT 1"
SQL_METRICS = f"""
  conv_dwh:
    description: Checkout conversion, from the warehouse
    source: sql
    connection: dwh
    query: {QUERY}
    refresh: 1h
    unit: "%"
  orders_dwh:
    description: Orders a day, from the other warehouse
    source: sql
    connection: orders
    query: SELECT count(*) FROM orders
"""
SQL_KRS = """
          - id: KR3
            title: Checkout conversion from 2% to 4%
            metric: conv_dwh
            baseline: 2
            target: 4
          - id: KR4
            title: Orders a day from 10 to 20
            metric: orders_dwh
            baseline: 10
            target: 20
"""


def _warehouse(tmp_path: Path, rate: float) -> str:
    path = tmp_path / "dwh.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS checkout_daily (day TEXT, rate REAL)")
        connection.execute("INSERT INTO checkout_daily VALUES (?, ?)", (datetime.now(UTC).isoformat(), rate))
    connection.close()
    return f"sqlite:///{path}"


def _apply(runtime, connection) -> None:  # type: ignore[no-untyped-def]
    current = connection.hget("okrsync:config", "text").decode()
    text = current.replace("okr_sets:", SQL_METRICS.strip("\n") + "\nokr_sets:", 1)
    text = text.replace("          - id: KR2", SQL_KRS.strip("\n") + "\n          - id: KR2", 1)
    runtime.config_store.apply(text, "okrs.yaml", "test", datetime.now(UTC))


def _kr(connection, kr_id: str) -> dict:  # type: ignore[no-untyped-def]
    report = json.loads(connection.get(REPORT))
    return next(kr for s in report["okr_sets"] for o in s["objectives"] for kr in o["key_results"] if kr["id"] == kr_id)


def test_a_sql_metric_is_fetched_with_provenance_and_a_failing_one_is_stale_alone(stack, connection, tmp_path) -> None:
    runtime = stack["runtime"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 3.0)}  # no URL for "orders"
    _apply(runtime, connection)
    mark_all(connection, {"kind": "config"})
    schedule_flush(connection, QUEUE)
    run_worker(connection)
    assert (_kr(connection, "KR3")["current"], _kr(connection, "KR3")["evaluated"]) == (None, "none")

    report = refresh_sql_metrics(runtime)
    assert report.refreshed == ["conv_dwh"]
    assert "set OKRSYNC_SQL_ORDERS_URL" in report.failed["orders_dwh"]
    schedule_flush(connection, QUEUE)
    run_worker(connection)
    kr = _kr(connection, "KR3")
    assert (kr["current"], kr["evaluated"], kr["progress"], kr["count"]) == (3.0, "sql", 0.5, 1)
    provenance = kr["provenance"]
    assert (provenance["connection"], provenance["query_digest"], provenance["rows"]) == ("dwh", query_digest(QUERY), 1)
    assert datetime.fromisoformat(provenance["fetched_at"]) <= datetime.now(UTC)
    failing = _kr(connection, "KR4")
    assert failing["current"] is None and "stale" in failing["flags"]
    [row] = [r for r in failing_targets(connection) if r["target"].startswith("SQL metric")]
    assert row["target"] == "SQL metric orders_dwh" and "OKRSYNC_SQL_ORDERS_URL" in row["reason"]


def test_a_failing_query_keeps_the_last_value_marked_stale(stack, connection, tmp_path) -> None:
    runtime = stack["runtime"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 3.5)}
    _apply(runtime, connection)
    assert refresh_sql_metrics(runtime).refreshed == ["conv_dwh"]
    (tmp_path / "dwh.db").unlink()
    later = datetime.now(UTC) + timedelta(hours=1, seconds=1)
    report = refresh_sql_metrics(runtime, now=later)
    assert "unable to open database file" in report.failed["conv_dwh"]
    mark_all(connection, {"kind": "test"})
    schedule_flush(connection, QUEUE)
    run_worker(connection)
    kr = _kr(connection, "KR3")
    assert kr["current"] == 3.5 and "stale" in kr["flags"]
    assert sql_failures(connection)["conv_dwh"]["attempts"] == 1
    _warehouse(tmp_path, 3.9)
    assert "conv_dwh" in refresh_sql_metrics(runtime, now=later + timedelta(hours=1, seconds=1)).refreshed
    assert "conv_dwh" not in sql_failures(connection)


def test_a_metric_runs_on_its_refresh_and_at_once_when_its_query_changes(stack, connection, tmp_path) -> None:
    runtime = stack["runtime"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 3.0), "OKRSYNC_SQL_ORDERS_URL": "sqlite://"}
    _apply(runtime, connection)
    now = datetime.now(UTC)
    assert refresh_sql_metrics(runtime, now=now).refreshed == ["conv_dwh"]  # orders: no such table
    assert "conv_dwh" in refresh_sql_metrics(runtime, now=now + timedelta(minutes=30)).not_due
    assert "conv_dwh" in refresh_sql_metrics(runtime, now=now + timedelta(minutes=61)).refreshed
    text = connection.hget("okrsync:config", "text").decode().replace(QUERY, QUERY.replace("rate", "rate * 1"), 1)
    runtime.config_store.apply(text, "okrs.yaml", "test", datetime.now(UTC))
    assert "conv_dwh" in refresh_sql_metrics(runtime, now=now + timedelta(minutes=62)).refreshed


def test_the_scheduler_leaves_queries_to_a_worker(stack, connection, tmp_path) -> None:
    runtime = stack["runtime"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 3.0)}
    _apply(runtime, connection)
    Periodic(runtime, reconcile_every=10**9).round(force=True)
    assert connection.hlen("okrsync:sql-values") == 0  # nothing ran in the scheduler's loop
    assert SQL_JOB in [job.func_name for job in Queue(QUEUE, connection=connection).jobs]
    run_worker(connection)
    assert _kr(connection, "KR3")["current"] == 3.0
