"""This process's copy of the mirror in memory (``okr.live.IndexedMirror``), caught up from the change
feed of the mirror in Redis (``sync.mirror.RedisMirror``) before each use: a flush then re-evaluates
the KRs an event touched from kept selections instead of reading and scanning every mirrored issue.
Loaded once per process (a long-lived worker), again only when the zone or the custom fields change
or the mirror in Redis was emptied. A selection first asked for by a flush is made after that flush
(``keep_deferred``): the flush reads its metric by a pass over the issues, and answers sooner.

A load starts from the mirror's snapshot (``RedisMirror.snapshot``) when it is of the current epoch,
then replays the change feed after its change number as any catch-up does; otherwise it reads every
issue. After a flush (``after_flush``) the copy writes a new snapshot when it read every issue, or
replayed many changes since it last wrote one, so that the next process starts from a recent one."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from okr.live import IndexedMirror, collector_paused
from sync.mirror import RedisMirror, Snapshot

log = logging.getLogger(__name__)

CATCH_UP_BATCH = 1000
SNAPSHOT_AFTER_CHANGES = 10_000  # or a fifth of the issues, whichever is more: replayed since, a new one


class MirrorFollower:
    """Follows a ``RedisMirror``'s change feed to keep one ``IndexedMirror`` current: read whole once,
    then only what changed; read whole again when the feed's numbers started over."""

    def __init__(self, mirror: RedisMirror) -> None:
        self._mirror = mirror
        self._live: IndexedMirror | None = None
        self._seen = 0
        self._epoch = ""
        self._kept_when_frozen = -1
        self._replayed = 0  # changes applied since the snapshot was last written or read
        self._snapshot_due = False  # every issue was read: no snapshot holds what this copy does
        self.loads = 0  # whole loads of the mirror (from the snapshot or a full read), for the tests
        self.from_snapshot = 0  # of those, the loads that started from the snapshot

    def current(self, tz: tzinfo, custom_fields: Mapping[str, str]) -> IndexedMirror:
        """The mirror as Redis has it now, with every selection kept so far."""
        live = self._live
        if live is None or live.tz != tz or live.custom_fields != dict(custom_fields):
            live = self._load(tz, custom_fields)
        if not self._catch_up(live):
            live = self._load(tz, custom_fields)
            self._catch_up(live)
        if live.kept != self._kept_when_frozen:  # selections made by the last flush live as long
            self._freeze(live)
        return live

    def keep_deferred(self, at: datetime) -> int:
        """Make the selections the last evaluations asked for and read by a pass meanwhile, exact at
        ``at`` (between flushes, so that the next flush reads them); how many were made."""
        live = self._live
        if live is None or not live.deferred:
            return 0
        made = live.deferred
        live.keep_deferred(at)
        self._freeze(live)
        return made

    def _freeze(self, live: IndexedMirror) -> None:
        """Leave what lives as long as the worker out of the collector's full passes (a pass over
        millions of kept objects would stall a flush)."""
        gc.freeze()
        self._kept_when_frozen = live.kept

    def _load(self, tz: tzinfo, custom_fields: Mapping[str, str]) -> IndexedMirror:
        started = time.perf_counter()
        self._live = None  # the old copy goes before the new one is read
        with collector_paused():  # a hundred thousand documents parsed at once: nothing to collect
            snapshot = self._usable_snapshot()
        documents: Iterable[dict[str, Any]]
        if snapshot is None:
            self._seen, self._epoch = self._mirror.sequence()  # later changes are caught up after the read
            documents = self._mirror.documents()
        else:
            self._seen, self._epoch, documents = snapshot
            self.from_snapshot += 1
        self._live = IndexedMirror(tz, custom_fields, documents, defer_selections=True)
        self._replayed, self._snapshot_due = 0, snapshot is None
        self.loads += 1
        log.info(
            "mirror in memory: %d issue(s) read from %s in %.2fs",
            len(self._live),
            "a full read" if snapshot is None else f"the snapshot at change {self._seen}",
            time.perf_counter() - started,
        )
        return self._live

    def _usable_snapshot(self) -> Snapshot | None:
        """The stored snapshot when it belongs to the mirror's current numbering; None otherwise."""
        latest, epoch = self._mirror.sequence()
        snapshot = self._mirror.snapshot()
        if snapshot is None or not epoch or snapshot.epoch != epoch or snapshot.seen > latest:
            return None
        return snapshot

    def after_flush(self, at: datetime) -> None:
        """What waits until a flush has answered: the deferred selections, then a snapshot if due."""
        self.keep_deferred(at)
        self.write_snapshot_if_due()

    def write_snapshot_if_due(self) -> bool:
        """Write this copy as the mirror's snapshot when it read every issue or replayed many changes
        since one was last written or read; whether it wrote one."""
        live = self._live
        if live is None or not (self._snapshot_due or self._replayed > max(SNAPSHOT_AFTER_CHANGES, len(live) // 5)):
            return False
        ordered = sorted(live.documents(), key=lambda document: str(document.get("key", "")).encode())
        size = self._mirror.write_snapshot(self._seen, self._epoch, ordered)
        self._replayed, self._snapshot_due = 0, False
        log.info("mirror snapshot written: %d issue(s) as of change %d, %d bytes", len(ordered), self._seen, size)
        return True

    def _catch_up(self, live: IndexedMirror) -> bool:
        """Apply what changed since the last look; ``False`` when the mirror was started again."""
        while True:
            latest, epoch, changes = self._mirror.changes_since(self._seen, CATCH_UP_BATCH)
            if epoch != self._epoch or latest < self._seen:
                return False
            self._replayed += len(changes)
            for number, issue_id, document in changes:
                if document is None:
                    live.remove(issue_id)
                else:
                    live.put(document)
                self._seen = number
            if len(changes) < CATCH_UP_BATCH:
                return True
