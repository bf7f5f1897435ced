"""The admin API, endpoint by endpoint: success, auth failures, invalid bodies with their field path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
import yaml
from flask.testing import FlaskClient
from rq import Queue

from mapping.loader import load_config_text
from okrsync.app import create_app
from okrsync.settings import Settings
from sync.config_store import CONFIG, ConfigStore
from sync.dirty import DIRTY, FLUSH_FLAG
from tests.conftest import QUEUE, SECRET
from tests.okrsync.admin.conftest import ADMIN, READ, mirror_issues, recompute

KR = {"id": "KR9", "title": "Checkout errors from 3% to 1%", "metric": "conversion", "baseline": 3, "target": 1}


def stored_yaml(connection: redis.Redis) -> dict:
    return yaml.safe_load(connection.hget(CONFIG, "text"))


# ---------------------------------------------------------------------------- auth


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWRtaW46eA=="}])
def test_without_a_known_token_the_answer_is_401_with_www_authenticate(api: FlaskClient, headers) -> None:
    answer = api.get("/api/v1/cycles", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.get_json()["error"] == "unauthorized"


def test_read_only_token_reads_but_cannot_write(api: FlaskClient, configured: str) -> None:
    assert api.get("/api/v1/cycles", headers=READ).status_code == 200
    answer = api.delete("/api/v1/cycles/now", headers=READ)
    assert answer.status_code == 403
    assert "OKRSYNC_ADMIN_TOKEN" in answer.get_json()["message"]


def test_without_an_admin_token_configured_the_api_names_the_setting(tmp_path, connection: redis.Redis) -> None:
    settings = Settings(webhook_secret=SECRET, data_dir=tmp_path, queue_name=QUEUE, _env_file=None)
    answer = create_app(settings, connection=connection).test_client().get("/api/v1/status", headers=ADMIN)
    assert answer.status_code == 503
    assert "OKRSYNC_ADMIN_TOKEN" in answer.get_json()["message"]


def test_openapi_document_is_public(api: FlaskClient) -> None:
    document = api.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/metrics/{metric_id}/measurements" in document["paths"]


# ---------------------------------------------------------------------------- bodies


def test_malformed_json_is_400(api: FlaskClient, configured: str) -> None:
    answer = api.post("/api/v1/cycles", data=b"{not json", headers=ADMIN, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"] == "malformed"


def test_a_body_over_the_limit_is_413(admin_settings: Settings, connection: redis.Redis) -> None:
    settings = admin_settings.model_copy(update={"admin_max_body_bytes": 100})
    client = create_app(settings, connection=connection).test_client()
    answer = client.post(
        "/api/v1/cycles", data=b'{"id": "' + b"x" * 200 + b'"}', headers=ADMIN, content_type="application/json"
    )
    assert answer.status_code == 413
    assert "OKRSYNC_ADMIN_MAX_BODY_BYTES" in answer.get_json()["message"]


def test_an_invalid_body_names_the_field(api: FlaskClient, configured: str) -> None:
    answer = api.post(
        "/api/v1/okr-sets/shop/objectives/O1/key-results", headers=ADMIN, json={**KR, "baseline": "three"}
    )
    assert answer.status_code == 422
    assert answer.get_json()["path"] == "baseline"
    assert "a number is required" in answer.get_json()["message"]


def test_a_change_that_breaks_the_document_names_the_document_path(api: FlaskClient, configured: str) -> None:
    answer = api.post(
        "/api/v1/okr-sets/shop/objectives/O1/key-results", headers=ADMIN, json={**KR, "metric": "no_such_metric"}
    )
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "invalid_config"
    assert body["path"] == "okr_sets[0].objectives[0].key_results[3].metric"


def test_deleting_a_cycle_in_use_is_refused_with_the_path(api: FlaskClient, configured: str) -> None:
    api.post("/api/v1/cycles", headers=ADMIN, json={"id": "next", "start": "2027-01-01", "end": "2027-03-31"})
    answer = api.delete("/api/v1/cycles/now", headers=ADMIN)
    assert answer.status_code == 422
    assert answer.get_json()["path"] == "okr_sets[0].cycle"


# ---------------------------------------------------------------------------- configuration parts


def test_cycles_crud(api: FlaskClient, configured: str, connection: redis.Redis) -> None:
    cycle = {"id": "2027-Q1", "start": "2027-01-01", "end": "2027-03-31"}
    created = api.post("/api/v1/cycles", headers=ADMIN, json=cycle)
    assert created.status_code == 201 and created.get_json()["item"] == cycle
    assert api.post("/api/v1/cycles", headers=ADMIN, json=cycle).status_code == 409
    assert api.get("/api/v1/cycles/2027-Q1", headers=READ).get_json() == cycle
    replaced = api.put("/api/v1/cycles/2027-Q1", headers=ADMIN, json={**cycle, "end": "2027-03-30"})
    assert replaced.status_code == 200 and replaced.get_json()["changed"] is True
    assert api.put("/api/v1/cycles/2027-Q1", headers=ADMIN, json={**cycle, "id": "x"}).get_json()["path"] == "id"
    assert api.delete("/api/v1/cycles/2027-Q1", headers=ADMIN).status_code == 200
    assert api.get("/api/v1/cycles/2027-Q1", headers=READ).status_code == 404
    assert [c["id"] for c in api.get("/api/v1/cycles", headers=READ).get_json()["items"]] == ["now"]


def test_a_change_is_stored_with_its_author_and_recomputed(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    connection.delete(DIRTY, FLUSH_FLAG)
    answer = api.put("/api/v1/okr-sets/shop/projects", headers=ADMIN, json={"projects": ["shop", "PAY"]})
    assert answer.status_code == 200
    info = ConfigStore(connection).info()
    assert (info["source"], info["author"]) == ("api", "admin")
    assert stored_yaml(connection)["okr_sets"][0]["projects"] == ["SHOP", "PAY"]
    assert connection.sismember(DIRTY, "*") and connection.exists(FLUSH_FLAG)
    assert api.get("/api/v1/okr-sets/shop/projects", headers=READ).get_json() == {"projects": ["SHOP", "PAY"]}


def test_okr_sets_objectives_and_key_results(api: FlaskClient, configured: str) -> None:
    okr_set = api.get("/api/v1/okr-sets/shop", headers=READ).get_json()
    copy = {**okr_set, "id": "shop-copy", "name": "Shop copy"}
    assert api.post("/api/v1/okr-sets", headers=ADMIN, json=copy).status_code == 201
    objective = {"id": "O2", "title": "Faster pages", "key_results": [KR]}
    assert api.post("/api/v1/okr-sets/shop-copy/objectives", headers=ADMIN, json=objective).status_code == 201
    assert api.get("/api/v1/okr-sets/shop-copy/objectives/O2", headers=READ).get_json()["title"] == "Faster pages"
    kr = api.get("/api/v1/okr-sets/shop-copy/objectives/O2/key-results/KR9", headers=READ).get_json()
    assert kr["target"] == 1
    changed = api.put(
        "/api/v1/okr-sets/shop-copy/objectives/O2/key-results/KR9", headers=ADMIN, json={**KR, "target": 0.5}
    )
    assert changed.get_json()["item"]["target"] == 0.5
    listed = api.get("/api/v1/okr-sets/shop-copy/objectives/O2/key-results", headers=READ).get_json()
    assert [k["id"] for k in listed["items"]] == ["KR9"]
    missing = api.get("/api/v1/okr-sets/nope/objectives", headers=READ)
    assert missing.status_code == 404 and "shop" in missing.get_json()["message"]
    assert api.delete("/api/v1/okr-sets/shop-copy/objectives/O2", headers=ADMIN).status_code == 200
    assert api.delete("/api/v1/okr-sets/shop-copy", headers=ADMIN).status_code == 200
    assert [s["id"] for s in api.get("/api/v1/okr-sets", headers=READ).get_json()["items"]] == ["shop"]


def test_contributors_map_epics_to_a_key_result(api: FlaskClient, configured: str, connection) -> None:
    path = "/api/v1/okr-sets/shop/objectives/O1/key-results/KR1/contributors"
    assert api.put(path, headers=ADMIN, json={"epics": ["SHOP-20"]}).status_code == 200
    kr = stored_yaml(connection)["okr_sets"][0]["objectives"][0]["key_results"][0]
    assert kr["contributors"] == {"epics": ["SHOP-20"]}
    both = api.put(path, headers=ADMIN, json={"epics": ["SHOP-20"], "jql": "project = SHOP"})
    assert both.status_code == 422 and "either" in both.get_json()["message"]
    assert api.delete(path, headers=ADMIN).status_code == 200
    assert "contributors" not in stored_yaml(connection)["okr_sets"][0]["objectives"][0]["key_results"][0]


def test_metrics_crud_records_definition_versions(api: FlaskClient, configured: str) -> None:
    metric = {"id": "nps", "description": "Net promoter score", "source": "push"}
    created = api.post("/api/v1/metrics", headers=ADMIN, json=metric)
    assert created.status_code == 201
    assert created.get_json()["metric_changes"][0]["metric"] == "nps"
    changed = api.put(
        "/api/v1/metrics/escaped_share",
        headers=ADMIN,
        json={
            "source": "jira",
            "aggregate": "ratio",
            "jql": "project = SHOP AND issuetype = Bug",
            "numerator_jql": "project = SHOP AND issuetype = Bug AND labels = escaped",
            "window": "14d",
        },
    )
    assert changed.get_json()["metric_changes"][0]["old"] is not None
    entry = api.get("/api/v1/metrics/escaped_share", headers=READ).get_json()
    assert len(entry["versions"]) == 2 and entry["versions"][-1]["author"] == "admin"
    bad = api.post("/api/v1/metrics", headers=ADMIN, json={"id": "x", "source": "jira"})
    assert bad.status_code == 422 and "jql" in bad.get_json()["message"]
    assert api.delete("/api/v1/metrics/conversion", headers=ADMIN).get_json()["path"].endswith(".metric")
    assert api.delete("/api/v1/metrics/nps", headers=ADMIN).status_code == 200
    assert {m["id"] for m in api.get("/api/v1/metrics", headers=READ).get_json()["items"]} == {
        "escaped_share",
        "conversion",
    }


PROGRAM = {
    "id": "reverse-drive",
    "name": "Platform reverse-drive",
    "sources": [{"id": "retro", "name": "Retrospectives", "jql": "project = SHOP AND labels = retro"}],
    "classify": {"labels": {"system": "problem-system", "mechanism": "problem-mechanism", "people": "problem-people"}},
    "action_points": {"project": "SHOP"},
}


def test_problem_programs_crud(api: FlaskClient, configured: str) -> None:
    assert api.post("/api/v1/problem-programs", headers=ADMIN, json=PROGRAM).status_code == 201
    assert api.get("/api/v1/problem-programs/reverse-drive", headers=READ).get_json()["name"] == PROGRAM["name"]
    bad = api.put("/api/v1/problem-programs/reverse-drive", headers=ADMIN, json={**PROGRAM, "window": "8 weeks"})
    assert bad.status_code == 422 and bad.get_json()["path"] == "window"
    assert api.delete("/api/v1/problem-programs/reverse-drive", headers=ADMIN).status_code == 200
    assert api.get("/api/v1/problem-programs", headers=READ).get_json() == {"items": []}


def test_whole_configuration_round_trips_with_apply_and_export(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    document = api.get("/api/v1/config", headers=READ).get_json()
    assert document["source"] == "okrs.yaml" and document["revision"] == 1
    replaced = api.put("/api/v1/config", headers=ADMIN, json=document["document"])
    assert replaced.status_code == 200
    exported = connection.hget(CONFIG, "text").decode()  # what `okrsync export` prints
    assert load_config_text(exported) == load_config_text(configured)
    bad = api.put("/api/v1/config", headers=ADMIN, json={**document["document"], "cycles": []})
    assert bad.status_code == 422 and bad.get_json()["path"] == "cycles"


def test_first_configuration_can_be_built_through_the_api(api: FlaskClient) -> None:
    assert api.get("/api/v1/config", headers=READ).get_json()["document"] is None
    created = api.post("/api/v1/cycles", headers=ADMIN, json={"id": "Q1", "start": "2027-01-01", "end": "2027-03-31"})
    assert created.status_code == 201 and created.get_json()["revision"] == 1


# ---------------------------------------------------------------------------- measurements


def measurements_url(metric: str = "conversion") -> str:
    return f"/api/v1/metrics/{metric}/measurements"


def test_a_pushed_value_is_stored_marks_its_krs_and_shows_in_the_evaluation(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    recompute(connection)
    answer = api.post(measurements_url(), headers=ADMIN, json={"value": 2.5, "note": "week 47", "source": "dwh"})
    assert answer.status_code == 201
    assert answer.get_json()["marked"] == ["shop/KR2"]
    kr2 = recompute(connection)["okr_sets"][0]["objectives"][0]["key_results"][1]
    assert (kr2["current"], kr2["score"]) == (2.5, 0.5)
    listed = api.get(measurements_url(), headers=READ).get_json()["items"]
    assert listed[-1]["note"] == "week 47"


def test_a_retry_with_the_same_key_stores_nothing_new(api: FlaskClient, configured: str) -> None:
    first = api.post(measurements_url(), headers={**ADMIN, "Idempotency-Key": "run-42"}, json={"value": 2.1})
    again = api.post(measurements_url(), json={"value": 2.1, "idempotency_key": "run-42"}, headers=ADMIN)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["replayed"] is True and again.get_json()["at"] == first.get_json()["at"]
    assert len(api.get(measurements_url(), headers=READ).get_json()["items"]) == 1
    other = api.post(measurements_url(), headers={**ADMIN, "Idempotency-Key": "run-42"}, json={"value": 9})
    assert other.status_code == 409 and other.get_json()["path"] == "idempotency_key"


@pytest.mark.parametrize(
    "body, path",
    [
        ({"value": "2.5"}, "value"),
        ({"value": True}, "value"),
        ({}, "value"),
        ({"value": 1, "extra": 1}, "extra"),
        ({"value": 1, "at": "2026-11-20T09:00:00"}, "at"),
        ({"value": 1, "at": "yesterday"}, "at"),
    ],
)
def test_invalid_measurements_are_refused_with_the_field(api: FlaskClient, configured: str, body, path) -> None:
    answer = api.post(measurements_url(), headers=ADMIN, json=body)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["path"] == path


def test_non_finite_numbers_are_refused(api: FlaskClient, configured: str) -> None:
    answer = api.post(measurements_url(), headers=ADMIN, data=b'{"value": NaN}', content_type="application/json")
    assert answer.status_code == 400


def test_a_time_in_the_future_beyond_the_skew_is_refused(api: FlaskClient, configured: str) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert api.post(measurements_url(), headers=ADMIN, json={"value": 1, "at": soon}).status_code == 201
    answer = api.post(measurements_url(), headers=ADMIN, json={"value": 1, "at": later})
    assert answer.status_code == 422 and "future" in answer.get_json()["message"]


def test_unknown_and_non_push_metrics_are_refused(api: FlaskClient, configured: str) -> None:
    unknown = api.post(measurements_url("nope"), headers=ADMIN, json={"value": 1})
    assert unknown.status_code == 404 and "conversion" in unknown.get_json()["message"]
    jira = api.post(measurements_url("escaped_share"), headers=ADMIN, json={"value": 1})
    assert jira.status_code == 409 and jira.get_json()["error"] == "not_a_push_metric"


# ---------------------------------------------------------------------------- operations


def test_status_reports_per_mapping_and_per_page(api: FlaskClient, configured: str, connection: redis.Redis) -> None:
    mirror_issues(connection)
    connection.hset("okrsync:written", "property:SHOP-20", "digest")
    connection.hset(
        "okrsync:stats:calls", mapping={"jira|search|ok": 5, "jira|search|429": 2, "confluence|update|5xx": 1}
    )
    connection.hset(
        "okrsync:pages:state:set:shop", mapping={"page_id": "42", "written_at": 1795000000.0, "failed_at": 0}
    )
    connection.set(
        "okrsync:reconcile:last",
        '{"at": "2026-11-21T10:00:00+00:00", "seen": 9, "drift": 2, "drifted": ["SHOP-3", "OPS-1"], "seconds": 0.2}',
    )
    status = api.get("/api/v1/status", headers=READ).get_json()
    mapping = status["mappings"][0]
    assert mapping["okr_set"] == "shop" and mapping["last_event"]["mirrored_issues"] == 12
    assert mapping["last_event"]["issue"] == "SHOP-1"
    assert mapping["write_backs"] == {"targets": 1, "issues": ["SHOP-20"]}
    assert mapping["last_reconciliation"]["drifted"] == ["SHOP-3"]
    page = mapping["pages"][0]
    assert (page["title"], page["written"], page["pending"]) == ("Shop OKRs", True, False)
    assert page["written_at"].startswith("2026-11-18") and page["failed_at"] is None
    jira = next(c for c in status["calls"] if c["system"] == "jira")
    assert (jira["calls"], jira["rate_limited"], jira["retries"]) == (7, 2, 2)
    assert status["evaluated_at"] is None


def test_resync_enqueues_a_job(api: FlaskClient, configured: str, connection: redis.Redis) -> None:
    answer = api.post("/api/v1/resync", headers=ADMIN, json={"full": True})
    assert answer.status_code == 202
    job = Queue(QUEUE, connection=connection).fetch_job(answer.get_json()["job_id"])
    assert job is not None and job.kwargs == {"full": True}
    assert api.post("/api/v1/resync", headers=ADMIN).status_code == 202
    assert api.post("/api/v1/resync", headers=ADMIN, json={"full": "yes"}).get_json()["path"] == "full"
    assert api.post("/api/v1/resync", headers=READ).status_code == 403
