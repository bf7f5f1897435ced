"""The admin overview shows a set's KPIs apart from its objectives."""

from __future__ import annotations

import redis
from flask.testing import FlaskClient

from okrsync.admin.context import admin_context
from okrsync.admin.document import apply_config_text
from okrsync.settings import Settings
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
