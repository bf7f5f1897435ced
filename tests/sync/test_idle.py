"""sync.idle against a real Redis and a real RQ worker process: idle only when nothing is pending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from sync import keys
from sync.idle import Pending, is_idle, pending_work
from tests.conftest import QUEUE
from tests.support.waiting import wait_until

RQ = str(Path(sys.executable).parent / "rq")


def _event(connection: redis.Redis) -> None:
    connection.xadd(keys.EVENTS, {"id": "d-1", "body": "{}"})


# one way each of leaving work behind, and the count that says so
LEFT_OVER: dict[str, tuple[Callable[[redis.Redis], Any], str]] = {
    "an event in the stream": (_event, "events"),
    "a drain queued": (lambda c: c.set(keys.DRAIN_FLAG, "1", ex=30), "drains"),
    "a KR dirty": (lambda c: c.sadd(keys.DIRTY, "s/KR1"), "dirty"),
    "a KR taken by the running flush": (lambda c: c.sadd(keys.IN_FLUSH, "s/KR1"), "in_flush"),
    "a flush queued": (lambda c: c.set(keys.FLUSH_FLAG, "1", ex=60), "flushes"),
    "a page write waiting": (lambda c: c.hset(keys.PAGES_PENDING, "set:s", '{"since": 0}'), "pages"),
    "a job queued": (lambda c: Queue(QUEUE, connection=c).enqueue("time.sleep", 0), "jobs_queued"),
}


def test_an_empty_redis_is_idle(connection: redis.Redis) -> None:
    assert is_idle(connection, QUEUE)
    assert is_idle(connection)
    assert pending_work(connection, QUEUE) == Pending()
    assert pending_work(connection).describe() == "idle"


@pytest.mark.parametrize("left", sorted(LEFT_OVER))
def test_any_work_left_is_not_idle(connection: redis.Redis, left: str) -> None:
    leave, count = LEFT_OVER[left]
    leave(connection)
    pending = pending_work(connection, QUEUE)
    assert not is_idle(connection, QUEUE) and not is_idle(connection)
    assert getattr(pending, count) == 1
    assert pending.describe() == f"{count}=1"


def test_an_applied_stream_is_idle(connection: redis.Redis) -> None:
    entry = connection.xadd(keys.EVENTS, {"id": "d-1", "body": "{}"})
    connection.xdel(keys.EVENTS, entry)  # applied: the stream stays, empty
    assert connection.exists(keys.EVENTS) and is_idle(connection, QUEUE)


def test_a_job_on_another_queue_counts_only_when_every_queue_is_asked(connection: redis.Redis) -> None:
    Queue("another", connection=connection).enqueue("time.sleep", 0)
    assert is_idle(connection, QUEUE)
    assert not is_idle(connection)


def test_is_idle_changes_nothing(connection: redis.Redis) -> None:
    for leave, _ in LEFT_OVER.values():
        leave(connection)
    before = _dump(connection)
    assert not is_idle(connection)
    assert _dump(connection) == before


@pytest.fixture()
def worker(connection: redis.Redis, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """A real RQ worker process (jobs run in it, as in `okrsync worker`) on the test's Redis and queue."""
    socket_path = connection.connection_pool.connection_kwargs["path"]
    command = [RQ, "worker", "--worker-class", "rq.worker.SimpleWorker", "--url", f"unix://{socket_path}", QUEUE]
    with open(tmp_path / "worker.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_a_running_job_is_not_idle_until_its_worker_dies(connection: redis.Redis, worker: subprocess.Popen) -> None:
    queue = Queue(QUEUE, connection=connection)
    queue.enqueue("time.sleep", 60, job_timeout=120)
    wait_until(lambda: queue.started_job_registry.get_job_ids(cleanup=False), 20, "the job to start")
    running = pending_work(connection, QUEUE)
    assert running == Pending(jobs_running=1) and not is_idle(connection, QUEUE)

    worker.send_signal(signal.SIGKILL)  # the job stays in RQ's started registry, its worker gone
    worker.wait(timeout=10)
    assert queue.started_job_registry.get_job_ids(cleanup=False)
    assert is_idle(connection, QUEUE)


def test_a_job_whose_worker_registration_expired_is_not_running(
    connection: redis.Redis, worker: subprocess.Popen
) -> None:
    queue = Queue(QUEUE, connection=connection)
    job = queue.enqueue("time.sleep", 60, job_timeout=120)
    wait_until(lambda: queue.started_job_registry.get_job_ids(cleanup=False), 20, "the job to start")
    worker.send_signal(signal.SIGSTOP)  # it lives, but stops renewing its registration
    try:
        job.refresh()
        connection.delete(f"rq:worker:{job.worker_name}")  # as when its registration's TTL runs out
        assert is_idle(connection, QUEUE)
    finally:
        worker.send_signal(signal.SIGCONT)


def _dump(connection: redis.Redis) -> dict[bytes, Any]:
    return {key: (connection.type(key), connection.dump(key)) for key in sorted(connection.keys("*"))}
