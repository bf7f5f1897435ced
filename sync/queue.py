"""The event stream between the webhook and the workers.

A delivery is stored with one atomic Lua call: duplicate check, append to a Redis stream, counter,
and a flag that says whether a drain job must be enqueued. So answering a webhook costs one round
trip, sent on a connection the push keeps for itself (``PushConnections``), and a burst of
deliveries is drained by one coalesced RQ job reading batches through a consumer group. Entries stay
in the stream until a worker has applied them (``XACK`` + ``XDEL``); entries of a worker that died
are claimed again by the next drain.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any, ClassVar, cast
from weakref import WeakKeyDictionary, ref

import redis
from redis.client import Pipeline
from redis.connection import AbstractConnection
from redis.exceptions import NoScriptError
from redis.typing import EncodableT

from sync import keys
from sync.redis_text import decoded
from webhooks.ingest import Stored

STREAM = keys.EVENTS
DEAD_LETTERS = keys.DEAD_LETTERS
GROUP = "okrsync-sync"
DRAIN_FLAG = keys.DRAIN_FLAG
SEEN_PREFIX = keys.SEEN_PREFIX
STATS = keys.STATS

# A drain flag outlives a lost enqueue by at most this long; the scheduler's sweep covers the gap.
DRAIN_FLAG_SECONDS = 30
# Entries delivered to a consumer that has been silent this long are claimed by the next drain.
CLAIM_IDLE_MS = 60_000
# Redis copies every entry a read returns into the reply while it serves nobody else, so a worker
# reads a batch in chunks: a delivery being stored waits behind at most this many bodies.
READ_CHUNK = 50

_PUSH_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 or (KEYS[5] and redis.call('EXISTS', KEYS[5]) == 1) then
  redis.call('HINCRBY', KEYS[4], 'duplicate', 1)
  return 0
end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1], 'body', ARGV[2])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[3])
if KEYS[5] then
  redis.call('SET', KEYS[5], '1', 'EX', ARGV[3])
end
redis.call('HINCRBY', KEYS[4], 'queued', 1)
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[4]) then
  return 2
end
return 1
"""


# What the push script answers (0, 1, 2), as the webhook edge names it.
_PUSHED = (Stored.DUPLICATE, Stored.QUEUED, Stored.QUEUED_NEEDS_DRAIN)


@dataclass(frozen=True)
class Entry:
    entry_id: str
    delivery: str
    body: bytes
    redelivered: bool = False  # read before by a worker that did not finish it (itself, or one gone silent)


@dataclass(frozen=True)
class Backlog:
    waiting: int  # not yet read by any worker
    pending: int  # read by a worker, not yet applied
    dead: int  # failed to apply; kept for inspection
    lag_seconds: float  # age of the oldest entry not yet applied (0 when none)


class PushConnections:
    """Connections taken from a client's pool and kept for the push alone, as many as threads of the
    process push at once; one set per pool (``for_client``), however many EventStreams use it.

    The push is the one command on the webhook's path; sent and read on a connection kept for it, it
    skips the client's per-command bookkeeping (taking a connection from the pool and checking it
    for stray data, timing the command, giving it back), which costs the web process more CPU than
    the command itself. The connection's own retry policy (the client's), health check and timeouts
    still apply; a connection that failed is closed, and connects again when next used."""

    _by_pool: ClassVar[WeakKeyDictionary[Any, PushConnections]] = WeakKeyDictionary()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, pool: Any) -> None:
        self._pool = ref(pool)  # the pool keys the set: a strong reference would keep both forever
        self._idle: SimpleQueue[AbstractConnection] = SimpleQueue()
        self._pid = os.getpid()

    @classmethod
    def for_client(cls, connection: redis.Redis) -> PushConnections:
        with cls._lock:
            pool = connection.connection_pool
            if pool not in cls._by_pool:
                cls._by_pool[pool] = cls(pool)
            return cls._by_pool[pool]

    def call(self, *command: EncodableT) -> Any:
        """Send ``command`` and read its reply: what the client's ``execute_command`` would answer
        (unparsed), with the same errors."""
        connection = self._take()
        try:
            return connection.retry.call_with_retry(
                lambda: self._send(connection, command), lambda _error: connection.disconnect()
            )
        except BaseException:
            connection.disconnect()  # a reply left half read must not reach the next command
            raise
        finally:
            self._idle.put(connection)

    def _take(self) -> AbstractConnection:
        if os.getpid() != self._pid:  # a forked child never shares its parent's sockets
            self._idle, self._pid = SimpleQueue(), os.getpid()
        try:
            return self._idle.get_nowait()
        except Empty:
            pass
        pool = self._pool()
        if pool is None:  # the client is gone: no EventStream pushes through it any more
            raise redis.ConnectionError("the Redis client of this event stream was closed")
        return cast("AbstractConnection", pool.get_connection())  # kept for the push, never given back

    @staticmethod
    def _send(connection: AbstractConnection, command: tuple[EncodableT, ...]) -> Any:
        connection.send_command(*command)
        return connection.read_response()


class EventStream:
    def __init__(self, connection: redis.Redis, dedupe_seconds: int = 25 * 3600) -> None:
        self.redis = connection
        self.dedupe_seconds = dedupe_seconds
        self._push = connection.register_script(_PUSH_SCRIPT)
        self._connections = PushConnections.for_client(connection)

    # ------------------------------------------------------------------ producer side

    def push(self, delivery: str, body: bytes, also_seen_as: str | None = None) -> Stored:
        """Store a delivery unless it was seen within the dedupe window, under its id or under
        ``also_seen_as`` (the webhook passes a digest of the body). Raises redis errors."""
        keys = [SEEN_PREFIX + delivery, STREAM, DRAIN_FLAG, STATS]
        if also_seen_as is not None and also_seen_as != delivery:
            keys.append(SEEN_PREFIX + also_seen_as)
        command: tuple[EncodableT, ...] = (
            "EVALSHA",
            self._push.sha,
            len(keys),
            *keys,
            delivery,
            body,
            self.dedupe_seconds,
            DRAIN_FLAG_SECONDS,
        )
        try:
            reply = self._connections.call(*command)
        except NoScriptError:  # a restarted Redis has forgotten the script: load it, once, and send again
            self.redis.script_load(_PUSH_SCRIPT)
            reply = self._connections.call(*command)
        return _PUSHED[int(reply)]

    # ------------------------------------------------------------------ consumer side

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def clear_drain_flag(self) -> None:
        """Called as a drain starts: deliveries from now on enqueue a fresh drain."""
        self.redis.delete(DRAIN_FLAG)

    def read_batch(self, consumer: str, count: int = 200) -> list[Entry]:
        """This consumer's own unfinished entries (a drain interrupted by an error), then stale
        entries of dead consumers, then new ones; empty when nothing is left."""
        try:
            return (
                self._read_own_pending(consumer, count)
                or self._claim_stale(consumer, count)
                or self._read_new(consumer, count)
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self.ensure_group()
            return self._read_new(consumer, count)

    def _read_own_pending(self, consumer: str, count: int) -> list[Entry]:
        """A worker runs one job at a time, so what it read and did not finish is safe to take back now."""
        reply = self.redis.xreadgroup(GROUP, consumer, {STREAM: "0"}, count=count)
        return _entries(_stream_entries(reply), redelivered=True)

    def _claim_stale(self, consumer: str, count: int) -> list[Entry]:
        reply = self.redis.xautoclaim(STREAM, GROUP, consumer, CLAIM_IDLE_MS, "0-0", count=count)
        return _entries(reply[1], redelivered=True)

    def _read_new(self, consumer: str, count: int) -> list[Entry]:
        entries: list[Entry] = []
        while len(entries) < count:
            wanted = min(READ_CHUNK, count - len(entries))
            reply = self.redis.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=wanted)
            raw = _stream_entries(reply)
            entries += _entries(raw)
            if len(raw) < wanted:  # the stream has nothing more for now
                break
        return entries

    def ack(self, entry_ids: list[str], with_writes: Callable[[Pipeline], None] | None = None) -> None:
        """Take the applied entries off the stream, in one transaction with what ``with_writes`` adds to
        it (what applying them marked): both happen, or neither and the entries are applied again."""
        if not entry_ids and with_writes is None:
            return
        pipe = self.redis.pipeline(transaction=True)
        if with_writes is not None:
            with_writes(pipe)
        if entry_ids:
            pipe.xack(STREAM, GROUP, *entry_ids)
            pipe.xdel(STREAM, *entry_ids)
        if len(pipe):
            pipe.execute()

    def dead_letter(self, entry: Entry, error: str) -> None:
        """Keep a delivery that could not be applied, with the reason, and take it off the stream."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(DEAD_LETTERS, {"id": entry.delivery, "body": entry.body, "error": error[:2000]})
        pipe.hincrby(STATS, "dead_lettered", 1)
        pipe.xack(STREAM, GROUP, entry.entry_id)
        pipe.xdel(STREAM, entry.entry_id)
        pipe.execute()

    # ------------------------------------------------------------------ observation

    def backlog(self, now: float | None = None) -> Backlog:
        now = time.time() if now is None else now
        total = self.redis.xlen(STREAM)
        pending = self._pending_count()
        oldest = self.redis.xrange(STREAM, count=1)
        # an XRANGE entry always has its id: redis-py's entry type allows None for XREADGROUP's deleted ones
        lag = max(0.0, now - _entry_time(oldest[0][0])) if oldest else 0.0  # type: ignore[arg-type]
        return Backlog(
            waiting=max(0, total - pending),
            pending=pending,
            dead=self.redis.xlen(DEAD_LETTERS),
            lag_seconds=lag,
        )

    def _pending_count(self) -> int:
        try:
            return int(self.redis.xpending(STREAM, GROUP)["pending"])
        except redis.ResponseError:  # no group yet: nothing was ever read
            return 0

    def has_unapplied(self) -> bool:
        return self.redis.xlen(STREAM) > 0


def _stream_entries(reply: object) -> list[Any]:
    """The entries of an XREADGROUP reply for one stream, ``[[stream, entries]]`` (the clients speak
    RESP2; redis-py types the reply for RESP3 too), or none when it is empty."""
    return cast("list[list[Any]]", reply)[0][1] if reply else []


def _entries(raw: list, redelivered: bool = False) -> list[Entry]:
    entries = []
    for entry_id, fields in raw:
        if not fields:  # deleted while pending
            continue
        entries.append(
            Entry(decoded(entry_id), delivery=decoded(fields[b"id"]), body=fields[b"body"], redelivered=redelivered)
        )
    return entries


def _entry_time(entry_id: bytes | str) -> float:
    return entry_time_ms(entry_id) / 1000.0


def entry_time_ms(entry_id: bytes | str) -> int:
    """When Redis stored the entry (stream ids begin with their time in ms): when the delivery came in."""
    return int(decoded(entry_id).split("-", 1)[0])
