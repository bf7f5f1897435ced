"""RQ jobs: the drain applies queued webhook events to the mirror in batches and marks the KRs they
touch; the flush recomputes those KRs and writes back what changed. Both are coalesced: a burst of
deliveries leads to one drain at a time and one flush after it (``sync.scheduling`` enqueues them)."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import redis
from redis.client import Pipeline
from rq import Queue, get_current_job

from sync import keys
from sync.cadence import CadenceError, run_due_rituals
from sync.close_page import write_close_pages
from sync.confluence_writer import publish_due_pages
from sync.dirty import DIRTY, DirtyTracker
from sync.drain_batch import BatchOutcome, apply_batch, event_origin
from sync.flush import flush
from sync.handlers import SyncContext
from sync.people_checkins import CommentCheckins, PeopleCheckins, kr_issues
from sync.problem_reviews import run_problem_reviews
from sync.queue import DRAIN_FLAG, DRAIN_FLAG_SECONDS, STATS, EventStream
from sync.reconcile import resync
from sync.remote import refresh_remote_metrics
from sync.runtime import Runtime, runtime_for
from sync.scheduling import (
    CADENCE_FLAG,
    PAGES_FLAG,
    REMOTE_FLAG,
    SQL_FLAG,
    enqueue_drain,
    enqueue_flush,
    schedule_flush,
)
from sync.sql_metrics import refresh_sql_metrics

log = logging.getLogger(__name__)
__all__ = ["event_origin"]  # where the drain's counts come from, as the tests name it

BATCH_SIZE = 200
LAST_FLUSH = keys.LAST_FLUSH  # POSIX time, for the flush interval
LAST_FLUSH_QUEUED = keys.LAST_FLUSH_QUEUED
BURST_DELIVERIES = 100  # deliveries queued since the latest flush started that make a burst
BURST_STRETCH = 2.0  # a burst's flushes are this many intervals apart
DRAIN_SLICE_INTERVALS = 2.0  # a drain that has marked KRs lets the flush go first after this many intervals


def drain_events(connection: redis.Redis | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Apply every queued event; runs until the stream is empty or, once it has marked KRs, until
    DRAIN_SLICE_INTERVALS flush intervals have passed: then the flush goes first and a drain after it
    takes the rest, so events arriving faster than they are applied never hold a flush back. Safe to
    run concurrently."""
    connection = connection or _job_connection()
    runtime = runtime_for(connection)
    stream = EventStream(connection)
    stream.ensure_group()
    stream.clear_drain_flag()
    tracker = DirtyTracker(connection, runtime.config_store)
    context = _sync_context(connection, runtime, tracker)
    consumer = _consumer_name()
    interval = runtime.settings.flush_interval_seconds
    until, applied, dead, handed_over = time.monotonic() + DRAIN_SLICE_INTERVALS * interval, 0, 0, False
    while not handed_over and (batch := stream.read_batch(consumer, batch_size)):
        with tracker.batch():
            outcome = apply_batch(stream, batch, context)
            stream.ack(outcome.done, partial(_batch_writes, tracker, outcome))
        dead += len(batch) - len(outcome.done)
        applied += len(outcome.done)
        handed_over = bool(tracker.marked) and interval > 0 and time.monotonic() >= until
    if tracker.marked:
        schedule_flush(connection, runtime.queue_name, at_front=handed_over)
    if handed_over:
        _drain_later(connection, runtime.queue_name, stream)
    if applied or dead:
        log.info("drained %d event(s), %d dead-lettered, %d KR mark(s)", applied, dead, tracker.marked)
    return {"applied": applied, "dead_lettered": dead, "marked": tracker.marked}


def _drain_later(connection: redis.Redis, queue_name: str, stream: EventStream) -> None:
    """A drain after the flush for what is left, unless a delivery has enqueued one already."""
    if stream.has_unapplied() and connection.set(DRAIN_FLAG, "1", nx=True, ex=DRAIN_FLAG_SECONDS):
        enqueue_drain(connection, queue_name)


def _sync_context(connection: redis.Redis, runtime: Runtime, tracker: DirtyTracker) -> SyncContext:
    config = runtime.config_store.current()
    own_account = runtime.config_store.own_account()
    mirror = runtime.mirror
    return SyncContext(
        mirror=mirror,
        dirty=tracker,
        own_account=own_account,
        own_fields=frozenset(config.writeback.field_names) if config else frozenset(),
        on_clamped=partial(_count_clamped, connection),
        people_checkins=CommentCheckins(
            PeopleCheckins(connection),
            kr_issues(config),
            own_account,
            lambda issue_id: str((mirror.get(issue_id) or {}).get("key") or "") or None,
        ),
    )


def _batch_writes(tracker: DirtyTracker, outcome: BatchOutcome, pipe: Pipeline) -> None:
    """What a batch marked and heard of, and the applied events counted, in its acknowledgement."""
    tracker.pending_writes(pipe)
    if outcome.done:
        pipe.hincrby(STATS, "applied", len(outcome.done))
    for origin, count in outcome.origins.items():
        pipe.hincrby(STATS, origin, count)


def flush_okrs(connection: redis.Redis | None = None) -> dict[str, Any]:
    connection = connection or _job_connection()
    runtime = runtime_for(connection)
    wait = flush_wait_seconds(connection, flush_interval(connection, runtime.settings.flush_interval_seconds))
    if wait > 0:
        queue = Queue(runtime.queue_name, connection=connection)
        if queue.count:  # drains wait: they run first, and this flush after them (its flag stays set)
            enqueue_flush(queue)
            return {"deferred": round(wait, 3)}
        time.sleep(wait)
        drain_events(connection)  # what arrived meanwhile goes into this flush, not the next one
    _note_flush_start(connection)
    result = flush(runtime)
    if connection.exists(DIRTY):  # left for later (a check-in still in flight): come back to it
        schedule_flush(connection, runtime.queue_name)
    runtime.mirror_in_memory.after_flush(datetime.now(UTC))  # the results are out: selections, a snapshot
    return {
        "written": result.written,
        "unchanged": result.unchanged,
        "comments": result.comments,
        "failed": result.failed,
        "held": result.held,
        "skipped": result.skipped,
    }


def publish_waiting_pages(connection: redis.Redis | None = None) -> dict[str, Any]:
    """Pages whose coalescing interval has passed, published with this worker's copy of the mirror."""
    connection = connection or _job_connection()
    connection.delete(PAGES_FLAG)  # pages falling due from now on schedule another run
    runtime = runtime_for(connection)
    if runtime.confluence is None:
        log.warning(
            "pages are due but this worker has no Confluence configured (OKRSYNC_CONFLUENCE_URL); "
            "give the worker the same settings as the scheduler"
        )
        return {"published": 0}
    return {"published": publish_due_pages(runtime)}


def run_cadence_rituals(connection: redis.Redis | None = None) -> dict[str, Any]:
    """The weekly digests and monthly reviews that are due, each written once (sync.cadence)."""
    connection = connection or _job_connection()
    try:
        runtime = runtime_for(connection)
        runs = run_due_rituals(runtime) + write_close_pages(runtime) + _due_problem_reviews(runtime)
    finally:
        connection.delete(CADENCE_FLAG)
    for run in runs:
        log.info("cadence: %s", run.sentence())
    return {
        "written": sum(1 for r in runs if r.outcome == "created"),
        "failed": sum(1 for r in runs if r.outcome == "failed"),
    }


def _due_problem_reviews(runtime: Any) -> list[Any]:
    try:
        return run_problem_reviews(runtime)
    except CadenceError:  # no Confluence or no configuration: nothing is owed
        return []


def refresh_remote(connection: redis.Redis | None = None) -> dict[str, Any]:
    """The metrics outside the local JQL subset, counted through Jira's search; a flush follows."""
    return _refresh(connection or _job_connection(), refresh_remote_metrics, REMOTE_FLAG)


def refresh_sql(connection: redis.Redis | None = None) -> dict[str, Any]:
    """The source: sql metrics whose refresh is due, each query run on its own; a flush follows."""
    return _refresh(connection or _job_connection(), refresh_sql_metrics, SQL_FLAG)


def _refresh(connection: redis.Redis, refresh: Callable[[Runtime], Any], flag: str) -> dict[str, Any]:
    """One refresh of outside values (each with ``refreshed`` and ``failed``), a flush when any moved or
    failed, and the job's flag given back whatever happened."""
    try:
        runtime = runtime_for(connection)
        report = refresh(runtime)
        if report.refreshed or report.failed:
            schedule_flush(connection, runtime.queue_name)
    finally:
        connection.delete(flag)
    return {"refreshed": report.refreshed, "failed": report.failed}


def resync_mirror(full: bool = False, connection: redis.Redis | None = None) -> dict[str, Any]:
    """`POST /api/v1/resync` runs this on a worker."""
    connection = connection or _job_connection()
    report = resync(runtime_for(connection), full=full)
    return {"seen": report.seen, "drift": report.drift, "seconds": round(report.seconds, 3)}


def flush_interval(connection: redis.Redis, interval: float) -> float:
    """The interval between two flushes: ``interval``, or BURST_STRETCH times it while a burst lasts (at
    least BURST_DELIVERIES deliveries queued since the latest flush started), so that a burst's writes of
    every KR it moves come half as often; the burst's last values are written within two intervals."""
    pipe = connection.pipeline(transaction=False)
    pipe.hget(STATS, "queued")
    pipe.get(LAST_FLUSH_QUEUED)
    queued, queued_then = pipe.execute()
    if queued is None or queued_then is None:
        return interval
    return interval * BURST_STRETCH if int(queued) - int(queued_then) >= BURST_DELIVERIES else interval


def _note_flush_start(connection: redis.Redis) -> None:
    queued = connection.hget(STATS, "queued")
    pipe = connection.pipeline(transaction=True)
    pipe.set(LAST_FLUSH, repr(time.time()))
    pipe.set(LAST_FLUSH_QUEUED, int(queued or 0))
    pipe.execute()


def flush_wait_seconds(connection: redis.Redis, interval: float) -> float:
    """How long until ``interval`` has passed since the last flush started (by any worker)."""
    raw = connection.get(LAST_FLUSH)
    if raw is None or interval <= 0:
        return 0.0
    return max(0.0, min(interval, float(raw) + interval - time.time()))


def _job_connection() -> redis.Redis:
    job = get_current_job()
    if job is None:
        raise RuntimeError("this job needs a Redis connection outside an RQ job")
    return job.connection


_worker_identity: str | None = None


def set_worker_identity(name: str) -> None:
    """Called by `okrsync worker` before its work loop; forked job processes inherit it."""
    global _worker_identity
    _worker_identity = name


def _count_clamped(connection: redis.Redis, key: str) -> None:
    """One more clamped issue version in the stats (the count is over every issue, so ``key`` is not kept)."""
    connection.hincrby(STATS, "clamped_versions", 1)


def _consumer_name() -> str:
    """Stable per worker process, across RQ restarting its loop: what this worker read and did not
    finish is then its own pending work, taken back at once (see EventStream.read_batch)."""
    if _worker_identity:
        return _worker_identity
    job = get_current_job()
    worker = getattr(job, "worker_name", None) if job else None
    return worker or f"{socket.gethostname()}:{os.getpid()}"
