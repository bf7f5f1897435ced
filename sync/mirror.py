"""The issue mirror in Redis: one compact document per issue, newest state wins.

Keys: ``okrsync:mirror:issue:<id>`` (hash: ``doc`` JSON, ``version`` ms, ``key``), the index
``okrsync:mirror:keys`` (issue key → id) and tombstones ``okrsync:mirror:gone:<id>`` that stop a
late delivery from bringing a deleted issue back. Every write is one Lua call, so concurrent
workers cannot interleave a compare and a set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import redis

ISSUE_PREFIX = "okrsync:mirror:issue:"
GONE_PREFIX = "okrsync:mirror:gone:"
KEY_INDEX = "okrsync:mirror:keys"
TOMBSTONE_SECONDS = 30 * 24 * 3600

_UPSERT_SCRIPT = """
local gone = redis.call('GET', KEYS[2])
if gone and tonumber(gone) >= tonumber(ARGV[1]) then return 0 end
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
local old_key = redis.call('HGET', KEYS[1], 'key')
if old_key and old_key ~= ARGV[3] then redis.call('HDEL', KEYS[3], old_key) end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'doc', ARGV[2], 'key', ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
return 1
"""

_DELETE_SCRIPT = """
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
local gone = redis.call('GET', KEYS[2])
if not gone or tonumber(gone) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
end
local old_key = redis.call('HGET', KEYS[1], 'key')
if old_key then redis.call('HDEL', KEYS[3], old_key) end
redis.call('HDEL', KEYS[3], ARGV[2])
return redis.call('DEL', KEYS[1])
"""

class Mirror:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self._upsert = connection.register_script(_UPSERT_SCRIPT)
        self._delete = connection.register_script(_DELETE_SCRIPT)

    def upsert(self, document: dict[str, Any], version: int) -> bool:
        """Store ``document`` unless a newer state (or a later delete) is already there."""
        issue_id, key = document["id"], document["key"]
        keys = [ISSUE_PREFIX + issue_id, GONE_PREFIX + issue_id, KEY_INDEX]
        doc = json.dumps(document, separators=(",", ":"), sort_keys=True)
        return bool(self._upsert(keys=keys, args=[version, doc, key, issue_id]))

    def delete(self, issue_id: str, key: str, version: int) -> bool:
        """Remove the issue and leave a tombstone so older deliveries cannot revive it."""
        keys = [ISSUE_PREFIX + issue_id, GONE_PREFIX + issue_id, KEY_INDEX]
        return bool(self._delete(keys=keys, args=[version, key, TOMBSTONE_SECONDS]))

    def set_link(self, issue_id: str, link_id: str, link: dict[str, str] | None) -> bool:
        """Add or replace (``link``) or remove (``None``) one link on a mirrored issue."""
        name = ISSUE_PREFIX + issue_id

        def patch(pipe: redis.client.Pipeline) -> bool:
            raw = pipe.hget(name, "doc")
            if not raw:
                return False
            document = json.loads(raw)
            links = [x for x in document.get("links", []) if x.get("id") != link_id]
            document["links"] = links + ([link] if link else [])
            pipe.multi()
            pipe.hset(name, "doc", json.dumps(document, separators=(",", ":"), sort_keys=True))
            return True

        return bool(self.redis.transaction(patch, name, value_from_callable=True))

    def get(self, key_or_id: str) -> dict[str, Any] | None:
        issue_id = self.redis.hget(KEY_INDEX, key_or_id)
        issue_id = issue_id.decode() if issue_id else key_or_id
        raw = self.redis.hget(ISSUE_PREFIX + issue_id, "doc")
        return json.loads(raw) if raw else None

    def version(self, issue_id: str) -> int | None:
        raw = self.redis.hget(ISSUE_PREFIX + issue_id, "version")
        return int(raw) if raw is not None else None

    def count(self) -> int:
        return int(self.redis.hlen(KEY_INDEX))

    def documents(self, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Every mirrored issue, in key order, read in pipelined batches."""
        ids = [v.decode() for _, v in sorted(self.redis.hgetall(KEY_INDEX).items())]
        for start in range(0, len(ids), batch):
            pipe = self.redis.pipeline(transaction=False)
            for issue_id in ids[start : start + batch]:
                pipe.hget(ISSUE_PREFIX + issue_id, "doc")
            for raw in pipe.execute():
                if raw:
                    yield json.loads(raw)
