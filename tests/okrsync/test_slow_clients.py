"""Slow clients must not take the webhook port offline.

`okrsync serve` runs as a process on a loopback port, as in production (2 workers). Sixteen
connections send a partial request one byte per second (a slow-header attack, or a bad network in
front of a proxy that does not buffer); meanwhile signed webhooks must each be answered 202 within
2 s. Everything is bounded: the slow clients stop after at most ``ATTACK_SECONDS``, the test waits
on conditions with deadlines.
"""

from __future__ import annotations

import copy
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from okrsync import gunicorn_conf
from tests.conftest import load_fixture
from tests.serving import serving
from tests.support.waiting import wait_until
from webhooks.events import IDENTIFIER_HEADER, SIGNATURE_HEADER, sign

pytestmark = pytest.mark.blackbox

SECRET = "slow-client-secret"
SLOW_CONNECTIONS = 16
ATTACK_SECONDS = 12.0
TRICKLE_SECONDS = 1.0  # between two bytes of every slow connection
ANSWER_WITHIN_SECONDS = 2.0
WEBHOOKS = 3
SLOW_REQUEST = (
    b"POST /webhooks/jira HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"X-Atlassian-Webhook-Identifier: slow\r\nContent-Length: 100\r\n\r\n" + b"{" * 100
)
SLOW_BODY_HEADERS = (
    b"POST /webhooks/jira HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
)


class SlowClients:
    """Connections that each send ``prefix`` at once, then one byte of ``trickle`` per second, until stopped."""

    def __init__(self, port: int, count: int, prefix: bytes, trickle: bytes) -> None:
        self.port, self.count, self.prefix, self.trickle = port, count, prefix, trickle
        self.sockets: list[socket.socket] = []
        self.ticks = 0  # how many times every connection has been sent a byte
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowClients:
        for _ in range(self.count):
            connection = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            if self.prefix:
                connection.sendall(self.prefix)
            self.sockets.append(connection)
        self._thread.start()
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + ATTACK_SECONDS
        for offset in range(len(self.trickle)):
            if self._stop.is_set() or time.monotonic() > deadline:
                return
            for connection in self.sockets:
                try:
                    connection.sendall(self.trickle[offset : offset + 1])
                except OSError:
                    pass  # the server closed it (a read timeout): that is allowed
            self.ticks += 1
            self._stop.wait(TRICKLE_SECONDS)  # the behaviour under test: one byte a second

    def wait_ticks(self, ticks: int, seconds: float = 5.0) -> None:
        try:
            wait_until(lambda: self.ticks >= ticks, seconds, f"the slow clients to send {ticks} bytes each")
        except AssertionError:
            raise AssertionError(f"the slow clients sent {self.ticks} bytes each, not {ticks}") from None

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self.sockets:
            connection.close()


def _signed_delivery(number: int) -> tuple[bytes, dict[str, str]]:
    payload = copy.deepcopy(load_fixture("webhook-issue-created.json"))
    payload["issue"]["key"] = f"SLOW-{number}"
    payload["issue"]["id"] = str(70000 + number)
    body = json.dumps(payload).encode()
    return body, {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, SECRET.encode()),
        IDENTIFIER_HEADER: f"slow-client-{number}",
    }


def _post_within(port: int, number: int, seconds: float) -> tuple[int, float]:
    """Status and seconds taken of one signed delivery on a fresh connection; 0 when not answered in time."""
    body, headers = _signed_delivery(number)
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
    try:
        connection.request("POST", "/webhooks/jira", body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status, time.monotonic() - started
    except OSError:
        return 0, time.monotonic() - started
    finally:
        connection.close()


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[int]:
    """`okrsync serve` with its defaults (2 workers) on a free loopback port: the port."""
    with serving(tmp_path, SECRET) as port:
        yield port


def _deliveries_during(slow: SlowClients, port: int, first: int) -> list[tuple[int, float]]:
    slow.wait_ticks(2)  # every slow connection has been read from by now and is mid-request
    answers = [_post_within(port, first + number, ANSWER_WITHIN_SECONDS) for number in range(WEBHOOKS)]
    print(
        f"{slow.count} slow connections, {slow.ticks} byte(s) each so far; signed webhooks meanwhile: "
        + ", ".join(f"{status} in {seconds * 1000:.0f} ms" for status, seconds in answers)
    )
    return answers


def test_signed_webhooks_are_answered_while_slow_clients_send_headers(served: int) -> None:
    started = time.monotonic()
    with SlowClients(served, SLOW_CONNECTIONS, b"P", SLOW_REQUEST[1:]) as slow:
        answers = _deliveries_during(slow, served, first=0)
    assert [status for status, _ in answers] == [202] * WEBHOOKS, answers
    assert all(seconds < ANSWER_WITHIN_SECONDS for _, seconds in answers), answers
    assert time.monotonic() - started < 15


def test_signed_webhooks_are_answered_while_slow_clients_send_bodies(served: int) -> None:
    started = time.monotonic()
    with SlowClients(served, SLOW_CONNECTIONS, SLOW_BODY_HEADERS, b"{" * 100) as slow:
        answers = _deliveries_during(slow, served, first=100)
    assert [status for status, _ in answers] == [202] * WEBHOOKS, answers
    assert all(seconds < ANSWER_WITHIN_SECONDS for _, seconds in answers), answers
    assert time.monotonic() - started < 15


def _closed_or_answered_within(connection: socket.socket, seconds: float) -> tuple[bytes, float]:
    """What the server sent before closing the connection, and when it closed; fails past ``seconds``."""
    started = time.monotonic()
    connection.settimeout(seconds)
    received = b""
    try:
        while part := connection.recv(4096):
            received += part
    except TimeoutError:
        raise AssertionError(f"the server kept the connection open over {seconds:g} s") from None
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def _timeout_answer(received: bytes) -> dict:
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and b"Connection: close" in head, received
    return json.loads(body)


def test_headers_that_never_end_are_answered_408_after_the_header_deadline(served: int) -> None:
    with SlowClients(served, 1, b"P", SLOW_REQUEST[1:]) as slow:
        received, seconds = _closed_or_answered_within(slow.sockets[0], gunicorn_conf.HEADER_SECONDS + 2)
    assert _timeout_answer(received)["error"] == "timeout"
    assert gunicorn_conf.HEADER_SECONDS - 1 <= seconds <= gunicorn_conf.HEADER_SECONDS + 2


def test_a_body_that_stalls_is_answered_408_after_the_body_deadline(served: int) -> None:
    with SlowClients(served, 1, SLOW_BODY_HEADERS + b'{"webhookEvent"', b"") as slow:
        received, seconds = _closed_or_answered_within(slow.sockets[0], gunicorn_conf.BODY_SECONDS + 2)
    assert _timeout_answer(received)["error"] == "timeout"
    assert gunicorn_conf.BODY_SECONDS - 1 <= seconds <= gunicorn_conf.BODY_SECONDS + 2
