"""The ingest without Flask or Redis: it stores, counts and enqueues only through what it is given."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from webhooks import events
from webhooks.ingest import QueueUnavailable, Stored, WebhookIngest
from webhooks.router import Router

SECRET = b"ingest-secret"


@dataclass
class Edge:
    stored: Stored | Exception = Stored.QUEUED_NEEDS_DRAIN
    drain_fails: bool = False
    pushed: list[tuple[str, str | None]] = field(default_factory=list)
    counted: list[tuple[str, str | None, bool]] = field(default_factory=list)
    drains: int = 0
    unavailable: int = 0

    def push(self, delivery: str, body: bytes, also_seen_as: str | None) -> Stored:
        if isinstance(self.stored, Exception):
            raise self.stored
        self.pushed.append((delivery, also_seen_as))
        return self.stored

    def count(self, name: str, kind: str | None = None, known: bool = False) -> None:
        self.counted.append((name, kind, known))

    def enqueue_drain(self) -> None:
        if self.drain_fails:
            raise QueueUnavailable("connection refused")
        self.drains += 1

    def add_unavailable(self) -> None:
        self.unavailable += 1

    def ingest(self) -> WebhookIngest:
        router = Router()
        router.register("jira:issue_updated")(lambda event, context: None)
        return WebhookIngest(
            secrets=(SECRET,),
            router=router,
            push=self.push,
            count=self.count,
            enqueue_drain=self.enqueue_drain,
            on_unavailable=self.add_unavailable,
            reject_prefix="refused:",
        )


def _delivery(kind: str, identifier: str = "d-1") -> tuple[dict[str, str], bytes]:
    body = json.dumps({"webhookEvent": kind, "issue": {"id": "1", "key": "OKR-1"}}).encode()
    return {events.SIGNATURE_HEADER: events.sign(body, SECRET), events.IDENTIFIER_HEADER: identifier}, body


def test_a_routed_event_is_pushed_under_its_id_and_its_body_digest_then_drained() -> None:
    edge = Edge()
    headers, body = _delivery("jira:issue_updated")
    answer = edge.ingest().handle(headers, body)
    assert answer.status == 202 and answer.body["status"] == "queued"
    assert edge.pushed == [("d-1", events.delivery_identifier({}, body))]
    assert edge.drains == 1 and edge.counted == []


def test_a_duplicate_is_answered_200_without_a_drain() -> None:
    edge = Edge(stored=Stored.DUPLICATE)
    answer = edge.ingest().handle(*_delivery("jira:issue_updated"))
    assert (answer.status, answer.body["status"], edge.drains) == (200, "duplicate", 0)


def test_an_unreachable_queue_is_a_503_counted_in_the_process() -> None:
    edge = Edge(stored=QueueUnavailable("connection refused"))
    answer = edge.ingest().handle(*_delivery("jira:issue_updated"))
    assert answer.status == 503 and answer.headers == {"Retry-After": "10"}
    assert edge.unavailable == 1


def test_a_drain_not_enqueued_still_answers_queued() -> None:
    edge = Edge(drain_fails=True)
    answer = edge.ingest().handle(*_delivery("jira:issue_updated"))
    assert answer.status == 202 and edge.drains == 0


def test_unrouted_and_refused_deliveries_are_counted_through_the_given_counter() -> None:
    edge = Edge()
    ingest = edge.ingest()
    assert ingest.handle(*_delivery("sprint_started")).body == {"status": "ignored", "event": "sprint_started"}
    assert ingest.handle(*_delivery("made_up_event")).status == 200
    headers, body = _delivery("jira:issue_updated")
    assert ingest.handle(headers, body + b" ").status == 401
    assert edge.counted == [
        ("ignored", None, True),
        ("unknown", "made_up_event", False),
        ("refused:signature", None, False),
    ]
    assert edge.pushed == []
