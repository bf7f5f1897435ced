"""POST /webhooks/jira against a real Redis, drained by a real RQ worker."""

from __future__ import annotations

import copy
import json

import pytest

from okrsync.app import create_app
from okrsync.settings import Settings
from sync.mirror import RedisMirror
from sync.queue import STREAM, EventStream
from tests.conftest import SECRET, fixture_paths, load_fixture, post_event, run_worker, signed_headers

ISSUE_BEARING = [p for p in fixture_paths() if json.loads(p.read_text())["webhookEvent"].startswith("jira:issue_")]
LINKS = [p for p in fixture_paths() if json.loads(p.read_text())["webhookEvent"].startswith("issuelink_")]
COMMENTS = [p for p in fixture_paths() if json.loads(p.read_text())["webhookEvent"].startswith("comment_")]


def _issue_event(key: str, updated: str, status: str = "To Do", category: str = "new", **fields):
    payload = copy.deepcopy(load_fixture("webhook-issue-updated-edited.json"))
    payload["issue"]["key"] = key
    payload["issue"]["id"] = "9" + key.split("-")[1]
    payload["issue"]["fields"]["updated"] = updated
    payload["issue"]["fields"]["status"] = {"name": status, "statusCategory": {"key": category}}
    payload["issue"]["fields"].update(fields)
    return payload


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_every_captured_payload_is_answered_2xx(client, connection, path) -> None:
    answer = post_event(client, path.read_bytes(), identifier=path.stem)
    assert answer.status_code in (200, 202), answer.json
    expected = "queued" if path in ISSUE_BEARING or path in LINKS or path in COMMENTS else "ignored"
    assert answer.json["status"] == expected


@pytest.mark.parametrize("path", ISSUE_BEARING, ids=lambda p: p.stem)
def test_issue_bearing_payloads_land_in_the_mirror(client, connection, path) -> None:
    payload = json.loads(path.read_text())
    assert post_event(client, payload, identifier=path.stem).status_code == 202
    run_worker(connection)
    issue, fields = payload["issue"], payload["issue"]["fields"]
    document = RedisMirror(connection).get(issue["key"])
    if payload["webhookEvent"] == "jira:issue_deleted":
        assert document is None
        return
    assert document is not None
    assert document["key"] == issue["key"] and document["id"] == str(issue["id"])
    assert document["statusCategory"] == fields["status"]["statusCategory"]["key"]
    assert document["labels"] == fields.get("labels", [])
    assert document["project"] == fields["project"]["key"]
    if fields.get("updated"):
        assert document["updated"].endswith("Z") and document["created"].endswith("Z")


def test_mirror_document_has_the_fields_jql_needs(client, connection) -> None:
    post_event(client, load_fixture("webhook-cloud-issue-created-many-fields.json"), identifier="d1")
    run_worker(connection)
    document = RedisMirror(connection).get("KT-22")
    assert document["created"] == "2019-08-27T19:43:24.193Z"
    assert document["labels"] == ["Label1", "Label2"]
    assert document["priority"] == "Medium" and document["issuetype"] == "Task"
    assert document["assignee"] == "5cedcb4355a88a0fc86388ba"
    assert document["custom"]["customfield_10014"] == "KT-17"  # the epic link, by field id
    assert document["custom"]["customfield_10071"] == ["value1", "value2"]
    assert document["custom"]["customfield_10073"] == "1"  # a select option flattened to its value
    assert "customfield_10018" not in document["custom"]  # nested junk is not mirrored


def test_duplicate_deliveries_are_processed_once(client, connection) -> None:
    payload = load_fixture("webhook-issue-created.json")
    first = post_event(client, payload, identifier="delivery-1")
    again = post_event(client, payload, identifier="delivery-1")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json["status"] == "duplicate"
    assert connection.xlen(STREAM) == 1
    assert connection.ttl("okrsync:seen:delivery-1") >= 24 * 3600


def test_duplicates_without_identifier_are_recognised_by_body(client, connection) -> None:
    body = json.dumps(load_fixture("webhook-issue-created.json")).encode()
    assert post_event(client, body).status_code == 202
    assert post_event(client, body).status_code == 200
    assert connection.xlen(STREAM) == 1


def test_older_delivery_never_overwrites_newer_state(client, connection) -> None:
    newer = _issue_event("ORD-1", "2026-11-02T10:00:00.000+0000", "Done", "done")
    older = _issue_event("ORD-1", "2026-11-01T10:00:00.000+0000", "In Progress", "indeterminate")
    post_event(client, newer, identifier="n")
    post_event(client, older, identifier="o")
    run_worker(connection)
    assert RedisMirror(connection).get("ORD-1")["statusCategory"] == "done"


def test_newer_delivery_replaces_older_state_across_drains(client, connection) -> None:
    post_event(client, _issue_event("ORD-2", "2026-11-01T10:00:00.000+0000", "In Progress", "indeterminate"), "a")
    run_worker(connection)
    post_event(client, _issue_event("ORD-2", "2026-11-01T10:00:01.000+0100", "Done", "done", labels=["x"]), "b")
    run_worker(connection)  # +0100: one second earlier in UTC than the first, so it must lose
    assert RedisMirror(connection).get("ORD-2")["statusCategory"] == "indeterminate"
    post_event(client, _issue_event("ORD-2", "2026-11-01T10:00:02.000+0000", "Done", "done", labels=["x"]), "c")
    run_worker(connection)
    document = RedisMirror(connection).get("ORD-2")
    assert (document["statusCategory"], document["labels"]) == ("done", ["x"])


def test_delete_removes_the_document_and_a_late_update_cannot_revive_it(client, connection) -> None:
    created = load_fixture("webhook-issue-deleted.json")
    created["webhookEvent"] = "jira:issue_created"
    post_event(client, created, identifier="c")
    run_worker(connection)
    assert RedisMirror(connection).get("IDT-19") is not None
    post_event(client, load_fixture("webhook-issue-deleted.json"), identifier="d")
    post_event(
        client, {**created, "timestamp": (created.get("timestamp") or 0) + 1}, identifier="late-replay"
    )  # another delivery of the older state
    run_worker(connection)
    assert RedisMirror(connection).get("IDT-19") is None
    assert RedisMirror(connection).count() == 0


def _linked_pair(client) -> tuple[dict, dict]:
    """LNK-1 and LNK-2 created, then linked (LNK-1 blocks LNK-2): the first's state and the link event."""
    created = _issue_event("LNK-1", "2026-11-01T10:00:00.000+0000")
    post_event(client, created, "1")
    post_event(client, _issue_event("LNK-2", "2026-11-01T10:00:00.000+0000"), "2")
    link = {
        "timestamp": 1,
        "webhookEvent": "issuelink_created",
        "issueLink": {"id": 77, "sourceIssueId": "91", "destinationIssueId": "92", "issueLinkType": {"name": "Blocks"}},
    }
    post_event(client, link, "3")
    return created, link


def test_issue_links_are_applied_to_both_ends(client, connection) -> None:
    _, link = _linked_pair(client)
    run_worker(connection)
    mirror = RedisMirror(connection)
    assert mirror.get("LNK-1")["links"] == [
        {"id": "77", "type": "Blocks", "direction": "outward", "issue_id": "92", "key": "LNK-2"}
    ]
    assert mirror.get("LNK-2")["links"][0]["direction"] == "inward"
    post_event(client, {**link, "webhookEvent": "issuelink_deleted"}, "4")
    run_worker(connection)
    assert mirror.get("LNK-1")["links"] == [] and mirror.get("LNK-2")["links"] == []


def test_the_link_events_as_jira_sends_them_are_applied_and_undone(client, connection) -> None:
    for key, issue_id in (("LNK-7", "10077"), ("LNK-3", "10031")):
        payload = _issue_event(key, "2026-11-01T10:00:00.000+0000")
        payload["issue"]["id"] = issue_id
        post_event(client, payload, f"created-{key}")
    post_event(client, load_fixture("webhook-cloud-issuelink-created.json"), "link-made")
    run_worker(connection)
    mirror = RedisMirror(connection)
    assert mirror.get("LNK-7")["links"] == [
        {"id": "10422", "type": "Relates", "direction": "outward", "issue_id": "10031", "key": "LNK-3"}
    ]
    assert mirror.get("LNK-3")["links"][0]["direction"] == "inward"
    post_event(client, load_fixture("webhook-cloud-issuelink-deleted.json"), "link-removed")
    run_worker(connection)
    assert mirror.get("LNK-7")["links"] == [] and mirror.get("LNK-3")["links"] == []


def test_a_state_applied_again_after_a_link_does_not_undo_the_link(client, connection) -> None:
    """A drain killed before it acknowledged leaves its deliveries to be taken back later, after link
    events may have patched the same issues: the state comes again with the version it already has."""
    created, _ = _linked_pair(client)
    run_worker(connection)
    post_event(
        client, {**created, "timestamp": (created.get("timestamp") or 0) + 1}, "1-taken-back"
    )  # the same state of LNK-1 once more (another body, not a duplicate)
    run_worker(connection)
    mirror = RedisMirror(connection)
    assert [x["id"] for x in mirror.get("LNK-1")["links"]] == ["77"]
    newer = _issue_event("LNK-1", "2026-11-01T10:00:05.000+0000", "Done", "done")
    post_event(client, newer, "5")  # a newer state is Jira's word on the links too
    run_worker(connection)
    assert mirror.get("LNK-1")["statusCategory"] == "done" and mirror.get("LNK-1")["links"] == []


def test_resync_stores_jira_state_over_a_patched_document_of_the_same_version(connection) -> None:
    mirror = RedisMirror(connection)
    document = {"id": "9", "key": "PAT-9", "links": []}
    assert mirror.upsert(document, 1000)
    assert mirror.set_link("9", "5", {"id": "5", "type": "Relates", "direction": "outward", "issue_id": "8", "key": ""})
    assert not mirror.upsert(document, 1000)  # the same state again: the patch stays
    assert mirror.get("PAT-9")["links"][0]["id"] == "5"
    jira_state = {
        **document,
        "links": [{"id": "5", "type": "Relates", "direction": "outward", "issue_id": "8", "key": "PAT-8"}],
    }
    assert mirror.upsert(jira_state, 1000, over_patches=True)  # resync and reconciliation: Jira's current state
    assert mirror.get("PAT-9")["links"][0]["key"] == "PAT-8"
    assert mirror.upsert(jira_state, 1000)  # no patch since: stored as before


@pytest.mark.parametrize("headers", [{}, {"X-Hub-Signature": "sha256=" + "ab" * 32}])
def test_missing_or_wrong_signature_is_401_and_nothing_is_queued(client, connection, headers) -> None:
    body = json.dumps(load_fixture("webhook-issue-created.json")).encode()
    answer = client.post("/webhooks/jira", data=body, headers=headers)
    assert answer.status_code == 401 and answer.json["error"] == "signature"
    assert connection.xlen(STREAM) == 0


def test_signature_with_another_secret_is_401(client, connection) -> None:
    answer = post_event(client, load_fixture("webhook-issue-created.json"), secret="not-the-secret")
    assert answer.status_code == 401 and connection.xlen(STREAM) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{oops", "malformed JSON at line 1"), (b'{"name": "not jira"}', "webhookEvent"), (b"42", "JSON object")],
)
def test_malformed_and_non_jira_json_is_400_naming_the_problem(client, connection, body, message) -> None:
    answer = post_event(client, body)
    assert answer.status_code == 400
    assert message in answer.json["message"] and answer.json["error"] in ("malformed", "not_jira")
    assert connection.xlen(STREAM) == 0


def test_oversized_body_is_413(settings: Settings, connection) -> None:
    small = Settings(**{**settings.model_dump(), "webhook_secret": SECRET, "max_body_bytes": 1000}, _env_file=None)
    client = create_app(small, connection=connection).test_client()
    body = b'{"webhookEvent": "jira:issue_updated", "pad": "' + b"x" * 2000 + b'"}'
    answer = client.post("/webhooks/jira", data=body, headers=signed_headers(body))
    assert answer.status_code == 413 and "1000-byte limit" in answer.json["message"]
    assert connection.xlen(STREAM) == 0


def test_unreachable_redis_is_503_so_jira_retries(settings: Settings) -> None:
    unreachable = Settings(
        **{**settings.model_dump(), "webhook_secret": SECRET, "redis_url": "redis://127.0.0.1:1/0"}, _env_file=None
    )
    client = create_app(unreachable).test_client()
    answer = post_event(client, load_fixture("webhook-issue-created.json"), identifier="x")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert "okrsync_events_unavailable_total 1.0" in client.get("/metrics").text


def test_unknown_event_types_are_200_and_counted(client, connection) -> None:
    answer = post_event(client, {"webhookEvent": "jira:brand_new_thing", "timestamp": 1})
    assert answer.status_code == 200 and answer.json["status"] == "unknown"
    assert connection.xlen(STREAM) == 0
    metrics = client.get("/metrics").text
    assert 'okrsync_events_unknown_total{event="jira:brand_new_thing"} 1.0' in metrics


def test_metrics_count_every_outcome(client, connection) -> None:
    payload = load_fixture("webhook-issue-created.json")
    post_event(client, payload, "m1")
    post_event(client, payload, "m1")
    post_event(client, {"webhookEvent": "worklog_created", "timestamp": 1}, "m2")  # comments are routed now
    post_event(client, b"{bad")
    client.post("/webhooks/jira", data=b"{}")
    run_worker(connection)
    text = client.get("/metrics").text
    for line in (
        "okrsync_events_received_total 5.0",
        "okrsync_events_queued_total 1.0",
        "okrsync_events_duplicate_total 1.0",
        "okrsync_events_ignored_total 1.0",
        "okrsync_events_applied_total 1.0",
        'okrsync_events_rejected_total{reason="malformed"} 1.0',
        'okrsync_events_rejected_total{reason="signature"} 1.0',
        "okrsync_queue_lag_seconds 0.0",
        "okrsync_mirror_issues 1.0",
    ):
        assert line in text, line


def test_queue_lag_reports_the_oldest_waiting_event(client, connection) -> None:
    post_event(client, load_fixture("webhook-issue-created.json"), "lag")
    backlog = EventStream(connection).backlog(now=10**10)
    assert backlog.waiting == 1 and backlog.lag_seconds > 1000


def test_a_burst_is_drained_by_one_coalesced_job(client, connection) -> None:
    for number in range(50):
        post_event(client, _issue_event(f"BRS-{number}", "2026-11-01T10:00:00.000+0000"), f"b{number}")
    from rq import Queue

    assert Queue("okrsync-test", connection=connection).count == 1
    run_worker(connection)
    assert RedisMirror(connection).count() == 50 and connection.xlen(STREAM) == 0


def test_an_event_that_cannot_be_applied_is_kept_as_a_dead_letter(client, connection, monkeypatch) -> None:
    import sync.handlers

    def explode(document):
        raise ValueError("bad document")

    monkeypatch.setattr(sync.handlers, "issue_document", explode)
    post_event(client, load_fixture("webhook-issue-created.json"), "dl")
    run_worker(connection)
    backlog = EventStream(connection).backlog()
    assert (backlog.dead, backlog.waiting, backlog.pending) == (1, 0, 0)
    assert b"bad document" in connection.xrange("okrsync:events:dead")[0][1][b"error"]


def test_health_endpoints(client) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["redis"] == "ok"


def test_unknown_paths_and_methods_answer_json(client) -> None:
    assert client.get("/nope").json["error"] == "not_found"
    assert client.get("/webhooks/jira").status_code == 405


def test_only_the_admin_pages_open_a_session(settings: Settings, connection) -> None:
    from flask import session
    from flask.sessions import NullSession, SecureCookieSession

    admin = Settings(**{**settings.model_dump(), "webhook_secret": SECRET, "admin_token": "t0ken"}, _env_file=None)
    app = create_app(admin, connection=connection)
    for path in ("/webhooks/jira", "/healthz", "/metrics", "/api/v1/okr-sets"):
        with app.test_request_context(path, headers={"Cookie": "okrsync_admin=forged"}):
            assert isinstance(session._get_current_object(), NullSession), path
    with app.test_request_context("/admin/"):
        assert isinstance(session._get_current_object(), SecureCookieSession)


def test_a_batch_read_in_chunks_comes_whole_and_in_order(connection) -> None:
    from sync.queue import READ_CHUNK

    stream = EventStream(connection)
    stream.ensure_group()
    total = 2 * READ_CHUNK + 20
    for number in range(total):
        stream.push(f"chunk-{number}", b"{}")
    first = stream.read_batch("reader", READ_CHUNK + 20)
    stream.ack([entry.entry_id for entry in first])
    rest = stream.read_batch("reader", 4 * READ_CHUNK)
    assert (len(first), len(rest)) == (READ_CHUNK + 20, READ_CHUNK)
    assert [entry.delivery for entry in first + rest] == [f"chunk-{number}" for number in range(total)]
