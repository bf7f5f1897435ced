"""`POST /api/v1/okr-sets/{set}/key-results/{kr}/rescope`: a KR's current contributors recorded as its
scope on purpose, with reason and author; precise 4xx answers for bad requests."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

from tests.okrsync.admin.conftest import ADMIN, READ, mirror_issues, recompute
from tests.okrsync.admin.test_pages import sign_in

RESCOPE = "/api/v1/okr-sets/shop/key-results/KR1/rescope"


def test_a_rescope_records_the_current_contributors_with_reason_and_author(api: FlaskClient, configured, connection):
    mirror_issues(connection)
    answer = api.post(RESCOPE, json={"reason": "payments moved to next quarter"}, headers=ADMIN)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["epics"] == {"SHOP-20": True, "SHOP-21": False}
    assert (body["reason"], body["author"]) == ("payments moved to next quarter", "admin")
    stored = json.loads(connection.hget("okrsync:scopes", "shop/KR1@now"))
    assert stored["rescoped"]["reason"] == "payments moved to next quarter"

    report = recompute(connection)
    kr = next(kr for o in report["okr_sets"][0]["objectives"] for kr in o["key_results"] if kr["id"] == "KR1")
    assert kr["delivery"] == 0.5
    assert kr["scope"]["rescoped"]["author"] == "admin" and kr["scope"]["total"] == 2
    sign_in(api)
    detail = api.get("/admin/sets/shop/krs/KR1").data.decode()
    assert "scope: 2 epics as rescoped on " in detail and "by admin: payments moved to next quarter" in detail


def test_bad_rescopes_get_precise_answers(api: FlaskClient, configured, connection) -> None:
    mirror_issues(connection)
    reason = {"reason": "why"}
    assert api.post(RESCOPE, json=reason).status_code == 401
    assert api.post(RESCOPE, json=reason, headers=READ).status_code == 403
    unknown_set = api.post("/api/v1/okr-sets/nope/key-results/KR1/rescope", json=reason, headers=ADMIN)
    assert (unknown_set.status_code, unknown_set.get_json()["error"]) == (404, "not_found")
    assert "nope" in unknown_set.get_json()["message"]
    unknown_kr = api.post("/api/v1/okr-sets/shop/key-results/KR9/rescope", json=reason, headers=ADMIN)
    assert unknown_kr.status_code == 404 and "KR9" in unknown_kr.get_json()["message"]
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        missing = api.post(RESCOPE, json=body, headers=ADMIN)
        assert missing.status_code == 422, body
        assert missing.get_json()["path"] == "reason"
    no_epics = api.post("/api/v1/okr-sets/shop/key-results/KR2/rescope", json=reason, headers=ADMIN)
    assert no_epics.status_code == 409 and "no contributing epics" in no_epics.get_json()["message"]
    assert connection.hlen("okrsync:scopes") == 0


def test_the_rescope_operation_is_in_the_openapi_document(api: FlaskClient) -> None:
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    operation = paths["/api/v1/okr-sets/{set_id}/key-results/{kr_id}/rescope"]["post"]
    assert "201" in operation["responses"]
    assert "reason" in json.dumps(operation)
