"""`POST` / `GET /api/v1/okr-sets/{set}/key-results/{kr}/checkins` and the check-in form of the admin KR
page: 201 and newest first, precise 422s and 404s, nothing stored half, the KR recomputed."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.okrsync.admin.conftest import ADMIN, READ, recompute
from tests.okrsync.admin.test_pages import csrf_of, sign_in

CHECKINS = "/api/v1/okr-sets/shop/key-results/KR2/checkins"
PREFIX = "okrsync:people-checkins:"


def _stored(connection) -> int:
    return sum(connection.zcard(key) for key in connection.scan_iter(f"{PREFIX}*"))


def test_a_check_in_is_created_listed_newest_first_and_reaches_the_report(api: FlaskClient, configured, connection):
    first = api.post(CHECKINS, json={"confidence": "low", "note": "vendor late"}, headers=ADMIN)
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["confidence"], first.get_json()["source"]) == (0.3, "api")
    second = api.post(
        CHECKINS,
        json={"confidence": 0.8, "blockers": "QA env", "asks": "one QA person", "author": "Mia"},
        headers=ADMIN,
    )
    assert second.status_code == 201 and second.get_json()["author"] == "Mia"
    listed = api.get(CHECKINS, headers=READ)
    assert listed.status_code == 200
    assert [c["confidence"] for c in listed.get_json()["checkins"]] == [0.8, 0.3]
    report = recompute(connection)
    kr = next(kr for o in report["okr_sets"][0]["objectives"] for kr in o["key_results"] if kr["id"] == "KR2")
    assert kr["checkin"]["asks"] == "one QA person" and "no_checkin" not in kr["flags"]
    other = next(kr for o in report["okr_sets"][0]["objectives"] for kr in o["key_results"] if kr["id"] == "KR1")
    assert "no_checkin" in other["flags"]  # the cycle began 30 days ago, and nobody checked in on KR1


def test_bad_check_ins_get_precise_answers_and_store_nothing(api: FlaskClient, configured, connection) -> None:
    too_sure = api.post(CHECKINS, json={"confidence": 1.5}, headers=ADMIN)
    assert too_sure.status_code == 422
    assert too_sure.get_json()["message"] == "confidence: must be a number from 0 to 1 or low/medium/high (got 1.5)"
    assert too_sure.get_json()["path"] == "confidence"
    long_note = api.post(CHECKINS, json={"confidence": 0.5, "note": "x" * 100_000}, headers=ADMIN)
    assert long_note.status_code == 422
    assert long_note.get_json()["message"] == "note: is 100,000 characters long; at most 2,000 are kept"
    for body, path in (({}, "confidence"), ({"confidence": "sure"}, "confidence"), ({"confidence": 0.5, "x": 1}, "x")):
        answer = api.post(CHECKINS, json=body, headers=ADMIN)
        assert (answer.status_code, answer.get_json()["path"]) == (422, path), body
    both = api.post(CHECKINS, json={"confidence": 2, "asks": ["a"]}, headers=ADMIN)
    assert [p["path"] for p in both.get_json()["problems"]] == ["confidence", "asks"]
    assert api.post(CHECKINS, data=b"[1]", headers={**ADMIN, "Content-Type": "application/json"}).status_code == 422
    unknown_kr = api.post("/api/v1/okr-sets/shop/key-results/KR9/checkins", json={"confidence": 0.5}, headers=ADMIN)
    assert unknown_kr.status_code == 404 and "'KR9'" in unknown_kr.get_json()["message"]
    unknown_set = api.get("/api/v1/okr-sets/nope/key-results/KR2/checkins", headers=ADMIN)
    assert unknown_set.status_code == 404 and "'nope'" in unknown_set.get_json()["message"]
    assert api.post(CHECKINS, json={"confidence": 0.5}, headers=READ).status_code == 403
    assert api.post(CHECKINS, json={"confidence": 0.5}).status_code == 401
    assert _stored(connection) == 0


def test_the_check_in_operations_are_in_the_openapi_document(api: FlaskClient) -> None:
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    operations = paths["/api/v1/okr-sets/{set_id}/key-results/{kr_id}/checkins"]
    assert "201" in operations["post"]["responses"] and "422" in operations["post"]["responses"]
    assert "200" in operations["get"]["responses"]


def test_the_admin_kr_page_form_checks_in_and_shows_recent_check_ins(api: FlaskClient, configured, connection):
    sign_in(api)
    page = api.get("/admin/sets/shop/krs/KR2")
    assert page.status_code == 200 and b"Check in" in page.data
    form = {"confidence": "0.7", "note": "on its way", "blockers": "", "asks": "a review", "author": "Mia"}
    refused = api.post("/admin/sets/shop/krs/KR2/checkins", data={**form, "csrf_token": "forged"})
    assert refused.status_code == 400 and _stored(connection) == 0
    bad = api.post(
        "/admin/sets/shop/krs/KR2/checkins", data={**form, "confidence": "1.5", "csrf_token": csrf_of(page.data)}
    )
    assert bad.status_code == 422 and b"must be a number from 0 to 1 or low/medium/high" in bad.data
    assert _stored(connection) == 0
    done = api.post("/admin/sets/shop/krs/KR2/checkins", data={**form, "csrf_token": csrf_of(page.data)})
    assert done.status_code == 302
    recompute(connection)
    detail = api.get("/admin/sets/shop/krs/KR2").data.decode()
    assert "on its way" in detail and "Mia" in detail and "today" in detail
    overview = api.get("/admin/").data.decode()
    assert "Check-in today by Mia: confidence 0.7 (medium) · on its way" in overview  # its age and author
    listed = api.get(CHECKINS, headers=READ).get_json()["checkins"]
    assert [(c["source"], c["asks"]) for c in listed] == [("admin", "a review")]
    health = api.get("/admin/health").data.decode()
    assert "/checkin comments" in health and "0 malformed (ignored)" in health
