"""Is the service idle? True only when nothing it was asked to do is still waiting or running.

Waiting work is: events in the stream (or a drain queued), KRs marked dirty, a flush queued or
running, page writes waiting for their interval, RQ jobs queued, and RQ jobs started by a worker
that still lives. A job left in RQ's started registry by a worker that was killed is no work: its
worker is gone, and what it took is taken over by the next flush (see sync/dirty.py).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, fields

import redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job

from sync import keys
from sync.redis_text import decoded


@dataclass(frozen=True)
class Pending:
    """What is still to do, counted; all zero when the service is idle."""

    events: int = 0  # deliveries in the stream, not yet applied
    drains: int = 0  # 1 while a drain job is queued
    dirty: int = 0  # KRs waiting for a flush
    in_flush: int = 0  # KRs the running flush took
    flushes: int = 0  # 1 while a flush job is queued
    pages: int = 0  # page writes waiting
    jobs_queued: int = 0  # RQ jobs waiting for a worker
    jobs_running: int = 0  # RQ jobs started by a worker that still lives

    @property
    def idle(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))

    def describe(self) -> str:
        """``"events=3, dirty=1"``: the counts that are not zero ("idle" when none is)."""
        busy = [f"{field.name}={getattr(self, field.name)}" for field in fields(self) if getattr(self, field.name)]
        return ", ".join(busy) or "idle"


def is_idle(connection: redis.Redis, queue_name: str | None = None) -> bool:
    """True only when nothing is pending; ``queue_name`` None looks at every RQ queue in this Redis."""
    return pending_work(connection, queue_name).idle


def pending_work(connection: redis.Redis, queue_name: str | None = None) -> Pending:
    """Everything the service still has to do, read from Redis (and RQ's registries); no side effect."""
    pipe = connection.pipeline(transaction=False)
    pipe.xlen(keys.EVENTS)
    pipe.exists(keys.DRAIN_FLAG)
    pipe.scard(keys.DIRTY)
    pipe.scard(keys.IN_FLUSH)
    pipe.exists(keys.FLUSH_FLAG)
    pipe.hlen(keys.PAGES_PENDING)
    events, drains, dirty, in_flush, flushes, pages = (int(n) for n in pipe.execute())
    queues = _queues(connection, queue_name)
    return Pending(
        events=events,
        drains=drains,
        dirty=dirty,
        in_flush=in_flush,
        flushes=flushes,
        pages=pages,
        jobs_queued=sum(queue.count for queue in queues),
        jobs_running=sum(_running(connection, queue) for queue in queues),
    )


def _queues(connection: redis.Redis, queue_name: str | None) -> list[Queue]:
    if queue_name is not None:
        return [Queue(queue_name, connection=connection)]
    return list(Queue.all(connection=connection))


def _running(connection: redis.Redis, queue: Queue) -> int:
    """Jobs in the queue's started registry whose worker still lives (read without RQ's cleanup)."""
    started = queue.started_job_registry.get_job_ids(cleanup=False)
    return sum(1 for job_id in started if _worker_lives(connection, job_id))


def _worker_lives(connection: redis.Redis, job_id: str) -> bool:
    try:
        name = Job.fetch(job_id, connection=connection).worker_name
    except NoSuchJobError:
        return False  # finished and gone between the two reads
    if not name:
        return True  # not told which worker: assume it still works
    birth, pid, hostname, death = connection.hmget(
        Worker.redis_worker_namespace_prefix + name, ["birth", "pid", "hostname", "death"]
    )
    if birth is None or death is not None:
        return False  # its registration expired, or it said it stopped
    if pid is None or hostname is None or decoded(hostname) != socket.gethostname():
        return True  # not told which process, or one on another machine: its registration is all there is
    return _process_lives(int(pid))


def _process_lives(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it lives
    return True
