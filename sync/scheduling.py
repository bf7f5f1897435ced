"""Putting the sync jobs on the queue, by name: what the web process, the scheduler and the jobs
themselves call. Each kind is coalesced by a flag (one drain, one flush, one pages run, one remote
refresh waiting at a time); the job bodies are in ``sync.jobs``, which this module never imports."""

from __future__ import annotations

import time
from typing import Any

import redis
from rq import Queue

from sync import keys
from sync.dirty import ALL_DIRTY, DIRTY, FLUSH_FLAG, FLUSH_FLAG_SECONDS, IN_FLUSH, mark, mark_all
from sync.failures import FailureStore
from sync.jira_writer import WrittenStore
from sync.queue import DRAIN_FLAG, DRAIN_FLAG_SECONDS, EventStream

DRAIN_JOB = "sync.jobs.drain_events"
FLUSH_JOB = "sync.jobs.flush_okrs"
RESYNC_JOB = "sync.jobs.resync_mirror"
PAGES_JOB = "sync.jobs.publish_waiting_pages"
PAGES_FLAG = keys.PAGES_FLAG  # a pages job waits: the scheduler does not add another
PAGES_FLAG_SECONDS = 300
REMOTE_JOB = "sync.jobs.refresh_remote"
REMOTE_FLAG = keys.REMOTE_FLAG  # a remote refresh waits or runs: the scheduler does not add another
REMOTE_FLAG_SECONDS = 600
CADENCE_JOB = "sync.jobs.run_cadence_rituals"
CADENCE_FLAG = keys.CADENCE_FLAG  # a rituals job waits or runs: the scheduler does not add another
CADENCE_FLAG_SECONDS = 900
SQL_JOB = "sync.jobs.refresh_sql"
SQL_FLAG = keys.SQL_FLAG  # a refresh of the SQL metrics waits or runs: the scheduler does not add another
SQL_FLAG_SECONDS = 3600  # the longest a round of queries may take (each within its statement_timeout)


def schedule_pages(connection: redis.Redis, queue_name: str) -> bool:
    """Enqueue one run of ``publish_waiting_pages`` unless one is already waiting."""
    return _enqueue_once(
        connection,
        queue_name,
        (PAGES_JOB, PAGES_FLAG, PAGES_FLAG_SECONDS),
        "publish the Confluence pages whose coalescing interval has passed",
        job_timeout=900,
    )


def schedule_cadence(connection: redis.Redis, queue_name: str) -> bool:
    """Enqueue one run of the owed weekly and monthly rituals unless one waits or runs (their pages are
    written on a worker, never in the scheduler's loop)."""
    job = (CADENCE_JOB, CADENCE_FLAG, CADENCE_FLAG_SECONDS)
    return _enqueue_once(connection, queue_name, job, "write the weekly digests and monthly reviews that are due")


def schedule_remote_refresh(connection: redis.Redis, queue_name: str) -> bool:
    """Enqueue one remote refresh unless one waits or runs (searches run on a worker, never in the
    scheduler's loop)."""
    job = (REMOTE_JOB, REMOTE_FLAG, REMOTE_FLAG_SECONDS)
    return _enqueue_once(connection, queue_name, job, "count the remote metrics through Jira's search")


def schedule_sql_refresh(connection: redis.Redis, queue_name: str) -> bool:
    """Enqueue one run of the due SQL metrics unless one waits or runs (queries run on a worker, never
    in the scheduler's loop nor on the webhook path)."""
    job = (SQL_JOB, SQL_FLAG, SQL_FLAG_SECONDS)
    return _enqueue_once(connection, queue_name, job, "run the queries of the SQL metrics that are due")


def _enqueue_once(
    connection: redis.Redis,
    queue_name: str,
    job: tuple[str, str, int],
    description: str,
    job_timeout: int | None = None,
) -> bool:
    """Enqueue ``job`` (its function, its flag, the flag's life) unless its flag says one waits or runs.
    A job not started within the flag's life is dropped (``ttl``), and the next round makes it again."""
    function, flag, seconds = job
    if not connection.set(flag, "1", nx=True, ex=seconds):
        return False
    Queue(queue_name, connection=connection).enqueue(
        function,
        job_timeout=job_timeout or seconds,
        ttl=seconds,
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
        description=description,
    )
    return True


def enqueue_resync(connection: redis.Redis, queue_name: str, full: bool = False) -> Any:
    return Queue(queue_name, connection=connection).enqueue(
        RESYNC_JOB,
        kwargs={"full": full},
        job_timeout=6 * 3600,
        result_ttl=24 * 3600,
        failure_ttl=7 * 24 * 3600,
        description=f"{'full ' if full else ''}resync of the mapped projects",
    )


def enqueue_drain(connection: redis.Redis, queue_name: str) -> Any:
    return Queue(queue_name, connection=connection).enqueue(
        DRAIN_JOB,
        job_timeout=600,
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
        description="apply queued Jira webhook events to the mirror",
    )


def schedule_flush(connection: redis.Redis, queue_name: str, at_front: bool = False) -> bool:
    """Enqueue one flush unless one is already waiting (``at_front``: before the jobs waiting now)."""
    if not connection.set(FLUSH_FLAG, "1", nx=True, ex=FLUSH_FLAG_SECONDS):
        return False
    enqueue_flush(Queue(queue_name, connection=connection), at_front)
    return True


def enqueue_flush(queue: Queue, at_front: bool = False) -> None:
    """Enqueue a flush whatever the flag says (the caller holds it)."""
    queue.enqueue(
        FLUSH_JOB,
        at_front=at_front,
        job_timeout=900,
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
        description="recompute dirty key results and write back what changed",
    )


def sweep(connection: redis.Redis, queue_name: str) -> bool:
    """Enqueue what is owed: a drain when events wait, a flush when KRs are dirty (or a flush died), and
    every KR again when a write-back target's backoff has passed."""
    enqueued = False
    if FailureStore(connection).due_retry(time.time()) and not connection.sismember(DIRTY, ALL_DIRTY):
        mark_all(connection, {"kind": "retry"})
    held = WrittenStore(connection).due_checkins(time.time())
    if held:
        mark(connection, held, {"kind": "check-in held back"})
    if EventStream(connection).has_unapplied() and connection.set(DRAIN_FLAG, "1", nx=True, ex=DRAIN_FLAG_SECONDS):
        enqueue_drain(connection, queue_name)
        enqueued = True
    if connection.exists(DIRTY, IN_FLUSH) and schedule_flush(connection, queue_name):
        enqueued = True
    return enqueued
