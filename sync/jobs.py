"""RQ jobs: the drain applies queued webhook events to the mirror in batches and marks the KRs they
touch; the flush recomputes those KRs and writes back what changed. Both are coalesced: a burst of
deliveries leads to one drain at a time and one flush after it (``sync.scheduling`` enqueues them)."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import redis
from rq import Queue, get_current_job

from sync import keys
from sync.cadence import CadenceError, run_due_rituals
from sync.close_page import write_close_pages
from sync.confluence_writer import publish_due_pages
from sync.dirty import DIRTY, DirtyTracker
from sync.flush import flush
from sync.handlers import SyncContext, router
from sync.people_checkins import CommentCheckins, PeopleCheckins, kr_issues
from sync.problem_reviews import run_problem_reviews
from sync.queue import STATS, Entry, EventStream, entry_time_ms
from sync.reconcile import resync
from sync.remote import refresh_remote_metrics
from sync.runtime import Runtime, runtime_for
from sync.scheduling import CADENCE_FLAG, PAGES_FLAG, REMOTE_FLAG, SQL_FLAG, enqueue_flush, schedule_flush
from sync.sql_metrics import refresh_sql_metrics
from webhooks.events import IssueLinkEvent, JiraEvent, parse_event

log = logging.getLogger(__name__)

BATCH_SIZE = 200
LAST_FLUSH = keys.LAST_FLUSH  # POSIX time, for the flush interval


def drain_events(connection: redis.Redis | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Apply every queued event; runs until the stream is empty. Safe to run concurrently."""
    connection = connection or _job_connection()
    runtime = runtime_for(connection)
    stream = EventStream(connection)
    stream.ensure_group()
    stream.clear_drain_flag()
    tracker = DirtyTracker(connection, runtime.config_store)
    context = _sync_context(connection, runtime, tracker)
    consumer = _consumer_name()
    applied = dead = 0
    while batch := stream.read_batch(consumer, batch_size):
        done, origins = _apply_batch(stream, batch, context)
        dead += len(batch) - len(done)
        stream.ack(done)
        _count_applied(connection, len(done), origins)
        applied += len(done)
    if tracker.marked:
        schedule_flush(connection, runtime.queue_name)
    if applied or dead:
        log.info("drained %d event(s), %d dead-lettered, %d KR mark(s)", applied, dead, tracker.marked)
    return {"applied": applied, "dead_lettered": dead, "marked": tracker.marked}


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


def _apply_batch(stream: EventStream, batch: list[Entry], context: SyncContext) -> tuple[list[str], Counter[str]]:
    """Each entry applied (a bad one kept as a dead letter); the ids applied, and their origins counted."""
    done, origins = [], Counter[str]()
    for entry in batch:
        try:
            event = parse_event(entry.body)
            router.dispatch(event, replace(context, received_ms=entry_time_ms(entry.entry_id)))
        except redis.RedisError:
            raise  # leave the batch pending; the next drain claims it
        except Exception as exc:  # one bad event must not block the rest
            log.exception("could not apply delivery %s; kept as a dead letter", entry.delivery)
            stream.dead_letter(entry, f"{type(exc).__name__}: {exc}")
            continue
        done.append(entry.entry_id)
        origins[event_origin(event, context.own_account)] += 1
    return done, origins


def event_origin(event: JiraEvent, own_account: str | None) -> str:
    """Who an applied event comes from, as counted: the service's own account (its write-backs and
    action points), an issue link (Jira names no user on those), or anyone else."""
    if isinstance(event, IssueLinkEvent):
        return "applied_links"
    if own_account is not None and event.user is not None and event.user.identity == own_account:
        return "applied_own"
    return "applied_others"


def _count_applied(connection: redis.Redis, applied: int, origins: Counter[str]) -> None:
    pipe = connection.pipeline(transaction=False)
    pipe.hincrby(STATS, "applied", applied)
    for origin, count in origins.items():
        pipe.hincrby(STATS, origin, count)
    pipe.execute()


def flush_okrs(connection: redis.Redis | None = None) -> dict[str, Any]:
    connection = connection or _job_connection()
    runtime = runtime_for(connection)
    wait = flush_wait_seconds(connection, runtime.settings.flush_interval_seconds)
    if wait > 0:
        queue = Queue(runtime.queue_name, connection=connection)
        if queue.count:  # drains wait: they run first, and this flush after them (its flag stays set)
            enqueue_flush(queue)
            return {"deferred": round(wait, 3)}
        time.sleep(wait)
        drain_events(connection)  # what arrived meanwhile goes into this flush, not the next one
    connection.set(LAST_FLUSH, repr(time.time()))
    result = flush(runtime)
    if connection.exists(DIRTY):  # left for later (a check-in still in flight): come back to it
        schedule_flush(connection, runtime.queue_name)
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
