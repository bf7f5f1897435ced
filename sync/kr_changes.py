"""Changes of each KR's baseline, target, metric or kind, recorded when a configuration is applied.

One list per KR (``okrsync:kr-changes:<set>/<kr>``), JSON entries oldest first:
``{"field", "from", "to", "at", "author", "revision"}``; the newest ``CHANGES_KEPT`` are kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis

from mapping.models import OkrSet
from okr.kr_changes import KrChange
from sync import keys

CHANGES = keys.KR_CHANGES_PREFIX
CHANGES_KEPT = 200  # per KR, the newest


def changes_key(set_id: str, kr_id: str) -> str:
    return f"{CHANGES}{set_id}/{kr_id}"


def queue_kr_changes(
    pipe: redis.client.Pipeline, changes: Sequence[KrChange], author: str, at: datetime, revision: int
) -> None:
    """Add the changes to ``pipe`` (the transaction that applies the configuration)."""
    for change in changes:
        entry = {
            "field": change.field,
            "from": change.old,
            "to": change.new,
            "at": at.isoformat(),
            "author": author,
            "revision": revision,
        }
        key = changes_key(change.set_id, change.kr_id)
        pipe.rpush(key, json.dumps(entry, separators=(",", ":")))
        pipe.ltrim(key, -CHANGES_KEPT, -1)


def kr_changes_of(connection: redis.Redis, set_id: str, kr_id: str) -> list[dict[str, Any]]:
    """One KR's recorded changes, oldest first."""
    return [json.loads(raw) for raw in connection.lrange(changes_key(set_id, kr_id), 0, -1)]


def kr_changes_of_set(connection: redis.Redis, okr_set: OkrSet) -> dict[str, list[dict[str, Any]]]:
    """Each KR's recorded changes (KR id → entries, oldest first), in one round trip."""
    ids = [kr.id for o in okr_set.objectives for kr in o.key_results]
    pipe = connection.pipeline(transaction=False)
    for kr_id in ids:
        pipe.lrange(changes_key(okr_set.id, kr_id), 0, -1)
    return {kr_id: [json.loads(raw) for raw in rows] for kr_id, rows in zip(ids, pipe.execute(), strict=True)}
