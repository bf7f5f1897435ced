"""POST /webhooks/jira answered ahead of Flask (webhooks/front.py) exactly as the Flask view answers it,
and the push's own connections (sync/queue.py PushConnections) through a Redis that forgot the
script or dropped the connection."""

from __future__ import annotations

import json

import pytest

from okrsync.app import create_app
from sync.queue import STREAM, EventStream
from tests.conftest import load_fixture, signed_headers
from webhooks.front import WebhookFront
from webhooks.ingest import Stored

CREATED = json.dumps(load_fixture("webhook-issue-created.json")).encode()

# (body, headers): queued, refused for its signature, malformed, unknown with an escape orjson cannot write
REQUESTS = [
    (CREATED, signed_headers(CREATED, "front-1")),
    (CREATED, {**signed_headers(CREATED, "front-2"), "X-Hub-Signature": "sha256=" + "0" * 64}),
    (b"{not json", signed_headers(b"{not json", "front-3")),
    (b'{"webhookEvent": "x_\\ud800"}', signed_headers(b'{"webhookEvent": "x_\\ud800"}', "front-4")),
]


def _answers(client, connection, headers_seen: list[dict[str, str]]) -> list[tuple[int, object, str]]:
    answers = []
    for body, headers in REQUESTS:
        connection.delete(*connection.keys("okrsync:seen:*") or ["-"])
        answer = client.post("/webhooks/jira", data=body, headers=headers)
        headers_seen.append({k: v for k, v in answer.headers.items() if k != "Content-Length"})
        answers.append((answer.status_code, json.loads(answer.data), answer.data.decode()[-1]))
    return answers


def test_the_front_answers_as_the_flask_view(settings, connection) -> None:
    app = create_app(settings, connection=connection)
    assert isinstance(app.wsgi_app, WebhookFront)
    front_headers: list[dict[str, str]] = []
    through_front = _answers(app.test_client(), connection, front_headers)
    app.wsgi_app = app.wsgi_app.app  # type: ignore[method-assign]  # the Flask app alone
    view_headers: list[dict[str, str]] = []
    through_view = _answers(app.test_client(), connection, view_headers)
    assert through_front == through_view
    assert [status for status, _, _ in through_front] == [202, 401, 400, 200]
    assert front_headers == view_headers
    assert all(h["Content-Type"] == "application/json" and h["X-Frame-Options"] == "DENY" for h in front_headers)
    assert connection.xlen(STREAM) == 2  # the one queued delivery, once through each


def test_other_methods_and_paths_go_on_to_the_app(client) -> None:
    assert client.get("/webhooks/jira").status_code == 405
    assert client.post("/webhooks/jira/", data=CREATED, headers=signed_headers(CREATED)).status_code == 404


def test_an_unexpected_error_is_a_json_500(client, monkeypatch: pytest.MonkeyPatch) -> None:
    import webhooks.front

    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(webhooks.front, "read_body", explode)
    answer = client.post("/webhooks/jira", data=CREATED, headers=signed_headers(CREATED, "front-500"))
    assert answer.status_code == 500 and answer.json["error"] == "internal"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_redis_that_forgot_the_script_gets_it_again(connection) -> None:
    stream = EventStream(connection)
    assert stream.push("before", b"{}") is Stored.QUEUED_NEEDS_DRAIN
    connection.script_flush()  # as after a restart: the server's script cache is empty
    assert stream.push("after", b"{1}") is Stored.QUEUED
    assert stream.push("after", b"{1}") is Stored.DUPLICATE
    assert connection.xlen(STREAM) == 2


def test_a_dropped_push_connection_connects_again(connection) -> None:
    stream = EventStream(connection)
    stream.push("first", b"{}")
    killed = connection.client_kill_filter(_type="normal", skipme=True)  # every connection but this one
    assert killed >= 1
    assert stream.push("second", b"{2}") is Stored.QUEUED
    assert [entry[1][b"id"] for entry in connection.xrange(STREAM)] == [b"first", b"second"]


def test_event_streams_of_one_client_share_the_push_connections(connection) -> None:
    before = len(connection.client_list())
    for number in range(20):
        EventStream(connection).push(f"shared-{number}", str(number).encode())
    assert len(connection.client_list()) <= before + 1
