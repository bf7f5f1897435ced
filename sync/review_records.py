"""The dated records of the problem reviews, in Redis (``keys.PROBLEM_REVIEWS``: "program@YYYY-MM-DD" →
JSON record): the program page and the next review count "new" from the latest one's time."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

import redis

from sync import keys
from sync.redis_text import decoded

log = logging.getLogger(__name__)

REVIEWS = keys.PROBLEM_REVIEWS


def latest_review(connection: redis.Redis, program_id: str, before: date | None = None) -> dict[str, Any] | None:
    """The program's latest review record (by its day; with ``before``, the latest of an earlier day),
    None before the first one."""
    prefix = f"{program_id}@"
    days = sorted(k[len(prefix) :] for k in (decoded(f) for f in connection.hkeys(REVIEWS)) if k.startswith(prefix))
    if before is not None:
        days = [d for d in days if d < f"{before:%Y-%m-%d}"]
    if not days:
        return None
    raw = connection.hget(REVIEWS, prefix + days[-1])
    try:
        record = json.loads(raw or "")
    except ValueError:
        log.warning(
            "the problem review record %s@%s is not readable; counting as if there were none", program_id, days[-1]
        )
        return None
    return record if isinstance(record, dict) else None


def has_review(connection: redis.Redis, program_id: str, day: date) -> bool:
    """Is the record of the program's review of ``day`` stored?"""
    return bool(connection.hexists(REVIEWS, f"{program_id}@{day:%Y-%m-%d}"))


def latest_review_at(connection: redis.Redis, program_id: str) -> datetime | None:
    """When the program's latest review was taken: problems created after it are new."""
    record = latest_review(connection, program_id)
    try:
        return datetime.fromisoformat(str(record["at"])) if record else None
    except (KeyError, ValueError):
        return None


def store_review(connection: redis.Redis, program_id: str, record: dict[str, Any]) -> None:
    connection.hset(REVIEWS, f"{program_id}@{record['day']}", json.dumps(record))
