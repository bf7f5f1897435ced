"""A set's KPIs through the real stack: read by the flush from a warehouse metric, listed in the stored
report, recorded when they move and once a day, never part of an objective's score."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sync.dirty import mark_all
from sync.flush import REPORT
from sync.kpis import kpi_readings
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
      - {metric: pay_success, keep: {above: 97}, warn: 0.5}
"""


def _warehouse(tmp_path: Path, rate: float) -> str:
    path = tmp_path / "dwh.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS payments (rate REAL)")
        connection.execute("DELETE FROM payments")
        connection.execute("INSERT INTO payments VALUES (?)", (rate,))
    connection.close()
    return f"sqlite:///{path}"


def _apply_kpi(runtime, connection) -> None:  # type: ignore[no-untyped-def]
    text = connection.hget("okrsync:config", "text").decode()
    text = text.replace("okr_sets:", PAY_METRIC.strip("\n") + "\nokr_sets:", 1)
    text = text.replace("    objectives:", KPIS.strip("\n") + "\n    objectives:", 1)
    runtime.config_store.apply(text, "okrs.yaml", "test", datetime.now(UTC))


def _shop(connection) -> dict:  # type: ignore[no-untyped-def]
    return next(s for s in json.loads(connection.get(REPORT))["okr_sets"] if s["id"] == "shop")


def _refresh_and_flush(runtime, connection) -> None:  # type: ignore[no-untyped-def]
    refresh_sql_metrics(runtime, force=True)
    schedule_flush(connection, QUEUE)
    run_worker(connection)


def test_a_kpi_is_read_recorded_and_kept_out_of_the_score(stack, connection, tmp_path) -> None:
    runtime = stack["runtime"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 98.0)}
    mark_all(connection, {"kind": "test"})
    schedule_flush(connection, QUEUE)
    run_worker(connection)
    score_before = _shop(connection)["objectives"][0]["score"]
    _apply_kpi(runtime, connection)
    _refresh_and_flush(runtime, connection)
    shop = _shop(connection)
    [kpi] = shop["kpis"]
    assert (kpi["metric"], kpi["current"], kpi["healthy"], kpi["state"], kpi["keep"]) == (
        "pay_success",
        98.0,
        True,
        "healthy",
        {"above": 97.0},
    )
    assert kpi["provenance"]["connection"] == "dwh"
    assert shop["objectives"][0]["score"] == score_before
    assert [r["v"] for r in kpi_readings(connection, "shop", "pay_success")] == [98.0]

    _refresh_and_flush(runtime, connection)  # the same value the same day: nothing new recorded
    assert len(kpi_readings(connection, "shop", "pay_success")) == 1

    _warehouse(tmp_path, 95.5)
    _refresh_and_flush(runtime, connection)
    [kpi] = _shop(connection)["kpis"]
    assert (kpi["current"], kpi["healthy"], kpi["state"]) == (95.5, False, "breached")
    assert [(r["v"], r["s"]) for r in kpi_readings(connection, "shop", "pay_success")] == [
        (98.0, "healthy"),
        (95.5, "breached"),
    ]
    assert _shop(connection)["objectives"][0]["score"] == score_before


def test_the_sets_jira_issue_carries_its_kpis_beside_the_krs_status(stack, connection, tmp_path) -> None:
    from tests.sync.conftest import status_property

    runtime, jira = stack["runtime"], stack["jira"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 96.0)}
    _apply_kpi(runtime, connection)
    text = connection.hget("okrsync:config", "text").decode()
    text = text.replace("    kpis:\n", "    jira_issue: OKR-1\n    kpis:\n", 1)  # also KR1's issue
    runtime.config_store.apply(text, "okrs.yaml", "test", datetime.now(UTC))
    mark_all(connection, {"kind": "config"})
    _refresh_and_flush(runtime, connection)
    status = status_property(jira, "OKR-1")
    assert status is not None
    assert [kr["kr"] for kr in status["key_results"]] == ["KR1"]  # the KR's status is still there
    assert status["okr_set"] == "shop"
    [kpi] = status["kpis"]
    assert (kpi["metric"], kpi["current"], kpi["healthy"], kpi["state"]) == ("pay_success", 96.0, False, "breached")
    assert kpi["provenance"]["connection"] == "dwh"
