"""The last okrsync process to exit stops the embedded Redis, whatever names its connections carry."""

from __future__ import annotations

import os
from pathlib import Path

from okrsync import redis_store
from okrsync.redis_store import embedded_redis
from tests.support.waiting import wait_until


def test_the_last_process_stops_the_server_even_when_a_library_renamed_its_connection(tmp_path: Path) -> None:
    """RQ names the connection of its worker; a worker stopped while starting up leaves it named so."""
    data_dir = tmp_path / "data"
    client = embedded_redis(data_dir)
    connection = client.connection_pool.get_connection()
    connection.send_command("CLIENT", "SETNAME", "rq:worker:starting")
    assert connection.read_response() in (b"OK", "OK")
    client.connection_pool.release(connection)
    try:
        redis_store._shut_down_if_last(client, os.getpid())
        wait_until(lambda: not (data_dir / "redis.pid").exists(), 10, "the embedded Redis to stop")
    finally:
        redis_store._clients.pop((data_dir.resolve(), os.getpid()), None)
        if (data_dir / "redis.pid").exists():
            redis_store.stop_embedded_redis(client)
