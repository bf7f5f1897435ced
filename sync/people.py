"""People by name: account ids (Cloud) and user keys or names (Data Center) looked up in Jira, cached in
Redis and looked up again after a day.

Never on the webhook path: the page writer and the rituals (on a worker, the scheduler or a command)
call ``refresh_people`` before they render; the admin pages read the cache only. A person Jira does
not know reads as the reference followed by "(unknown user)"; one not looked up yet as the reference.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from connector.errors import ConnectorError
from publish.people import unknown_user
from sync import keys
from sync.runtime import Runtime

log = logging.getLogger(__name__)

PEOPLE = keys.PEOPLE
REFRESH_SECONDS = 24 * 3600  # a name is looked up again after a day
LOOKUPS_PER_ROUND = 50  # at most this many Jira lookups per refresh; the rest on the next one


@dataclass(frozen=True)
class CachedName:
    text: str  # the display name, or "<reference> (unknown user)"
    known: bool
    at: float  # when Jira was asked

    def to_json(self) -> str:
        return json.dumps({"name": self.text, "known": self.known, "at": self.at})

    @classmethod
    def from_json(cls, raw: Any) -> CachedName | None:
        try:
            data = json.loads(raw)
            return cls(str(data["name"]), bool(data["known"]), float(data["at"]))
        except (TypeError, ValueError, KeyError):
            return None


def _unique(references: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(r for r in references if r))


def cached(connection: redis.Redis, references: Iterable[str]) -> dict[str, CachedName]:
    refs = _unique(references)
    if not refs:
        return {}
    found = zip(refs, connection.hmget(PEOPLE, refs), strict=True)
    return {ref: entry for ref, raw in found if raw is not None and (entry := CachedName.from_json(raw)) is not None}


def cached_names(connection: redis.Redis, references: Iterable[str]) -> dict[str, str]:
    """Reference → display text, for the references looked up before (no Jira call)."""
    return {ref: entry.text for ref, entry in cached(connection, references).items()}


def refresh_people(runtime: Runtime, references: Iterable[str], clock: float | None = None) -> dict[str, str]:
    """Look up in Jira the references never looked up or looked up more than a day ago, then answer
    every reference's display text. Jira failing keeps what the cache says, for the next round."""
    refs = _unique(references)
    now = time.time() if clock is None else clock
    known = cached(runtime.redis, refs)
    due = [r for r in refs if r not in known or now - known[r].at >= REFRESH_SECONDS]
    if due and runtime.jira is not None:
        fresh = _looked_up(runtime, due[:LOOKUPS_PER_ROUND], now)
        if fresh:
            runtime.redis.hset(PEOPLE, mapping={ref: entry.to_json() for ref, entry in fresh.items()})
            known.update(fresh)
    return {ref: entry.text for ref, entry in known.items()}


def _looked_up(runtime: Runtime, references: list[str], now: float) -> dict[str, CachedName]:
    jira = runtime.jira
    assert jira is not None
    fresh: dict[str, CachedName] = {}
    for reference in references:
        try:
            user = jira.user(reference)
        except ConnectorError as exc:  # Jira unreachable or refusing: the names wait for a later round
            log.warning("display names not looked up in Jira (%s); shown as before for now", exc)
            break
        name = str(user.get("displayName") or "").strip() if user else ""
        fresh[reference] = CachedName(name, True, now) if name else CachedName(unknown_user(reference), False, now)
    return fresh
