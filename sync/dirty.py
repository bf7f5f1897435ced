"""Dirty tracking: an issue change marks the KRs it can affect; one coalesced flush follows."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import redis

from jql.query import JqlContext
from mapping.models import OkrConfig
from okr.incremental import KrIndex, KrRef, affected_key_results, kr_index
from sync import keys
from sync.config_store import ConfigStore

DIRTY = keys.DIRTY  # set of "set-id/kr-id"
ALL_DIRTY = "*"  # member meaning: every KR
TRIGGERS = keys.DIRTY_TRIGGERS  # list of JSON triggers since the last flush (capped)
IN_FLUSH = keys.IN_FLUSH  # what the running flush took
FLUSH_FLAG = keys.FLUSH_FLAG
FLUSH_FLAG_SECONDS = 60
TRIGGERS_KEPT = 20
RECENT_IDS = keys.RECENT_ISSUE_IDS
RECENT_KEPT = 50  # Jira Cloud's reconcileIssues takes at most 50 ids


def ref_text(ref: KrRef) -> str:
    return f"{ref[0]}/{ref[1]}"


def ref_from_text(text: str) -> KrRef:
    set_id, kr_id = text.split("/", 1)
    return set_id, kr_id


class DirtyTracker:
    """Used by the drain job: which KRs did this batch of events touch?"""

    def __init__(self, connection: redis.Redis, store: ConfigStore) -> None:
        self.redis = connection
        self.store = store
        self._index: tuple[int, KrIndex] | None = None
        self.marked = 0

    def issue_changed(
        self, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, trigger: Mapping[str, str]
    ) -> set[KrRef]:
        config = self.store.current()
        if config is None:
            return set()
        context = JqlContext(
            at=datetime.now(UTC),
            tz=config.zone,
            custom_fields=self.store.field_names(),
            current_user=self.store.own_account(),
        )
        refs = affected_key_results(self._index_for(config), before, after, context)
        if refs:
            mark(self.redis, [ref_text(r) for r in refs], trigger)
            self.marked += len(refs)
        return refs

    def krs_changed(self, refs: Iterable[KrRef], trigger: Mapping[str, str]) -> None:
        """KRs something other than an issue changed (a person's check-in): recomputed and written."""
        members = [ref_text(r) for r in refs]
        if members:
            mark(self.redis, members, trigger)
            self.marked += len(members)

    def heard_of(self, issue_id: str) -> None:
        """Remember recent ids: reconciliation asks Cloud's search to include them despite index lag."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(RECENT_IDS, issue_id)
        pipe.ltrim(RECENT_IDS, 0, RECENT_KEPT - 1)
        pipe.execute()

    def _index_for(self, config: OkrConfig) -> KrIndex:
        revision = self.store.revision()
        if self._index is None or self._index[0] != revision:
            self._index = (revision, kr_index(config))
        return self._index[1]


def mark(connection: redis.Redis, members: Iterable[str], trigger: Mapping[str, str]) -> None:
    pipe = connection.pipeline(transaction=True)
    pipe.sadd(DIRTY, *members)
    pipe.lpush(TRIGGERS, json.dumps({**trigger, "at": time.time()}))
    pipe.ltrim(TRIGGERS, 0, TRIGGERS_KEPT - 1)
    pipe.execute()


def mark_all(connection: redis.Redis, trigger: Mapping[str, str]) -> None:
    mark(connection, [ALL_DIRTY], trigger)


def claim_dirty(connection: redis.Redis) -> tuple[set[str], list[dict[str, Any]]] | None:
    """Move the dirty set into the flush's own set, together with what a killed flush left there.

    The flush deletes its set only when it finished (``finish_claim``), so work taken by a worker
    that died is done by the next flush. None when nothing is dirty.
    """
    pipe = connection.pipeline(transaction=True)
    pipe.sunionstore(IN_FLUSH, [IN_FLUSH, DIRTY])
    pipe.delete(DIRTY)
    pipe.smembers(IN_FLUSH)
    pipe.lrange(TRIGGERS, 0, -1)
    pipe.delete(TRIGGERS)
    _, _, members, triggers, _ = pipe.execute()
    if not members:
        return None
    return {m.decode() for m in members}, [json.loads(t) for t in triggers]


def finish_claim(connection: redis.Redis) -> None:
    connection.delete(IN_FLUSH)
