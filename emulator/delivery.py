"""Webhook delivery on a background thread: signed, retried like Jira Cloud, with delivery faults.

Jira Cloud retries a delivery that failed with 408, 409, 425, 429, a 5xx or a connection error, up to
five times; here the waits come from the ``webhook_retry_delays_s`` knob (seconds, compressed). Each
event delivered to each webhook has its own ``X-Atlassian-Webhook-Identifier``, repeated on retries
together with ``X-Atlassian-Webhook-Retry: N``.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import requests

from emulator.faults import Faults

log = logging.getLogger(__name__)

RETRIABLE = {408, 409, 425, 429}
USER_AGENT = "Atlassian Webhook HTTP Client"
# Jira has several deliveries in flight at once; here up to LANES (the knob webhook_lanes, 1 by default),
# one issue's through one lane, in their order.
LANES = 4


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def should_retry(status: int | None) -> bool:
    """None stands for a connection error or timeout."""
    return status is None or status in RETRIABLE or status >= 500


def delivery_headers(body: bytes, secret: str, identifier: str, retry: int) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Atlassian-Webhook-Identifier": identifier,
    }
    if secret:
        headers["X-Hub-Signature"] = signature(body, secret)
    if retry:
        headers["X-Atlassian-Webhook-Retry"] = str(retry)
    return headers


def lane_of(payload: dict[str, Any], lanes: int = LANES) -> int:
    """The lane of a delivery among ``lanes``: by its issue (a link's by its source issue), so one issue's
    stay in order."""
    issue = payload.get("issue") or {}
    link = payload.get("issueLink") or {}
    about = str(issue.get("id") or link.get("sourceIssueId") or "") if isinstance(issue, dict) else ""
    return zlib.crc32(about.encode()) % max(1, min(LANES, lanes))


@dataclass
class Delivery:
    identifier: str
    webhook_id: str
    url: str
    secret: str
    event: str
    body: bytes
    lane: int = 0  # the delivery thread: every delivery about one issue takes the same one
    attempts: int = 0
    statuses: list[int | None] = field(default_factory=list)
    outcome: str = "pending"  # pending | delivered | failed | dropped

    def summary(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "webhook": self.webhook_id,
            "url": self.url,
            "event": self.event,
            "attempts": self.attempts,
            "statuses": self.statuses,
            "outcome": self.outcome,
        }


class Dispatcher:
    """A scheduler of deliveries: LANES daemon threads, each with a heap of (due time, sequence, delivery)."""

    def __init__(self, faults: Faults, history: int = 500) -> None:
        self.faults = faults
        self._heaps: list[list[tuple[float, int, Delivery, int]]] = [[] for _ in range(LANES)]
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._threads: list[threading.Thread | None] = [None] * LANES
        self._stopping = False
        self._in_flight = 0
        self._published = 0  # deliveries handed to publish() since the start, dropped ones included
        self.recent: deque[Delivery] = deque(maxlen=history)
        self._sessions = [requests.Session() for _ in range(LANES)]

    # -------------------------------------------------------------- producer side

    def publish(self, webhook_id: str, url: str, secret: str, event: str, payload: dict[str, Any]) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        lane = lane_of(payload, self.faults.knobs.webhook_lanes)
        delivery = Delivery(str(uuid.uuid4()), webhook_id, url, secret, event, body, lane=lane)
        with self._condition:
            self._published += 1
        self.recent.append(delivery)
        knobs = self.faults.knobs
        if self.faults.roll(knobs.webhook_drop_fraction):
            delivery.outcome = "dropped"
            self.faults.count_webhook("dropped")
            return delivery
        delay = knobs.webhook_reorder_delay_s if self.faults.roll(knobs.webhook_reorder_fraction) else 0.0
        if delay:
            self.faults.count_webhook("reordered")
        self._schedule(delivery, delay, retry=0)
        if self.faults.roll(knobs.webhook_duplicate_fraction):
            self.faults.count_webhook("duplicated")
            self._schedule(delivery, delay + 0.01, retry=0)
        return delivery

    def _schedule(self, delivery: Delivery, delay: float, retry: int) -> None:
        with self._condition:
            due = (time.monotonic() + delay, next(self._sequence), delivery, retry)
            heapq.heappush(self._heaps[delivery.lane], due)
            self._ensure_thread(delivery.lane)
            self._condition.notify_all()

    def _ensure_thread(self, lane: int) -> None:
        thread = self._threads[lane]
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=self._run, args=(lane,), name=f"emulator-webhooks-{lane}", daemon=True)
            self._threads[lane] = thread
            thread.start()

    def idle(self) -> bool:
        with self._condition:
            return not any(self._heaps) and self._in_flight == 0

    def state(self) -> tuple[bool, int]:
        """(idle, deliveries published so far): read together, so a caller can tell that nothing was
        published between two idle readings."""
        with self._condition:
            return not any(self._heaps) and self._in_flight == 0, self._published

    def wait_idle(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.01)
        return self.idle()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()

    # -------------------------------------------------------------- worker side

    def _run(self, lane: int) -> None:
        while True:
            job = self._next_due(self._heaps[lane])
            if job is None:
                return
            delivery, retry = job
            try:
                self._attempt(delivery, retry)
            except Exception:  # the worker must survive anything one delivery does
                log.exception("webhook delivery %s to %s crashed", delivery.identifier, delivery.url)
            finally:
                with self._condition:
                    self._in_flight -= 1

    def _next_due(self, heap: list[tuple[float, int, Delivery, int]]) -> tuple[Delivery, int] | None:
        with self._condition:
            while not self._stopping:
                if heap and heap[0][0] <= time.monotonic():
                    _, _, delivery, retry = heapq.heappop(heap)
                    self._in_flight += 1
                    return delivery, retry
                wait = heap[0][0] - time.monotonic() if heap else None
                self._condition.wait(timeout=wait)
            return None

    def _attempt(self, delivery: Delivery, retry: int) -> None:
        headers = delivery_headers(delivery.body, delivery.secret, delivery.identifier, retry)
        status = self._post(self._sessions[delivery.lane], delivery.url, delivery.body, headers)
        delivery.attempts += 1
        delivery.statuses.append(status)
        if status is not None and 200 <= status < 300:
            delivery.outcome = "delivered"
            self.faults.count_webhook("delivered")
            return
        delays = self.faults.knobs.webhook_retry_delays_s
        if should_retry(status) and retry < len(delays):
            self.faults.count_webhook("retried")
            self._schedule(delivery, delays[retry], retry + 1)
            return
        delivery.outcome = "failed"
        self.faults.count_webhook("failed")
        log.warning(
            "webhook %s to %s gave up after %d attempts (last status %s)",
            delivery.identifier,
            delivery.url,
            delivery.attempts,
            status,
        )

    def _post(self, session: requests.Session, url: str, body: bytes, headers: dict[str, str]) -> int | None:
        try:
            response = session.post(url, data=body, headers=headers, timeout=self.faults.knobs.webhook_timeout_s)
        except requests.RequestException as exc:
            log.info("webhook to %s failed: %s", url, exc)
            return None
        return response.status_code
