"""verify → route → enqueue → answer. The only I/O is the one Redis call that stores the event."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

from okrsync.stats import REJECT_PREFIX, LocalCounts, count
from sync.queue import EventStream, PushResult
from webhooks import events
from webhooks.router import Decision, Router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WebhookIngest:
    secrets: tuple[bytes, ...]
    router: Router
    stream: EventStream
    enqueue_drain: Callable[[], Any]
    local: LocalCounts = field(default_factory=LocalCounts)

    def handle(self, headers: Mapping[str, str], body: bytes) -> Answer:
        delivery = events.delivery_identifier(headers, body)
        try:
            event = events.from_request(headers, body, self.secrets)
        except events.WebhookError as exc:
            return self.reject(exc.status, exc.reason, str(exc), delivery)
        decision = self.router.decide(event)
        if decision is not Decision.QUEUE:
            unknown = event.kind if decision is Decision.UNKNOWN else None
            count(self.stream.redis, decision.value, unknown, known=self.router.is_jira_event(event.kind))
            return Answer(200, {"status": decision.value, "event": event.kind})
        return self.store(delivery, body, event.kind)

    def store(self, delivery: str, body: bytes, kind: str) -> Answer:
        """Queue the delivery unless its id or its very body was stored within the dedupe window: a
        captured delivery replayed under a new id (the signature still holds) is a duplicate too."""
        try:
            result = self.stream.push(delivery, body, also_seen_as=body_digest(body))
        except redis.RedisError as exc:
            self.local.add_unavailable()
            log.error("delivery %s (%s) not stored, answering 503: %s", delivery, kind, exc)
            return Answer(
                503,
                {"error": "unavailable", "message": "the event queue is unreachable; retry later"},
                {"Retry-After": "10"},
            )
        if result is PushResult.DUPLICATE:
            return Answer(200, {"status": "duplicate", "delivery": delivery})
        if result is PushResult.QUEUED_NEEDS_DRAIN:
            self._start_drain(delivery)
        return Answer(202, {"status": "queued", "delivery": delivery, "event": kind})

    def _start_drain(self, delivery: str) -> None:
        try:
            self.enqueue_drain()
        except redis.RedisError as exc:  # the event is stored; the scheduler's sweep drains it
            log.warning("delivery %s stored, drain not enqueued (%s); the sweep will pick it up", delivery, exc)

    def reject(
        self, status: int, reason: str, message: str, delivery: str, headers: Mapping[str, str] | None = None
    ) -> Answer:
        log.info("delivery %s refused with %d: %s", delivery, status, message)
        count(self.stream.redis, REJECT_PREFIX + reason)
        return Answer(status, {"error": reason, "message": message}, dict(headers or {}))


def body_digest(body: bytes) -> str:
    """The name a body is remembered under, as a delivery without an id is (``sha256:<hex>``)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
