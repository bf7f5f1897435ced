"""The issue mirror in Redis: one compact document per issue. Among events the newest state wins;
what Jira answers to a read (resync, reconciliation) is the truth and replaces it.

Keys: ``okrsync:mirror:issue:<id>`` (hash: ``doc`` JSON, ``version`` ms, ``key``, ``source`` — "event"
or "read" —, ``applied`` (Redis time in ms when it was stored), and ``patched`` once a link event
changed the document after its version was stored), the index
``okrsync:mirror:keys`` (issue key → id) and tombstones ``okrsync:mirror:gone:<id>`` that stop a
late delivery from bringing a deleted issue back. Every write is one Lua call (or one
transaction), so concurrent workers cannot interleave a compare and a set.

The change feed: every write also takes the next number of ``okrsync:mirror:seq`` and files the
issue id under it in ``okrsync:mirror:changes`` (a sorted set, one member per issue, scored by its
latest change). A process that keeps the mirror in memory asks for what changed after the number
it has seen (``changes_since``) instead of reading every issue again.

The snapshot ``okrsync:mirror:snapshot``: every document in one JSON list with the change number and
epoch it is current for, written by a process that holds the mirror in memory
(``sync.mirror_follower``). A process starting reads it in one call and then the changes made after
that number from the change feed; a snapshot of another epoch is never used (the whole mirror is read).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, cast

import orjson
import redis

from sync import keys
from sync.redis_text import decoded

ISSUE_PREFIX = keys.MIRROR_ISSUE_PREFIX
GONE_PREFIX = keys.MIRROR_GONE_PREFIX
GONE_AT_PREFIX = keys.MIRROR_GONE_AT_PREFIX  # Redis time (ms) a tombstone was set: a read begun before it loses
KEY_INDEX = keys.MIRROR_KEYS
SEQUENCE = keys.MIRROR_SEQUENCE
CHANGES = keys.MIRROR_CHANGES
EPOCH = keys.MIRROR_EPOCH  # new with change number 1: the numbers of an emptied mirror restart
SNAPSHOT = keys.MIRROR_SNAPSHOT
PENDING_LINKS = keys.MIRROR_PENDING_LINKS_PREFIX  # links heard of before their issue: applied with its first state
PENDING_SECONDS = 86400  # a link to an issue never mirrored (a project outside the mapping) is let go after a day
TOMBSTONE_SECONDS = 30 * 24 * 3600

# Every write's last three KEYS are SEQUENCE, CHANGES, EPOCH; its ARGV end with the writer's epoch
# token and the issue id. On its own it notes a change made otherwise (``set_link``).
_NOTE_CHANGE = """
local number = redis.call('INCR', KEYS[#KEYS - 2])
redis.call('ZADD', KEYS[#KEYS - 1], number, ARGV[#ARGV])
if number == 1 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[#KEYS], ARGV[#ARGV - 1] .. ':' .. now[1] .. '.' .. now[2])
end
"""

# ARGV: version, doc, key, mode ('0' an event, '1' a read of Jira), the read's start (ms, '' for now),
# epoch, issue id. An event loses to a newer stored state, to a later delete and to the same state
# with links patched since. A read is Jira's truth: it loses only to a newer state applied after the
# read began (an event, or a read begun later), and to a delete made after the read began.
_UPSERT_SCRIPT = (
    """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local read = ARGV[4] == '1'
local started = tonumber(ARGV[5]) or now_ms
local gone = redis.call('GET', KEYS[2])
local current = redis.call('HGET', KEYS[1], 'version')
if read then
  local gone_at = redis.call('GET', KEYS[4])
  if gone and tonumber(gone_at or gone) >= started then return 0 end
  if current and tonumber(current) > tonumber(ARGV[1])
      and tonumber(redis.call('HGET', KEYS[1], 'applied') or '0') > started then return 0 end
  if gone then redis.call('DEL', KEYS[2], KEYS[4]) end
else
  if gone and tonumber(gone) >= tonumber(ARGV[1]) then return 0 end
  if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
  if current and tonumber(current) == tonumber(ARGV[1])
      and redis.call('HEXISTS', KEYS[1], 'patched') == 1 then return 0 end
end
local old_key = redis.call('HGET', KEYS[1], 'key')
if old_key and old_key ~= ARGV[3] then redis.call('HDEL', KEYS[3], old_key) end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'doc', ARGV[2], 'key', ARGV[3],
           'source', read and 'read' or 'event', 'applied', now_ms)
redis.call('HDEL', KEYS[1], 'patched')
redis.call('HSET', KEYS[3], ARGV[3], ARGV[7])
"""
    + _NOTE_CHANGE
    + """
return 1
"""
)

# A page of reads of Jira in one call: per issue the seven KEYS and seven ARGV of _UPSERT_SCRIPT, in
# order; the same rules for each; answers 1 (stored) or 0 per issue.
_UPSERT_PAGE_SCRIPT = (
    """
local function upsert(KEYS, ARGV)
"""
    + _UPSERT_SCRIPT
    + """
end
local stored = {}
for first = 0, #KEYS - 7, 7 do
  local k, a = {}, {}
  for j = 1, 7 do
    k[j] = KEYS[first + j]
    a[j] = ARGV[first + j]
  end
  stored[#stored + 1] = upsert(k, a)
end
return stored
"""
)

# Each issue's stored document and version (false where there is none), KEYS the issues' hashes.
_READ_PAGE_SCRIPT = """
local out = {}
for i = 1, #KEYS do
  local found = redis.call('HMGET', KEYS[i], 'doc', 'version')
  out[#out + 1] = found[1]
  out[#out + 1] = found[2]
end
return out
"""

_DELETE_SCRIPT = (
    """
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
local gone = redis.call('GET', KEYS[2])
if not gone or tonumber(gone) < tonumber(ARGV[1]) then
  local clock = redis.call('TIME')
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
  redis.call('SET', KEYS[4], tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000), 'EX', ARGV[3])
end
local old_key = redis.call('HGET', KEYS[1], 'key')
if old_key then redis.call('HDEL', KEYS[3], old_key) end
redis.call('HDEL', KEYS[3], ARGV[2])
"""
    + _NOTE_CHANGE
    + """
return redis.call('DEL', KEYS[1])
"""
)

_CHANGES_SCRIPT = """
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local out = {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('GET', KEYS[3]) or ''}
for i = 1, #found, 2 do
  out[#out + 1] = found[i]
  out[#out + 1] = found[i + 1]
  out[#out + 1] = redis.call('HGET', ARGV[3] .. found[i], 'doc') or false
end
return out
"""


# ARGV: the issue prefix, then issue ids: their documents (false where gone), in one call per batch
_DOCUMENTS_SCRIPT = """
local out = {}
for i = 2, #ARGV do
  out[i - 1] = redis.call('HGET', ARGV[1] .. ARGV[i], 'doc') or false
end
return out
"""


class StoredRead(NamedTuple):
    """One issue of a page read from Jira, ready for ``store_reads``."""

    document: dict[str, Any]
    encoded: bytes  # document_json(document)
    version: int


def document_json(document: dict[str, Any]) -> bytes:
    """A document as the mirror stores it: compact JSON with sorted keys, UTF-8 (orjson). It reads back
    equal to the document with ``json.loads``; what orjson cannot write so (an integer beyond 64 bits,
    a custom field's NaN or infinity, which it would make null) is written by ``json`` instead."""
    if all(_plain(value) for value in (document.get("custom") or {}).values()):
        try:
            return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            pass
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _plain(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, list) or all(_plain(item) for item in value)


class Snapshot(NamedTuple):
    """Every mirrored document as of change number ``seen`` of ``epoch`` (later changes: the feed)."""

    seen: int
    epoch: str
    documents: list[dict[str, Any]]


class RedisMirror:
    """The mirror every process shares, in Redis: the stored truth of the sync, written by the drain and
    by reads of Jira, read by the flush. ``okr.live.IndexedMirror`` is one process's copy of it in
    memory; ``sync.mirror_follower.MirrorFollower`` keeps that copy caught up through the change feed."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self._upsert = connection.register_script(_UPSERT_SCRIPT)
        self._upsert_page = connection.register_script(_UPSERT_PAGE_SCRIPT)
        self._read_page = connection.register_script(_READ_PAGE_SCRIPT)
        self._delete = connection.register_script(_DELETE_SCRIPT)
        self._note_change = connection.register_script(_NOTE_CHANGE)
        self._changes = connection.register_script(_CHANGES_SCRIPT)
        self._documents = connection.register_script(_DOCUMENTS_SCRIPT)
        self._epoch = uuid.uuid4().hex  # part of the epoch when this process makes change number 1

    def upsert(self, document: dict[str, Any], version: int, over_patches: bool = False) -> bool:
        """Store the state an event carries unless a newer state (or a later delete) is already there.
        A state of the same version as the stored one whose links were patched since (``set_link``) is
        not stored either: it is that state again, without the links (a delivery taken back after a
        worker died mid-drain). ``over_patches``: the document is Jira's current state, read just now
        (``store_read`` with the read starting now)."""
        if over_patches:
            return self.store_read(document, version, None)
        stored = self._store(document, version, read=False, read_started_ms=None)
        self.adopt_pending_links([document["id"]])
        return stored

    def upsert_events(self, states: list[tuple[dict[str, Any], int]]) -> list[tuple[bool, dict[str, Any] | None]]:
        """``upsert`` of each (document, version) in order, in one pipelined round trip; for each, whether
        it was stored and the document it found (None: the issue was not mirrored). Each state is read
        right before its own upsert, so a batch with two states of one issue compares the second with
        the first, as one call after the other would."""
        if not states:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for document, version in states:
            pipe.hget(ISSUE_PREFIX + document["id"], "doc")
            self._upsert(*self._upsert_call(document, document_json(document), version, False, None), client=pipe)
        ids = [document["id"] for document, _ in states]
        for issue_id in ids:
            pipe.exists(PENDING_LINKS + issue_id)
        answers = pipe.execute()
        replies, pending = answers[: 2 * len(states)], answers[2 * len(states) :]
        self._adopt([issue_id for issue_id, waiting in zip(ids, pending, strict=True) if waiting])
        return [
            (bool(stored), parsed_document(before) if before else None)
            for before, stored in zip(replies[0::2], replies[1::2], strict=True)
        ]

    def adopt_pending_links(self, issue_ids: Sequence[str]) -> None:
        """Apply the links heard of before these issues were mirrored, now that they are (a link's
        delivery can overtake the first one of the issue it points at)."""
        self._adopt([issue_id for issue_id in issue_ids if self.redis.exists(PENDING_LINKS + issue_id)])

    def _adopt(self, issue_ids: Sequence[str]) -> None:
        for issue_id in issue_ids:
            entries = {decoded(k): decoded(v) for k, v in self.redis.hgetall(PENDING_LINKS + issue_id).items()}
            links = [(link_id, json.loads(text) if text else None) for link_id, text in entries.items()]
            if all([self.set_link(issue_id, link_id, link) for link_id, link in links]):
                self.redis.delete(PENDING_LINKS + issue_id)  # kept otherwise: the issue is not mirrored (any more)

    def store_read(self, document: dict[str, Any], version: int, read_started_ms: int | None) -> bool:
        """Store what Jira answered to a read (resync, reconciliation) begun at ``read_started_ms`` (Redis
        time, ``server_time_ms``): it is the truth and replaces the stored state, whatever its version —
        an ``updated`` that went back in time, or one stamped in the future, is repaired. It loses only
        to what happened after the read began: an event with a newer version, or a delete."""
        return self._store(document, version, read=True, read_started_ms=read_started_ms)

    def _store(self, document: dict[str, Any], version: int, read: bool, read_started_ms: int | None) -> bool:
        keys, args = self._upsert_call(document, document_json(document), version, read, read_started_ms)
        return bool(self._upsert(keys=keys, args=args))

    def store_reads(self, reads: Sequence[StoredRead], read_started_ms: int | None) -> list[bool]:
        """``store_read`` for a page of documents (with their ``document_json``) in one Lua call, each by
        the same rules; whether each was stored, in order."""
        keys: list[str] = []
        args: list[Any] = []
        for document, encoded, version in reads:
            issue_keys, issue_args = self._upsert_call(document, encoded, version, True, read_started_ms)
            keys += issue_keys
            args += issue_args
        return [bool(stored) for stored in self._upsert_page(keys=keys, args=args)] if reads else []

    def _upsert_call(
        self, document: dict[str, Any], encoded: bytes, version: int, read: bool, read_started_ms: int | None
    ) -> tuple[list[str], list[Any]]:
        issue_id, key = document["id"], document["key"]
        keys = [
            ISSUE_PREFIX + issue_id,
            GONE_PREFIX + issue_id,
            KEY_INDEX,
            GONE_AT_PREFIX + issue_id,
            SEQUENCE,
            CHANGES,
            EPOCH,
        ]
        started = "" if read_started_ms is None else str(read_started_ms)
        return keys, [version, encoded, key, "1" if read else "0", started, self._epoch, issue_id]

    def server_time_ms(self) -> int:
        """Now by Redis's clock, the one the stored states' application times are in."""
        seconds, micros = self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    def delete(self, issue_id: str, key: str, version: int) -> bool:
        """Remove the issue and leave a tombstone so older deliveries cannot revive it."""
        keys = [
            ISSUE_PREFIX + issue_id,
            GONE_PREFIX + issue_id,
            KEY_INDEX,
            GONE_AT_PREFIX + issue_id,
            SEQUENCE,
            CHANGES,
            EPOCH,
        ]
        return bool(self._delete(keys=keys, args=[version, key, TOMBSTONE_SECONDS, self._epoch, issue_id]))

    @staticmethod
    def _keep_pending(pipe: redis.client.Pipeline, issue_id: str, link_id: str, link: dict[str, str] | None) -> None:
        """A link change of an issue not mirrored yet, kept until its first state is stored."""
        pipe.hset(PENDING_LINKS + issue_id, link_id, json.dumps(link) if link else "")
        pipe.expire(PENDING_LINKS + issue_id, PENDING_SECONDS)

    def set_link(self, issue_id: str, link_id: str, link: dict[str, str] | None) -> bool:
        """Add or replace (``link``) or remove (``None``) one link on a mirrored issue; for an issue not
        mirrored yet, the change is kept and applied when its first state is stored (False now)."""
        name = ISSUE_PREFIX + issue_id

        def patch(pipe: redis.client.Pipeline) -> bool:
            raw = pipe.hget(name, "doc")
            if not raw:
                pipe.multi()
                self._keep_pending(pipe, issue_id, link_id, link)
                return False
            document = json.loads(raw)
            links = [x for x in document.get("links", []) if x.get("id") != link_id]
            document["links"] = links + ([link] if link else [])
            pipe.multi()
            pipe.hset(name, mapping={"doc": document_json(document), "patched": "1"})
            self._note_change(keys=[SEQUENCE, CHANGES, EPOCH], args=[self._epoch, issue_id], client=pipe)
            return True

        # redis-py types ``func`` as returning None; with ``value_from_callable`` its value is the result
        return bool(self.redis.transaction(patch, name, value_from_callable=True))  # type: ignore[arg-type]

    def get_with_version(self, issue_id: str) -> tuple[dict[str, Any] | None, int | None]:
        """The stored document and its version, in one call."""
        raw, version = self.redis.hmget(ISSUE_PREFIX + issue_id, ["doc", "version"])
        return (json.loads(raw) if raw else None), (int(version) if version is not None else None)

    def stored_many(self, issue_ids: Sequence[str]) -> list[tuple[bytes | None, int | None]]:
        """The stored documents' JSON (as ``document_json`` wrote it, or ``json.dumps`` before) and their
        versions, for a page of issues in one call."""
        if not issue_ids:
            return []
        found = self._read_page(keys=[ISSUE_PREFIX + issue_id for issue_id in issue_ids], args=[])
        return [(found[n], int(found[n + 1]) if found[n + 1] is not None else None) for n in range(0, len(found), 2)]

    def get(self, key_or_id: str) -> dict[str, Any] | None:
        issue_id = self.redis.hget(KEY_INDEX, key_or_id)
        issue_id = decoded(issue_id) if issue_id else key_or_id
        raw = self.redis.hget(ISSUE_PREFIX + issue_id, "doc")
        return json.loads(raw) if raw else None

    def version(self, issue_id: str) -> int | None:
        raw = self.redis.hget(ISSUE_PREFIX + issue_id, "version")
        return int(raw) if raw is not None else None

    def version_of_key(self, key: str) -> int | None:
        """The stored version of the issue with this key; None when it is not mirrored."""
        issue_id = self.redis.hget(KEY_INDEX, key.upper())
        return self.version(decoded(issue_id)) if issue_id else None

    def count(self) -> int:
        return int(self.redis.hlen(KEY_INDEX))

    def sequence(self) -> tuple[int, str]:
        """The number of the latest change (0 before the first) and the epoch it counts in."""
        number, epoch = self.redis.mget(SEQUENCE, EPOCH)
        return int(number or 0), decoded(epoch or b"")

    def changes_since(
        self, seen: int, limit: int = 1000
    ) -> tuple[int, str, list[tuple[int, str, dict[str, Any] | None]]]:
        """The latest change number, the epoch, and up to ``limit`` issues changed after change number
        ``seen``, oldest first, as (change number, issue id, document or ``None`` when deleted); one
        atomic call. Another epoch than the one read with ``seen`` means the numbers started again."""
        found = self._changes(keys=[CHANGES, SEQUENCE, EPOCH], args=[seen, limit, ISSUE_PREFIX])
        out = []
        for start in range(2, len(found), 3):
            issue_id, number, raw = found[start : start + 3]
            out.append((int(float(number)), issue_id.decode(), json.loads(raw) if raw else None))
        return int(found[0]), found[1].decode(), out

    def write_snapshot(self, seen: int, epoch: str, documents: Iterable[Mapping[str, Any]]) -> int:
        """Store ``documents`` — the whole mirror as of change number ``seen`` of ``epoch``, each issue's
        state that change or a later one — as the snapshot (one call); the bytes written."""
        blob = b"[" + b",".join(document_json(cast("dict[str, Any]", document)) for document in documents) + b"]"
        self.redis.hset(SNAPSHOT, mapping={"seen": seen, "epoch": epoch, "documents": blob})
        return len(blob)

    def snapshot(self) -> Snapshot | None:
        """The stored snapshot; None when there is none."""
        seen, epoch, blob = self.redis.hmget(SNAPSHOT, ["seen", "epoch", "documents"])
        if seen is None or epoch is None or blob is None:
            return None
        try:
            documents = orjson.loads(blob)
        except orjson.JSONDecodeError:  # what json.dumps wrote and orjson refuses (NaN, big integers)
            documents = json.loads(blob)
        return Snapshot(int(seen), decoded(epoch), documents)

    def indexed(self) -> dict[str, str]:
        """Every mirrored issue's key → id, from the key index (scanned in steps, as ``documents``)."""
        return {decoded(key): decoded(issue_id) for key, issue_id in self.redis.hscan_iter(KEY_INDEX, count=1000)}

    def documents(self, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Every mirrored issue, in key order, read in batches (one call each) and parsed with orjson."""
        # scanned in steps rather than one HGETALL: 100,000 entries at once would hold Redis (and the
        # webhooks waiting on it) for tens of milliseconds; a SCAN may return an entry twice, hence the dict
        ids = [v.decode() for _, v in sorted(dict(self.redis.hscan_iter(KEY_INDEX, count=1000)).items())]
        for start in range(0, len(ids), batch):
            for raw in self._documents(args=[ISSUE_PREFIX, *ids[start : start + batch]]):
                if raw:
                    yield parsed_document(raw)


def parsed_document(raw: bytes) -> dict[str, Any]:
    """A stored document: orjson first (several times faster), the standard parser for what orjson
    refuses and ``json.dumps`` may have written (``NaN``, integers beyond 64 bits)."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = json.loads(raw)
    return cast("dict[str, Any]", document)
