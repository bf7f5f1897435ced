"""Bodies over OKRSYNC_MAX_BODY_BYTES against the real server (`okrsync serve`): the client reads a
413, whether it sends the body chunked or writes all of it before reading (Python's urllib)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import serving
from webhooks.body import DISCARD_FACTOR
from webhooks.events import SIGNATURE_HEADER, sign

pytestmark = pytest.mark.blackbox

SECRET = "limits-secret"
LIMIT = 2_000_000


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[int]:
    with serving(tmp_path, SECRET, {"OKRSYNC_MAX_BODY_BYTES": str(LIMIT)}, ("--workers", "1")) as port:
        yield port


def _padded(size: int) -> bytes:
    head, tail = b'{"webhookEvent": "jira:brand_new_thing", "timestamp": 1, "pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def _urllib_post(port: int, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/jira",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, SECRET.encode())},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_client_that_writes_a_body_over_the_limit_before_reading_gets_the_413(served: int) -> None:
    status, answer = _urllib_post(served, _padded(DISCARD_FACTOR * LIMIT - LIMIT // 4))  # 7.5 MB
    assert status == 413 and answer["error"] == "too_large"
    assert f"{LIMIT}-byte limit" in answer["message"]
    assert _urllib_post(served, _padded(1000))[0] == 200  # the server is fine afterwards


def test_a_chunked_body_over_the_limit_is_413(served: int) -> None:
    body = _padded(LIMIT + 10)
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    connection.request(
        "POST",
        "/webhooks/jira",
        body=chunks,
        encode_chunked=True,
        headers={
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            SIGNATURE_HEADER: sign(body, SECRET.encode()),
        },
    )
    answer = connection.getresponse()
    assert answer.status == 413, answer.read()
    assert json.loads(answer.read())["error"] == "too_large"


def test_a_body_far_over_the_limit_is_refused_without_reading_it(served: int) -> None:
    body = _padded(LIMIT)
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    connection.putrequest("POST", "/webhooks/jira")
    connection.putheader("Content-Length", str(DISCARD_FACTOR * LIMIT + 1))
    connection.putheader("Expect", "100-continue")  # as curl asks before a large upload
    connection.putheader(SIGNATURE_HEADER, sign(body, SECRET.encode()))
    connection.endheaders()  # the body is never sent: the answer comes without it
    answer = connection.getresponse()
    assert answer.status == 413 and answer.getheader("Connection") == "close"
    assert "not read" in json.loads(answer.read())["message"]
