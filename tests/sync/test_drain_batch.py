"""The drain applies a batch with few round trips and the same outcome as one event after the other:
the same mirror, the same KRs marked, a bad entry kept apart, and a batch taken back from a worker
that stopped mid-way marking every KR (its states may be stored and their marks not)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from okrsync.runtime_builder import build_runtime
from sync.dirty import ALL_DIRTY, DIRTY, DirtyTracker
from sync.handlers import SyncContext, router
from sync.jobs import drain_events, set_worker_identity
from sync.keys import STATS
from sync.mirror import RedisMirror
from sync.queue import EventStream
from sync.runtime import forget_runtimes, install_runtime
from webhooks.events import parse_event

CONFIG = """
cycles: [{id: c, start: 2020-01-01, end: 2099-12-31}]
metrics:
  hot: {description: hot bugs, source: jira, aggregate: count, window: cycle, unit: bugs,
        jql: project = SHOP AND issuetype = Bug AND labels = hot}
  cold: {description: cold bugs, source: jira, aggregate: count, window: cycle, unit: bugs,
         jql: project = SHOP AND issuetype = Bug AND labels = cold}
okr_sets:
  - id: s
    name: Shop
    cycle: c
    projects: [SHOP]
    objectives:
      - id: O1
        title: Fewer bugs
        key_results:
          - {id: HOT, title: Hot bugs down, owner: a@example.com, metric: hot, baseline: 10, target: 0}
          - {id: COLD, title: Cold bugs down, owner: a@example.com, metric: cold, baseline: 10, target: 0}
"""
CONSUMER = "test-drain-worker"


def issue_event(number: int, labels: list[str], minute: int, kind: str = "jira:issue_updated") -> bytes:
    fields = {
        "updated": f"2026-11-01T10:{minute:02d}:00.000+0000",
        "created": "2026-10-01T10:00:00.000+0000",
        "project": {"key": "SHOP"},
        "issuetype": {"name": "Bug"},
        "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        "labels": labels,
    }
    event = {"webhookEvent": kind, "timestamp": 1, "issue": {"id": str(10000 + number), "key": f"SHOP-{number}"}}
    event["issue"]["fields"] = fields  # type: ignore[index]
    event["user"] = {"accountId": "someone"}
    return json.dumps(event).encode()


def link_event(source: int, target: int) -> bytes:
    link = {"id": 77, "sourceIssueId": 10000 + source, "destinationIssueId": 10000 + target}
    return json.dumps({"webhookEvent": "issuelink_created", "timestamp": 1, "issueLink": link}).encode()


BODIES = [
    issue_event(1, ["hot"], 1, "jira:issue_created"),
    issue_event(2, ["cold"], 1, "jira:issue_created"),
    issue_event(1, ["cold"], 3),  # one issue twice in a batch: the second compares with the first
    link_event(1, 2),  # another kind in the middle of a run of states
    issue_event(1, ["hot"], 2),  # older than what is stored: kept out
    b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1"}}',  # does not parse: a dead letter
    issue_event(2, [], 4),
]


@pytest.fixture()
def runtime(settings, connection):
    built = build_runtime(settings, connection)
    install_runtime(built)
    built.config_store.apply(CONFIG, "okrs.yaml", "test", datetime(2026, 11, 1, tzinfo=UTC))
    set_worker_identity(CONSUMER)
    yield built
    set_worker_identity("")
    forget_runtimes()


def _push_all(connection, bodies: list[bytes]) -> None:
    stream = EventStream(connection)
    for number, body in enumerate(bodies):
        stream.push(f"d-{number}", body)


def _state(connection) -> tuple[dict[str, Any], set[bytes]]:
    mirror = RedisMirror(connection)
    return {key: mirror.get(key) for key in ("SHOP-1", "SHOP-2")}, connection.smembers(DIRTY)


def _one_after_the_other(runtime, connection, bodies: list[bytes]) -> tuple[dict[str, Any], set[bytes]]:
    """What the handlers make of the events applied one by one, each mark written at once."""
    tracker = DirtyTracker(connection, runtime.config_store)
    context = SyncContext(mirror=runtime.mirror, dirty=tracker)
    for body in bodies:
        try:
            event = parse_event(body)
        except Exception:
            continue
        router.dispatch(event, context)
    return _state(connection)


def test_a_batch_comes_out_as_the_events_one_after_the_other(runtime, connection) -> None:
    expected = _one_after_the_other(runtime, connection, BODIES)
    connection.delete(*connection.keys("okrsync:mirror:*"), DIRTY)
    _push_all(connection, BODIES)
    result = drain_events(connection)
    assert result == {"applied": 6, "dead_lettered": 1, "marked": result["marked"]} and result["marked"] > 0
    assert _state(connection) == expected
    assert expected[0]["SHOP-1"]["labels"] == ["cold"] and expected[0]["SHOP-2"]["labels"] == []
    assert expected[0]["SHOP-1"]["links"] and expected[1] == {b"s/HOT", b"s/COLD"}
    assert int(connection.hget(STATS, "applied")) == 6
    assert EventStream(connection).backlog().dead == 1 and not EventStream(connection).has_unapplied()


def test_a_batch_taken_back_from_a_worker_that_stopped_marks_every_kr(runtime, connection) -> None:
    _push_all(connection, BODIES[:2])
    stream = EventStream(connection)
    stream.ensure_group()
    assert len(stream.read_batch(CONSUMER)) == 2  # read, then the worker "stopped" before acknowledging
    drain_events(connection)
    assert ALL_DIRTY.encode() in connection.smembers(DIRTY)
    assert not stream.has_unapplied() and stream.backlog().pending == 0


def test_a_batch_that_arrives_fresh_marks_only_what_it_moves(runtime, connection) -> None:
    _push_all(connection, BODIES[:1])
    drain_events(connection)
    assert connection.smembers(DIRTY) == {b"s/HOT"}


def test_a_drain_that_outlasts_its_slice_lets_the_flush_go_first(runtime, connection, monkeypatch) -> None:
    from rq import Queue

    import sync.jobs
    from sync.scheduling import DRAIN_JOB, FLUSH_JOB

    monkeypatch.setattr(sync.jobs, "DRAIN_SLICE_INTERVALS", 0.0)  # every slice is over after one batch
    queue = Queue(runtime.queue_name, connection=connection)
    queue.enqueue("sync.jobs.resync_mirror", description="a job waiting already")
    _push_all(connection, [issue_event(number, ["hot"], 1, "jira:issue_created") for number in range(1, 6)])
    result = drain_events(connection, batch_size=2)
    assert result["applied"] == 2 and result["marked"] > 0
    assert [job.func_name for job in queue.jobs] == [FLUSH_JOB, "sync.jobs.resync_mirror", DRAIN_JOB]
    assert EventStream(connection).has_unapplied()


def test_a_batch_is_applied_with_the_collector_paused_and_leaves_it_as_it_was(runtime, connection, monkeypatch) -> None:
    import gc

    import sync.drain_batch

    seen: list[bool] = []

    def parse_noting(body: bytes):
        seen.append(gc.isenabled())
        return parse_event(body)

    monkeypatch.setattr(sync.drain_batch, "parse_event", parse_noting)
    _push_all(connection, BODIES[:2])
    assert gc.isenabled()
    drain_events(connection)
    assert seen == [False, False] and gc.isenabled()
