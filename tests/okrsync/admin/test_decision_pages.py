"""The admin overview and KR page show a validation KR's decision due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from flask.testing import FlaskClient

from okrsync.admin.context import admin_context
from okrsync.admin.document import apply_config_text
from okrsync.settings import Settings
from tests.okrsync.admin.conftest import config_text, mirror_issues, recompute
from tests.okrsync.admin.test_pages import sign_in


def test_the_decision_due_is_on_the_overview_and_the_kr_page(
    api: FlaskClient, admin_settings: Settings, connection: redis.Redis
) -> None:
    due = datetime.now(UTC).date() + timedelta(days=5)
    text = config_text().replace(
        "            target: 3\n", f"            target: 3\n            decide_by: {due}\n            kill_below: 2.5\n"
    )
    apply_config_text(admin_context(admin_settings, connection).runtime, text, "tests", source="okrs.yaml")
    mirror_issues(connection)
    report = recompute(connection)
    kr2 = report["okr_sets"][0]["objectives"][0]["key_results"][1]
    assert kr2["decision"] == {"due": due.isoformat(), "kill_below": 2.5, "state": "due"}
    sign_in(api)
    words = f"decide by {due.day} {due:%b %Y}: keep going if ≥ 2.5, else stop (not measured yet)"
    overview = api.get("/admin/").data.decode()
    assert f"Decision: {words}" in overview and "decision_due" in overview
    detail = api.get("/admin/sets/shop/krs/KR2").data.decode()
    assert f'<th>Decision</th><td class="decision">{words}</td>' in detail
    assert "Decision" not in api.get("/admin/sets/shop/krs/KR1").data.decode()
