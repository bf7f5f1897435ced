"""RQ jobs. The drain job applies queued webhook events to the mirror in batches."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import redis
from rq import Queue, get_current_job

from sync.handlers import SyncContext, router
from sync.mirror import Mirror
from sync.queue import DRAIN_FLAG, DRAIN_FLAG_SECONDS, STATS, EventStream
from webhooks.events import parse_event

log = logging.getLogger(__name__)

DRAIN_JOB = "sync.jobs.drain_events"
BATCH_SIZE = 200


def drain_events(connection: redis.Redis | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Apply every queued event; runs until the stream is empty. Safe to run concurrently."""
    connection = connection or _job_connection()
    stream = EventStream(connection)
    stream.ensure_group()
    stream.clear_drain_flag()
    context = SyncContext(mirror=Mirror(connection))
    consumer = _consumer_name()
    applied = dead = 0
    while batch := stream.read_batch(consumer, batch_size):
        done = []
        for entry in batch:
            try:
                router.dispatch(parse_event(entry.body), context)
            except redis.RedisError:
                raise  # leave the batch pending; the next drain claims it
            except Exception as exc:  # one bad event must not block the rest
                log.exception("could not apply delivery %s; kept as a dead letter", entry.delivery)
                stream.dead_letter(entry, f"{type(exc).__name__}: {exc}")
                dead += 1
                continue
            done.append(entry.entry_id)
        stream.ack(done)
        connection.hincrby(STATS, "applied", len(done))
        applied += len(done)
    if applied or dead:
        log.info("drained %d event(s), %d dead-lettered", applied, dead)
    return {"applied": applied, "dead_lettered": dead}


def enqueue_drain(connection: redis.Redis, queue_name: str) -> Any:
    return Queue(queue_name, connection=connection).enqueue(
        DRAIN_JOB,
        job_timeout=600,
        result_ttl=300,
        failure_ttl=7 * 24 * 3600,
        description="apply queued Jira webhook events to the mirror",
    )


def sweep(connection: redis.Redis, queue_name: str) -> bool:
    """Enqueue a drain when events wait and none is scheduled (covers a lost enqueue or a dead worker)."""
    if not EventStream(connection).has_unapplied():
        return False
    if not connection.set(DRAIN_FLAG, "1", nx=True, ex=DRAIN_FLAG_SECONDS):
        return False
    enqueue_drain(connection, queue_name)
    return True


def _job_connection() -> redis.Redis:
    job = get_current_job()
    if job is None:
        raise RuntimeError("drain_events needs a Redis connection outside an RQ job")
    return job.connection


def _consumer_name() -> str:
    """Stable per worker, so the consumer group does not grow a consumer per job."""
    job = get_current_job()
    worker = getattr(job, "worker_name", None) if job else None
    return worker or f"{socket.gethostname()}:{os.getpid()}"
