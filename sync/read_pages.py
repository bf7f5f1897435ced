"""What a Jira search answered, stored over the mirror a page at a time (resync, reconciliation).

Per page of up to 100 issues: the documents are projected (``sync.documents``) and written as JSON once;
the stored ones are read in one Redis call and compared (the same bytes are the same document; other
bytes are parsed and compared as documents, so a document stored otherwise is not taken for a change);
the differing ones are stored in one Lua call (each issue by the mirror's rules for a read of Jira); and
the KRs the changed issues can affect are marked dirty in one transaction, with the page's triggers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import redis

from jql.query import JqlContext
from okr.incremental import KrRef, affected_key_results
from sync.dirty import DIRTY, TRIGGERS, TRIGGERS_KEPT, DirtyTracker, mark_all, ref_text
from sync.documents import issue_document
from sync.handlers import FUTURE_SKEW_MS
from sync.mirror import RedisMirror, StoredRead, document_json
from webhooks.jiratime import parse_jira_time

MARK_EVERY_KR_AFTER = 500  # changed issues in one walk beyond which every KR is recomputed
Change = tuple[dict[str, Any] | None, dict[str, Any]]  # (stored before, stored now)


class Drift(Protocol):
    """Where a page's figures go (``sync.reconcile.SyncReport``)."""

    seen: int
    watermark: int | None

    def count_drift(self, key: str) -> None: ...


@dataclass
class PageTimes:
    """Seconds spent on a walk's pages: projecting them onto documents and JSON, and in Redis (reading,
    comparing, storing, marking)."""

    convert: float = 0.0
    store: float = 0.0


class PageTracker(DirtyTracker):
    """``DirtyTracker`` for pages: one JQL context and one transaction per page, not per issue. Once a
    walk has changed more than ``MARK_EVERY_KR_AFTER`` issues (a first resync changes them all) every KR
    is marked once instead, and the KRs of each issue are no longer looked for."""

    every_kr = False
    changed = 0

    def pages_issues_changed(self, changes: Sequence[Change], trigger: Mapping[str, str]) -> set[KrRef]:
        config = self.store.current() if changes and not self.every_kr else None
        if config is None:
            return set()
        self.changed += len(changes)
        if self.changed > MARK_EVERY_KR_AFTER:
            mark_all(self.redis, {**trigger, "issues": f"more than {MARK_EVERY_KR_AFTER}"})
            self.every_kr, self.marked = True, self.marked + 1
            return set()
        context = JqlContext(
            at=datetime.now(UTC),
            tz=config.zone,
            custom_fields=self.store.field_names(),
            current_user=self.store.own_account(),
        )
        index = self._index_for(config)
        refs: set[KrRef] = set()
        triggers = []
        for before, after in changes:
            found = affected_key_results(index, before, after, context)
            if found:
                refs |= found
                triggers.append({**trigger, "issue": after["key"]})
        if refs:
            mark_with_triggers(self.redis, sorted(ref_text(r) for r in refs), triggers)
            self.marked += len(refs)
        return refs


def mark_with_triggers(connection: redis.Redis, members: Sequence[str], triggers: Sequence[Mapping[str, str]]) -> None:
    """``sync.dirty.mark`` for many triggers at once: the newest ``TRIGGERS_KEPT`` of them are kept."""
    at = time.time()
    pipe = connection.pipeline(transaction=True)
    pipe.sadd(DIRTY, *members)
    pipe.lpush(TRIGGERS, *[json.dumps({**t, "at": at}) for t in triggers[-TRIGGERS_KEPT:]])
    pipe.ltrim(TRIGGERS, 0, TRIGGERS_KEPT - 1)
    pipe.execute()


def store_page(
    mirror: RedisMirror,
    issues: Sequence[dict[str, Any]],
    report: Drift,
    tracker: PageTracker,
    trigger: Mapping[str, str],
    read_started_ms: int,
    times: PageTimes | None = None,
) -> None:
    """Store one page of Jira's answer where it differs from the mirror (the document, or only its
    version: an ``updated`` that went back in time or was stamped in the future is set right too)."""
    begun = time.perf_counter()
    documents = [issue_document(issue) for issue in issues]
    versions = [clamped_version(issue_version(issue), read_started_ms) for issue in issues]
    encoded = [document_json(document) for document in documents]
    converted = time.perf_counter()
    stored = mirror.stored_many([document["id"] for document in documents])
    reads, befores = differing(documents, encoded, versions, stored)
    changes: list[Change] = []
    for read, (before, same), applied in zip(reads, befores, mirror.store_reads(reads, read_started_ms), strict=True):
        if applied and not same:
            report.count_drift(read.document["key"])
            changes.append((before, read.document))
    tracker.pages_issues_changed(changes, trigger)
    report.seen += len(issues)
    report.watermark = max([report.watermark or 0, *versions])
    if times is not None:
        times.convert += converted - begun
        times.store += time.perf_counter() - converted


def differing(
    documents: Sequence[dict[str, Any]],
    encoded: Sequence[bytes],
    versions: Sequence[int],
    stored: Sequence[tuple[bytes | None, int | None]],
) -> tuple[list[StoredRead], list[tuple[dict[str, Any] | None, bool]]]:
    """The reads to store (their document or version differs from the stored one), each with the
    stored document and whether the document itself is the same."""
    reads, befores = [], []
    for document, raw, version, (stored_raw, stored_version) in zip(documents, encoded, versions, stored, strict=True):
        same = stored_raw == raw
        before = None
        if not same and stored_raw is not None:
            before = json.loads(stored_raw)
            same = before == document
        if not same or stored_version != version:
            reads.append(StoredRead(document, raw, version))
            befores.append((before, same))
    return reads, befores


def clamped_version(version: int, read_started_ms: int) -> int:
    """As for events (sync.handlers.event_version): an ``updated`` more than the skew after the read
    began counts as the read's start, so a Jira clock running ahead orders reads and events alike."""
    return read_started_ms if version > read_started_ms + FUTURE_SKEW_MS else version


def issue_version(issue: dict[str, Any]) -> int:
    """An issue's version: its ``updated`` in epoch ms (0 when it has none that parses)."""
    updated = (issue.get("fields") or {}).get("updated")
    try:
        return int(parse_jira_time(updated).timestamp() * 1000)
    except (TypeError, ValueError):
        return 0
