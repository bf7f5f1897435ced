"""When each ritual's latest page was written, and its latest failure, in Redis (``keys.CADENCE_PAGES``:
"set-or-program-id/ritual" → JSON), for Sync health: the weekly digest, the monthly review and the
close page of each set, the dated review of each problem program.

    record_written(redis, "shop", "weekly", page.title, page.url, at)   # the page was created or refreshed
    record_failed(redis, "shop", "weekly", title, reason, at)           # kept: the last write before it
    cadence_writes(redis)                                               # every record, for the health page

A record holds ``title``, ``url``, ``written_at`` (ISO) of the last write, and ``failed_title``,
``failed_at``, ``reason`` of a failure since then (cleared by the next write).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import redis

from sync import keys
from sync.redis_text import decoded

log = logging.getLogger(__name__)

PAGES = keys.CADENCE_PAGES
NO_FAILURE = {"failed_title": None, "failed_at": None, "reason": None}


def _field(owner_id: str, ritual: str) -> str:
    return f"{owner_id}/{ritual}"


def _parsed(field: str, raw: bytes | str | None) -> dict[str, Any]:
    try:
        found = json.loads(raw) if raw is not None else {}
    except ValueError:
        log.warning("the cadence page record %s is not readable; starting it again", field)
        return {}
    return found if isinstance(found, dict) else {}


def record_written(
    connection: redis.Redis, owner_id: str, ritual: str, title: str, url: str | None, at: datetime
) -> None:
    record = {"title": title, "url": url, "written_at": at.isoformat(), **NO_FAILURE}
    connection.hset(PAGES, _field(owner_id, ritual), json.dumps(record))


def record_failed(connection: redis.Redis, owner_id: str, ritual: str, title: str, reason: str, at: datetime) -> None:
    """The failure next to the last write, which stays listed (it is still the latest page there)."""
    field = _field(owner_id, ritual)
    failure = {"failed_title": title, "failed_at": at.isoformat(), "reason": reason}
    connection.hset(PAGES, field, json.dumps({**_parsed(field, connection.hget(PAGES, field)), **failure}))


def cadence_writes(connection: redis.Redis) -> dict[tuple[str, str], dict[str, Any]]:
    """(owner id, ritual) → its record; unreadable records are left out."""
    found = {}
    for raw_field, raw in connection.hgetall(PAGES).items():
        field = decoded(raw_field)
        owner_id, _, ritual = field.rpartition("/")
        record = _parsed(field, raw)
        if owner_id and record:
            found[(owner_id, ritual)] = record
    return found
