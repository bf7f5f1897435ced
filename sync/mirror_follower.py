"""This process's copy of the mirror in memory (``okr.live.IndexedMirror``), caught up from the change
feed of the mirror in Redis (``sync.mirror.RedisMirror``) before each use: a flush then re-evaluates
the KRs an event touched from kept selections instead of reading and scanning every mirrored issue.
Loaded once per process (a long-lived worker), again only when the zone or the custom fields change
or the mirror in Redis was emptied. A selection first asked for by a flush is made after that flush
(``keep_deferred``): the flush reads its metric by a pass over the issues, and answers sooner."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Mapping
from datetime import datetime, tzinfo

from okr.live import IndexedMirror
from sync.mirror import RedisMirror

log = logging.getLogger(__name__)

CATCH_UP_BATCH = 1000


class MirrorFollower:
    """Follows a ``RedisMirror``'s change feed to keep one ``IndexedMirror`` current: read whole once,
    then only what changed; read whole again when the feed's numbers started over."""

    def __init__(self, mirror: RedisMirror) -> None:
        self._mirror = mirror
        self._live: IndexedMirror | None = None
        self._seen = 0
        self._epoch = ""
        self._kept_when_frozen = -1
        self.loads = 0  # full reads of the mirror, for the tests and the stats

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
        self._seen, self._epoch = self._mirror.sequence()  # later changes are caught up after the read
        self._live = None  # the old copy goes before the new one is read
        self._live = IndexedMirror(tz, custom_fields, self._mirror.documents(), defer_selections=True)
        self.loads += 1
        log.info("mirror in memory: %d issue(s) read in %.2fs", len(self._live), time.perf_counter() - started)
        return self._live

    def _catch_up(self, live: IndexedMirror) -> bool:
        """Apply what changed since the last look; ``False`` when the mirror was started again."""
        while True:
            latest, epoch, changes = self._mirror.changes_since(self._seen, CATCH_UP_BATCH)
            if epoch != self._epoch or latest < self._seen:
                return False
            for number, issue_id, document in changes:
                if document is None:
                    live.remove(issue_id)
                else:
                    live.put(document)
                self._seen = number
            if len(changes) < CATCH_UP_BATCH:
                return True
