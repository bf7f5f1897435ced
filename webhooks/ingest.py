"""verify → route → store → answer. No I/O of its own: storing a delivery, counting and enqueueing the drain
are callables that the app factory gives it (the edge knows nothing of the queue or the app). Of a body it
reads only what routing needs (its event name, and that the worker will parse it) and hands the raw body
to the queue: the typed event is built once, by the worker."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from webhooks import events
from webhooks.router import Decision, Router

log = logging.getLogger(__name__)


class Stored(Enum):
    """What storing a delivery did."""

    DUPLICATE = "duplicate"  # its id or its body was stored within the dedupe window
    QUEUED = "queued"
    QUEUED_NEEDS_DRAIN = "queued_needs_drain"  # stored, and no drain job is pending: one must be enqueued


class QueueUnavailable(Exception):
    """The event queue could not be reached: the delivery is answered 503 (Jira retries)."""


class Push(Protocol):
    def __call__(self, delivery: str, body: bytes, also_seen_as: str | None) -> Stored:
        """Store a delivery unless it was seen under either name; raises QueueUnavailable."""
        ...


class Count(Protocol):
    def __call__(self, name: str, kind: str | None = None, known: bool = False) -> None:
        """Best effort (never raises): ``kind`` names an unknown event, ``known`` when Jira sends such events."""
        ...


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WebhookIngest:
    secrets: tuple[bytes, ...]
    router: Router
    push: Push
    count: Count
    enqueue_drain: Callable[[], Any]  # raises QueueUnavailable
    on_unavailable: Callable[[], None]  # a 503 is counted in the process: the queue's store is unreachable
    reject_prefix: str  # a refused delivery is counted under this prefix and its reason

    def handle(self, headers: events.RequestHeaders, body: bytes) -> Answer:
        delivery = events.delivery_identifier(headers, body)
        try:
            kind = events.routed_kind(headers, body, self.secrets)
        except events.WebhookError as exc:
            return self.reject(exc.status, exc.reason, str(exc), delivery)
        decision = self.router.decide_kind(kind)
        if decision is not Decision.QUEUE:
            unknown = kind if decision is Decision.UNKNOWN else None
            self.count(decision.value, unknown, known=self.router.is_jira_event(kind))
            return Answer(200, {"status": decision.value, "event": kind})
        return self.store(delivery, body, kind)

    def store(self, delivery: str, body: bytes, kind: str) -> Answer:
        """Queue the delivery unless its id or its very body was stored within the dedupe window: a
        captured delivery replayed under a new id (the signature still holds) is a duplicate too."""
        try:
            result = self.push(delivery, body, also_seen_as=body_digest(body))
        except QueueUnavailable as exc:
            self.on_unavailable()
            log.error("delivery %s (%s) not stored, answering 503: %s", delivery, kind, exc)
            return Answer(
                503,
                {"error": "unavailable", "message": "the event queue is unreachable; retry later"},
                {"Retry-After": "10"},
            )
        if result is Stored.DUPLICATE:
            return Answer(200, {"status": "duplicate", "delivery": delivery})
        if result is Stored.QUEUED_NEEDS_DRAIN:
            self._start_drain(delivery)
        return Answer(202, {"status": "queued", "delivery": delivery, "event": kind})

    def _start_drain(self, delivery: str) -> None:
        try:
            self.enqueue_drain()
        except QueueUnavailable as exc:  # the event is stored; the scheduler's sweep drains it
            log.warning("delivery %s stored, drain not enqueued (%s); the sweep will pick it up", delivery, exc)

    def reject(
        self, status: int, reason: str, message: str, delivery: str, headers: Mapping[str, str] | None = None
    ) -> Answer:
        log.info("delivery %s refused with %d: %s", delivery, status, message)
        self.count(self.reject_prefix + reason)
        return Answer(status, {"error": reason, "message": message}, dict(headers or {}))


def body_digest(body: bytes) -> str:
    """The name a body is remembered under, as a delivery without an id is (``sha256:<hex>``)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
