"""The admin pages of a closed cycle: "Final — closed DATE" and a KR's late correction."""

from __future__ import annotations

import json

import redis
from flask.testing import FlaskClient

from sync import keys
from tests.okrsync.admin.conftest import mirror_issues, recompute
from tests.okrsync.admin.test_pages import sign_in

CORRECTION = {"current": 7.0, "score": 1.0, "health": "done"}


def _closed(connection: redis.Redis) -> None:
    """The stored report as a flush writes it after the close: closed_at, and a late correction on KR1."""
    report = json.loads(connection.get(keys.REPORT) or "{}")
    okr_set = report["okr_sets"][0]
    okr_set["closed_at"] = "2027-01-04T06:00:00+00:00"
    kr = okr_set["objectives"][0]["key_results"][0]
    kr["late_correction"] = {**CORRECTION, "progress": 1.0, "forecast": None, "flags": [], "delivery": None}
    kr["flags"] = [*kr["flags"], "late_correction"]
    connection.set(keys.REPORT, json.dumps(report))


def test_the_overview_and_the_kr_page_say_final_and_the_late_correction(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    mirror_issues(connection)
    recompute(connection)
    sign_in(api)
    assert "Final — closed" not in api.get("/admin/").data.decode()
    _closed(connection)
    overview = api.get("/admin/").data.decode()
    assert "<strong>Final — closed 4 Jan 2027</strong>" in overview
    assert "late correction: now reads 7 (score 1.00, done)" in overview
    detail = api.get("/admin/sets/shop/krs/KR1").data.decode()
    assert "late correction: now reads 7 (score 1.00, done)" in detail
