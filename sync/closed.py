"""The close records of closed cycles, kept in Redis (``keys.CLOSES``: cycle id → JSON record)."""

from __future__ import annotations

import json
import logging

import redis

from okr.closing import CloseRecord
from sync import keys
from sync.redis_text import decoded

log = logging.getLogger(__name__)

CLOSES = keys.CLOSES


def close_records(connection: redis.Redis) -> dict[str, CloseRecord]:
    """Every cycle's close record; one that cannot be read is left out (and logged): its cycle reads live."""
    records = {}
    for cycle, raw in connection.hgetall(CLOSES).items():
        try:
            record = CloseRecord.from_dict(json.loads(raw))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            log.warning("close record of %s not read: %s", decoded(cycle), exc)
            continue
        records[record.cycle] = record
    return records


def store_record(connection: redis.Redis, record: CloseRecord, replace: bool) -> bool:
    """Keep ``record``; unless ``replace``, only when its cycle has none yet (False then)."""
    text = json.dumps(record.to_dict(), default=str)
    if replace:
        connection.hset(CLOSES, record.cycle, text)
        return True
    return bool(connection.hsetnx(CLOSES, record.cycle, text))
