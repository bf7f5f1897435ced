"""Hardening of POST /webhooks/jira: replays under a new delivery id, chunked bodies over the limit."""

from __future__ import annotations

import copy
import io
import json

from okrsync.app import create_app
from okrsync.settings import Settings
from sync.mirror import RedisMirror
from sync.queue import STREAM, EventStream
from sync.scheduling import enqueue_drain
from tests.conftest import QUEUE, SECRET, load_fixture, post_event, run_worker, signed_headers
from webhooks.body import DISCARD_FACTOR


def _issue(key: str, issue_id: str) -> dict:
    payload = copy.deepcopy(load_fixture("webhook-issue-updated-edited.json"))
    payload["issue"]["key"], payload["issue"]["id"] = key, issue_id
    payload["issue"]["fields"]["updated"] = "2026-11-01T10:00:00.000+0000"
    return payload


def _link_event(kind: str, timestamp: int) -> dict:
    return {
        "timestamp": timestamp,
        "webhookEvent": kind,
        "issueLink": {"id": 77, "sourceIssueId": "91", "destinationIssueId": "92", "issueLinkType": {"name": "Blocks"}},
    }


def test_the_same_body_under_a_new_delivery_id_is_a_duplicate(client, connection) -> None:
    body = json.dumps(load_fixture("webhook-issue-created.json")).encode()
    first = post_event(client, body, identifier="captured-1")
    replay = post_event(client, body, identifier="replayed-under-a-new-id")
    assert (first.status_code, replay.status_code) == (202, 200)
    assert replay.json["status"] == "duplicate"
    assert connection.xlen(STREAM) == 1
    assert "okrsync_events_duplicate_total 1.0" in client.get("/metrics").text


def test_a_body_seen_without_an_id_and_then_with_one_is_a_duplicate(client, connection) -> None:
    body = json.dumps(load_fixture("webhook-issue-created.json")).encode()
    assert post_event(client, body).status_code == 202
    assert post_event(client, body, identifier="now-with-an-id").json["status"] == "duplicate"
    assert connection.xlen(STREAM) == 1


def test_a_replayed_link_deletion_does_not_remove_a_link_jira_still_has(client, connection) -> None:
    post_event(client, _issue("LNK-1", "91"), "issue-1")
    post_event(client, _issue("LNK-2", "92"), "issue-2")
    deleted = json.dumps(_link_event("issuelink_deleted", 2)).encode()
    for number, body in enumerate(
        [
            json.dumps(_link_event("issuelink_created", 1)).encode(),
            deleted,
            json.dumps(_link_event("issuelink_created", 3)).encode(),
        ]
    ):
        assert post_event(client, body, f"link-{number}").status_code == 202
    run_worker(connection)
    assert [link["id"] for link in RedisMirror(connection).get("LNK-1")["links"]] == ["77"]
    replay = post_event(client, deleted, "captured-and-replayed")  # signed by Jira, so it verifies
    assert replay.status_code == 200 and replay.json["status"] == "duplicate"
    run_worker(connection)
    assert [link["id"] for link in RedisMirror(connection).get("LNK-1")["links"]] == ["77"]


def test_distinct_bodies_under_new_ids_are_all_queued(client, connection) -> None:
    answers = [post_event(client, _issue(f"DST-{n}", str(500 + n)), f"distinct-{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert connection.xlen(STREAM) == 3


def test_a_state_taken_back_from_the_stream_after_a_link_keeps_the_link(client, connection) -> None:
    """A drain killed before it acknowledged applies its entries again after link events: the stream
    holds them under their delivery ids (no webhook is involved, so no body digest stops them)."""
    created = json.dumps(_issue("LNK-1", "91")).encode()
    post_event(client, created, "1")
    post_event(client, _issue("LNK-2", "92"), "2")
    post_event(client, _link_event("issuelink_created", 1), "3")
    run_worker(connection)
    EventStream(connection).push("1-taken-back", created)
    enqueue_drain(connection, QUEUE)
    run_worker(connection)
    assert [link["id"] for link in RedisMirror(connection).get("LNK-1")["links"]] == ["77"]


def _small_limit_client(settings: Settings, connection, limit: int):
    small = Settings(**{**settings.model_dump(), "webhook_secret": SECRET, "max_body_bytes": limit}, _env_file=None)
    return create_app(small, connection=connection).test_client()


def _chunked(client, body: bytes):
    """As a server hands over a chunked body: no Content-Length, a stream the server ends."""
    headers = signed_headers(body)
    return client.post(
        "/webhooks/jira",
        input_stream=io.BytesIO(body),
        headers=headers,
        environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    )


def _padded(size: int) -> bytes:
    head, tail = b'{"webhookEvent": "jira:brand_new_thing", "timestamp": 1, "pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_chunked_body_over_the_limit_is_413_not_a_failed_signature(settings: Settings, connection) -> None:
    answer = _chunked(_small_limit_client(settings, connection, 1000), _padded(1001))
    assert answer.status_code == 413 and answer.json["error"] == "too_large"
    assert "1000-byte limit" in answer.json["message"] and "OKRSYNC_MAX_BODY_BYTES" in answer.json["message"]
    assert answer.headers["Connection"] == "close"
    assert connection.xlen(STREAM) == 0


def test_a_chunked_body_of_exactly_the_limit_is_accepted(settings: Settings, connection) -> None:
    answer = _chunked(_small_limit_client(settings, connection, 1000), _padded(1000))
    assert answer.status_code == 200 and answer.json["status"] == "unknown"


def test_a_declared_body_over_the_limit_is_read_to_its_end_then_413(settings: Settings, connection) -> None:
    body = _padded(3000)
    stream = io.BytesIO(body)
    client = _small_limit_client(settings, connection, 1000)
    answer = client.post("/webhooks/jira", input_stream=stream, content_length=len(body), headers=signed_headers(body))
    assert answer.status_code == 413 and answer.headers["Connection"] == "close"
    assert stream.tell() == len(body)  # read (and dropped) to its end: the client can read the answer


def test_a_body_far_over_the_limit_is_not_read(settings: Settings, connection) -> None:
    body = _padded(1000 * DISCARD_FACTOR + 1)
    stream = io.BytesIO(body)
    client = _small_limit_client(settings, connection, 1000)
    answer = client.post("/webhooks/jira", input_stream=stream, content_length=len(body), headers=signed_headers(body))
    assert answer.status_code == 413 and "not read" in answer.json["message"]
    assert stream.tell() == 0
