"""Dirty tracking: an issue change marks the KRs it can affect; one coalesced flush follows."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Snapshot:
    """What finding the affected KRs reads of the configuration, read once per drained batch."""

    config: OkrConfig | None
    custom_fields: dict[str, str]
    own_account: str | None


class DirtyTracker:
    """Used by the drain job: which KRs did this batch of events touch?

    Inside ``batch()`` the configuration is read once and the marks and the recent ids are kept in
    memory, then written with ``pending_writes`` in the transaction that acknowledges the batch (a
    worker killed before it leaves the batch unacknowledged: the next drain applies it again). Outside
    a batch every call reads and writes Redis at once (reconciliation)."""

    def __init__(self, connection: redis.Redis, store: ConfigStore) -> None:
        self.redis = connection
        self.store = store
        self._snapshot: _Snapshot | None = None
        self._members: set[str] = set()
        self._triggers: list[Mapping[str, Any]] = []
        self._recent: list[str] = []
        self.marked = 0

    @contextmanager
    def batch(self) -> Iterator[DirtyTracker]:
        """Read the configuration once for the events applied inside; keep what they mark."""
        self._snapshot = self._read_snapshot()
        try:
            yield self
        finally:
            self._snapshot = None

    def issue_changed(
        self, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, trigger: Mapping[str, str]
    ) -> set[KrRef]:
        snapshot = self._snapshot or self._read_snapshot()
        config = snapshot.config
        if config is None:
            return set()
        context = JqlContext(
            at=datetime.now(UTC),
            tz=config.zone,
            custom_fields=snapshot.custom_fields,
            current_user=snapshot.own_account,
        )
        refs = affected_key_results(self._index_for(config), before, after, context)
        if refs:
            self._mark([ref_text(r) for r in refs], trigger)
        return refs

    def krs_changed(self, refs: Iterable[KrRef], trigger: Mapping[str, str]) -> None:
        """KRs something other than an issue changed (a person's check-in): recomputed and written."""
        members = [ref_text(r) for r in refs]
        if members:
            self._mark(members, trigger)

    def _read_snapshot(self) -> _Snapshot:
        return _Snapshot(self.store.current(), self.store.field_names(), self.store.own_account())

    def everything_changed(self, trigger: Mapping[str, str]) -> None:
        """Every KR is recomputed and written by the next flush."""
        self._mark([ALL_DIRTY], trigger)

    def heard_of(self, *issue_ids: str) -> None:
        """Remember recent ids: reconciliation asks Cloud's search to include them despite index lag."""
        if self._snapshot is not None:
            self._recent += issue_ids
            return
        pipe = self.redis.pipeline(transaction=False)
        _remember_recent(pipe, list(issue_ids))
        pipe.execute()

    def pending_writes(self, pipe: redis.client.Pipeline) -> None:
        """Add what the batch marked and heard of to ``pipe`` (the batch's acknowledgement), and forget it."""
        if self._members:
            _add_marks(pipe, self._members, self._triggers)
        _remember_recent(pipe, self._recent)
        self._members, self._triggers, self._recent = set(), [], []

    def _mark(self, members: list[str], trigger: Mapping[str, str]) -> None:
        self.marked += len(members)
        if self._snapshot is None:
            mark(self.redis, members, trigger)
            return
        self._members.update(members)
        self._triggers.append({**trigger, "at": time.time()})

    def _index_for(self, config: OkrConfig) -> KrIndex:
        """The KR index of this configuration, built once per process (every drain makes a tracker)."""
        global _latest_index
        if _latest_index is None or _latest_index[0] is not config:
            _latest_index = (config, kr_index(config))
        return _latest_index[1]


# The configuration (held, so that no other object takes its identity) and its KR index; the store parses
# a configuration once per revision, so a new revision brings a new object and a new index.
_latest_index: tuple[OkrConfig, KrIndex] | None = None


def _remember_recent(pipe: redis.client.Pipeline, issue_ids: list[str]) -> None:
    if issue_ids:
        pipe.lpush(RECENT_IDS, *issue_ids[-RECENT_KEPT:])
        pipe.ltrim(RECENT_IDS, 0, RECENT_KEPT - 1)


def _add_marks(pipe: redis.client.Pipeline, members: Iterable[str], triggers: list[Mapping[str, Any]]) -> None:
    """The newest TRIGGERS_KEPT triggers pushed in their order, as one ``mark`` each would leave them."""
    pipe.sadd(DIRTY, *members)
    pipe.lpush(TRIGGERS, *(json.dumps(t) for t in triggers[-TRIGGERS_KEPT:]))
    pipe.ltrim(TRIGGERS, 0, TRIGGERS_KEPT - 1)


def mark(connection: redis.Redis, members: Iterable[str], trigger: Mapping[str, str]) -> None:
    pipe = connection.pipeline(transaction=True)
    _add_marks(pipe, members, [{**trigger, "at": time.time()}])
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
