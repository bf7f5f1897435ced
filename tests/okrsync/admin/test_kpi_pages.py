"""The admin overview shows a set's KPIs apart from its objectives; a SQL-bound KR's page, where its number
comes from and the warehouse's rows as its chart."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from flask.testing import FlaskClient

from okrsync.admin.context import admin_context
from okrsync.admin.document import apply_config_text
from okrsync.settings import Settings
from sync.history import readings
from sync.sql_metrics import refresh_sql_metrics
from tests.okrsync.admin.conftest import config_text, mirror_issues, recompute
from tests.okrsync.admin.test_pages import sign_in


def test_the_overview_lists_each_kpi_with_its_band_and_state(
    api: FlaskClient, admin_settings: Settings, connection: redis.Redis
) -> None:
    kpis = "    kpis:\n      - {metric: escaped_share, keep: {below: 20}, warn: 5}\n"
    text = config_text().replace("    objectives:\n", kpis + "    objectives:\n", 1)
    apply_config_text(admin_context(admin_settings, connection).runtime, text, "tests", source="okrs.yaml")
    mirror_issues(connection)
    report = recompute(connection)
    [kpi] = report["okr_sets"][0]["kpis"]
    assert (kpi["current"], kpi["healthy"], kpi["state"]) == (30.0, False, "breached")
    sign_in(api)
    page = api.get("/admin/").data.decode()
    row = page[page.index('id="kpi-shop-escaped_share"') :]
    row = row[: row.index("</tr>")]
    assert "≤ 20 (warning within 5)" in row and "<strong>30</strong>" in row
    assert 'class="lozenge h-off_track">out of band<' in row
    assert "10 counted · local" in row
    assert "count in no objective" in page


def test_a_sql_bound_kr_shows_its_warehouse_provenance_and_its_rows_as_its_chart(
    api: FlaskClient, admin_settings: Settings, connection: redis.Redis, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as warehouse:
        warehouse.execute("CREATE TABLE checkouts (day TEXT, rate REAL)")
        rows = [((today - timedelta(days=back)).isoformat(), 2.0 + 0.1 * (10 - back)) for back in range(10, 0, -1)]
        warehouse.executemany("INSERT INTO checkouts VALUES (?, ?)", rows)
    warehouse.close()
    metric = (
        "  conv_dwh:\n    description: Checkout conversion, from the warehouse\n    source: sql\n"
        "    connection: dwh\n    query: SELECT day, rate FROM checkouts\n    unit: '%'\nokr_sets:\n"
    )
    text = config_text().replace("okr_sets:\n", metric, 1).replace("metric: conversion", "metric: conv_dwh", 1)
    runtime = admin_context(admin_settings, connection).runtime
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": f"sqlite:///{path}"}
    apply_config_text(runtime, text, "tests", source="okrs.yaml")
    assert refresh_sql_metrics(runtime, force=True).refreshed == ["conv_dwh"]
    assert len(readings(connection, ("shop", "KR2"))) == 10  # a point per row
    mirror_issues(connection)
    recompute(connection)
    sign_in(api)
    page = api.get("/admin/sets/shop/krs/KR2").data.decode()
    provenance = page[page.index('id="warehouse-provenance"') :]
    assert provenance[: provenance.index("</td>")].startswith(
        'id="warehouse-provenance">10 rows from dwh (query sha256:'
    )
    assert "connection <code>dwh</code> · <code>SELECT day, rate FROM checkouts</code>" in page
    charts = page[page.index('id="charts"') :]
    assert "<svg" in charts[: charts.index("</div>")] and "Not enough values" not in charts[:500]
    trend = charts[charts.index('class="small trend"') :]
    assert trend[: trend.index("</table>")].count("<tr><td>") == 10 + 1  # each row's value, then where it stands
