"""A history query's rows of (at, value), run against a real PostgreSQL server and a SQLite file, become the
recorded history of the KRs and KPIs reading the metric: one point per row however often the query runs,
a restated row replacing its point, and the newest row the current value."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy

from okr.row_readings import ROW
from sync.history import history_key, readings
from sync.kpis import kpi_readings
from sync.runtime import Runtime, new_runtime
from sync.sql_metrics import refresh_sql_metrics, stored_sql_values
from tests.support.postgres import PostgresServer

NOW = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
ROWS = [("2026-11-01", 97.1), ("2026-11-02", 96.5), ("2026-11-03", 97.8)]
CONFIG = """
version: 1
timezone: UTC
cycles:
  - {id: q4, start: 2026-11-01, end: 2026-12-31}
metrics:
  conv_dwh:
    description: Checkout conversion, from the warehouse
    source: sql
    connection: dwh
    query: SELECT day, rate FROM TABLE ORDER BY day
    unit: "%"
okr_sets:
  - id: shop
    name: Shop
    cycle: q4
    kpis:
      - {metric: conv_dwh, keep: {above: 97}}
    objectives:
      - id: O1
        title: Checkout converts
        key_results:
          - {id: KR1, title: Conversion from 96% to 99%, metric: conv_dwh, baseline: 96, target: 99}
"""


@pytest.fixture(params=["postgresql", "sqlite"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(SQLAlchemy URL, table) of a fresh table of ROWS: on the session's PostgreSQL server, or a SQLite file."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        url, day = server.url, "date"
    else:
        url, day = f"sqlite:///{tmp_path / 'warehouse.db'}", "text"
    table = "checkout_history"
    _write(url, f"DROP TABLE IF EXISTS {table}", f"CREATE TABLE {table} (day {day} PRIMARY KEY, rate numeric(5, 2))")
    for row_day, rate in ROWS:
        _write(url, f"INSERT INTO {table} VALUES ('{row_day}', {rate})")
    return url, table


def _write(url: str, *statements: str) -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture
def runtime(settings, connection: redis.Redis, warehouse: tuple[str, str]) -> Runtime:  # type: ignore[no-untyped-def]
    url, table = warehouse
    runtime = new_runtime(settings, connection)
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": url}
    runtime.config_store.apply(CONFIG.replace("TABLE", table), "okrs.yaml", "test", NOW)
    return runtime


def _kr_points(runtime: Runtime) -> list[tuple[str, float | None]]:
    return [(r.at, r.value) for r in readings(runtime.redis, ("shop", "KR1"))]


def test_each_row_is_one_point_of_the_krs_and_the_kpis_history_however_often_it_runs(runtime: Runtime) -> None:
    report = refresh_sql_metrics(runtime, NOW, force=True)
    assert report.refreshed == ["conv_dwh"]
    expected = [(f"{day}T00:00:00+00:00", rate) for day, rate in ROWS]
    assert _kr_points(runtime) == expected
    [first, second, third] = readings(runtime.redis, ("shop", "KR1"))
    assert first.trigger == {"kind": ROW, "metric": "conv_dwh"} and first.count == 1
    assert (first.progress, second.progress, third.progress) == (0.3667, 0.1667, 0.6)
    assert stored_sql_values(runtime)["conv_dwh"].value == 97.8  # the newest row is the current value
    kpi = kpi_readings(runtime.redis, "shop", "conv_dwh")
    assert [(r["at"][:10], r["v"], r["s"]) for r in kpi] == [
        ("2026-11-01", 97.1, "healthy"),
        ("2026-11-02", 96.5, "breached"),
        ("2026-11-03", 97.8, "healthy"),
    ]

    refresh_sql_metrics(runtime, NOW + timedelta(hours=2), force=True)  # the same rows again
    assert _kr_points(runtime) == expected
    assert len(kpi_readings(runtime.redis, "shop", "conv_dwh")) == 3


def test_a_restated_row_replaces_its_point_and_the_readings_it_superseded_go(
    runtime: Runtime, warehouse: tuple[str, str]
) -> None:
    url, table = warehouse
    refresh_sql_metrics(runtime, NOW, force=True)
    # the flush's own readings, each repeating the newest row of its time: the 3rd's is restated below
    rows = readings(runtime.redis, ("shop", "KR1"))
    for row, at in ((rows[1], "2026-11-02T08:00:00+00:00"), (rows[2], "2026-11-03T08:00:00+00:00")):
        own = replace(row, at=at, trigger={"kind": "event"})
        runtime.redis.zadd(history_key(("shop", "KR1")), {own.to_json(): own.instant.timestamp()})

    _write(url, f"UPDATE {table} SET rate = 98.2 WHERE day = '2026-11-03'")
    _write(url, f"INSERT INTO {table} VALUES ('2026-11-04', 98.4)")
    refresh_sql_metrics(runtime, NOW + timedelta(hours=1), force=True)
    assert _kr_points(runtime) == [
        ("2026-11-01T00:00:00+00:00", 97.1),
        ("2026-11-02T00:00:00+00:00", 96.5),
        ("2026-11-02T08:00:00+00:00", 96.5),  # taken before any new row: kept
        ("2026-11-03T00:00:00+00:00", 98.2),
        ("2026-11-04T00:00:00+00:00", 98.4),
    ]
    assert stored_sql_values(runtime)["conv_dwh"].value == 98.4
    kpi = kpi_readings(runtime.redis, "shop", "conv_dwh")
    assert [r["v"] for r in kpi] == [97.1, 96.5, 98.2, 98.4]


def test_rows_outside_the_cycle_or_after_now_are_not_recorded_for_the_kr(
    runtime: Runtime, warehouse: tuple[str, str]
) -> None:
    url, table = warehouse
    _write(url, f"INSERT INTO {table} VALUES ('2026-10-30', 95.0)", f"INSERT INTO {table} VALUES ('2026-11-05', 99.0)")
    refresh_sql_metrics(runtime, NOW, force=True)
    assert [at[:10] for at, _ in _kr_points(runtime)] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    kpi_days = [r["at"][:10] for r in kpi_readings(runtime.redis, "shop", "conv_dwh")]
    assert kpi_days == ["2026-10-30", "2026-11-01", "2026-11-02", "2026-11-03"]  # a KPI's band has no cycle
