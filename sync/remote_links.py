"""The remote links the service wrote, so that a link whose epic left its KR's scope, or whose KR was
removed, is deleted from Jira (by its ``globalId``).

A link is remembered *before* it is sent: a worker that dies between the two leaves a record of a link
that may exist, never a link nobody knows of. Deleting one that is not there (404) counts as done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis

from connector.errors import ConnectorError, NotFound
from mapping.models import OkrConfig
from publish.jira import KrRef, Write
from publish.remote_links import GLOBAL_ID_PREFIX, LinkPlaces, plan_remote_links
from sync import keys
from sync.confluence_writer import page_urls
from sync.dirty import ref_from_text
from sync.jira_writer import WriteGuard
from sync.redis_text import decoded
from sync.runtime import Runtime

LINKS = keys.REMOTE_LINKS  # target → JSON {"issue", "globalId", "kr"} of a link sent to Jira
WRITTEN = keys.WRITTEN  # target → digest of the content last written (forgotten with the link)


class LinkDeleter(Protocol):
    def delete_remote_link(self, key: str, global_id: str) -> None: ...


@dataclass(frozen=True)
class LinkRecord:
    issue: str
    global_id: str
    ref: KrRef


@dataclass
class LinkPlan:
    writes: list[Write]  # the links wanted now (written when their content changed)
    stale: list[tuple[str, LinkRecord]]  # links written earlier that are no longer wanted


@dataclass
class Unlinked:
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)


class RemoteLinkStore:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def all(self) -> dict[str, LinkRecord]:
        found = {}
        for target, raw in self.redis.hgetall(LINKS).items():
            value = json.loads(decoded(raw))
            found[decoded(target)] = LinkRecord(value["issue"], value["globalId"], ref_from_text(value["kr"]))
        return found

    def remember(self, writes: Iterable[Write]) -> None:
        mapping: dict[Any, Any] = {
            w.target: json.dumps({"issue": w.issue, "globalId": w.payload["globalId"], "kr": _kr_of(w)}) for w in writes
        }
        if mapping:
            self.redis.hset(LINKS, mapping=mapping)

    def forget(self, target: str) -> None:
        """The link is gone from Jira: forget it, and what was written, so a return writes it anew."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(LINKS, target)
        pipe.hdel(WRITTEN, target)
        pipe.execute()


def _kr_of(write: Write) -> str:
    """The KR a link stands for, "set/kr", from its ``globalId``."""
    return str(write.payload["globalId"]).removeprefix(GLOBAL_ID_PREFIX)


def link_places(runtime: Runtime, config: OkrConfig) -> LinkPlaces:
    """Where the links point: the sets' Confluence pages known so far, the service's public address."""
    return LinkPlaces(runtime.settings.public_url, page_urls(runtime.redis, config))


def plan_links(
    runtime: Runtime,
    config: OkrConfig,
    statuses: Mapping[KrRef, dict[str, Any]],
    epics: Mapping[KrRef, list[str]],
    refs: set[KrRef] | None,
) -> LinkPlan:
    """The links wanted for the KRs among ``refs`` (all: None), remembered before they are sent, and
    the links written earlier for those KRs that are wanted no more."""
    store = RemoteLinkStore(runtime.redis)
    recorded = store.all()
    writes = plan_remote_links(config, statuses, epics, link_places(runtime, config), refs)
    store.remember(w for w in writes if w.target not in recorded)
    unevaluated = {(s.id, kr.id) for s in config.okr_sets for o in s.objectives for kr in o.key_results} - set(statuses)
    return LinkPlan(writes, stale_links(recorded, {w.target for w in writes}, refs, unevaluated))


def stale_links(
    recorded: Mapping[str, LinkRecord],
    wanted: set[str],
    refs: set[KrRef] | None,
    kept: AbstractSet[KrRef] = frozenset(),
) -> list[tuple[str, LinkRecord]]:
    """The recorded links of the KRs among ``refs`` (all: None) that are not wanted now; those of the
    ``kept`` KRs (configured, but without a result in this evaluation) stay as they are."""
    return sorted(
        (target, record)
        for target, record in recorded.items()
        if target not in wanted and (refs is None or record.ref in refs) and record.ref not in kept
    )


def remove_links(
    jira: LinkDeleter, store: RemoteLinkStore, stale: Iterable[tuple[str, LinkRecord]], guard: WriteGuard
) -> Unlinked:
    """Delete each stale link by its ``globalId``; one Jira refuses stays recorded and failing (with its
    reason) while the others go on."""
    outcome = Unlinked()
    for target, record in stale:
        if not guard.allows(target, record.issue):
            outcome.held.append(target)
            continue
        try:
            jira.delete_remote_link(record.issue, record.global_id)
        except NotFound:
            pass  # already gone (or the issue is): nothing left to delete
        except ConnectorError as exc:
            guard.failed(target, record.issue, exc)
            outcome.failed.append(target)
            continue
        store.forget(target)
        guard.succeeded(target)
        outcome.removed.append(target)
    return outcome
