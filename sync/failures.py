"""Write-back failures, one record per target: a refused write stays local to its target.

A target is what is remembered as written ("property:SHOP-1", "fields:OKR-7", "checkin:company/KR1").
When Jira refuses a write for good (400, 403, 404, 410, 413) the target is recorded as *permanent* with
the configuration revision and the issue's mirror version it failed under; it is not tried again
until one of them changes. Any other failure (429, 5xx, a timeout, a refused connection, 401) is
*transient*: the target is tried again after a backoff of its own (30 s, doubling, at most an hour).
Every other target is written meanwhile. Status pages list each record with its reason and since when.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Literal

import redis

from connector.errors import ConnectorError
from sync import keys
from sync.redis_text import decoded

log = logging.getLogger(__name__)

FAILURES = keys.WRITEBACK_FAILURES  # target → JSON TargetFailure
PERMANENT_STATUSES = frozenset({400, 403, 404, 410, 413})
FIRST_RETRY_SECONDS = 30.0
LONGEST_RETRY_SECONDS = 3600.0

Kind = Literal["permanent", "transient"]


@dataclass(frozen=True)
class Situation:
    """What a permanent failure is compared with: it is tried again once either differs."""

    config_revision: int
    issue_version: int | None


@dataclass(frozen=True)
class TargetFailure:
    target: str
    issue: str
    kind: Kind
    status: int | None
    reason: str
    since: float  # POSIX time of the first failure in this run of failures
    last: float  # POSIX time of the latest attempt
    attempts: int
    retry_at: float | None  # transient: not tried before this time
    config_revision: int
    issue_version: int | None

    def due(self, situation: Situation, now: float) -> bool:
        """Whether the target should be tried in a flush at ``now``."""
        if self.kind == "permanent":
            return situation != Situation(self.config_revision, self.issue_version)
        return self.retry_at is None or now >= self.retry_at


def failure_kind(status: int | None) -> Kind:
    return "permanent" if status in PERMANENT_STATUSES else "transient"


def retry_delay(attempts: int) -> float:
    """30 s after the first failure, doubling with each further one, never above an hour."""
    return min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def next_failure(
    previous: TargetFailure | None, target: str, issue: str, exc: ConnectorError, situation: Situation, now: float
) -> TargetFailure:
    """The record after one more failed attempt (pure)."""
    kind = failure_kind(exc.status)
    attempts = (previous.attempts if previous else 0) + 1
    failure = TargetFailure(
        target=target,
        issue=issue,
        kind=kind,
        status=exc.status,
        reason=str(exc),
        since=previous.since if previous else now,
        last=now,
        attempts=attempts,
        retry_at=None,
        config_revision=situation.config_revision,
        issue_version=situation.issue_version,
    )
    if kind == "transient":
        failure = replace(failure, retry_at=now + retry_delay(attempts))
    return failure


class FailureStore:
    """The records in Redis; a missing record means the target's last write went through."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def get(self, target: str) -> TargetFailure | None:
        raw = self.redis.hget(FAILURES, target)
        return _decode(raw) if raw else None

    def all(self) -> list[TargetFailure]:
        found = [_decode(raw) for raw in self.redis.hgetall(FAILURES).values()]
        return sorted((f for f in found if f is not None), key=lambda f: (f.since, f.target))

    def record(self, target: str, issue: str, exc: ConnectorError, situation: Situation, now: float) -> TargetFailure:
        previous = self.get(target)
        failure = next_failure(previous, target, issue, exc, situation, now)
        self.redis.hset(FAILURES, target, json.dumps(asdict(failure)))
        _log_failure(failure, first=previous is None or previous.kind != failure.kind)
        return failure

    def clear(self, target: str) -> None:
        if self.redis.hdel(FAILURES, target):
            log.info("write-back: %s written again after failing", target)

    def keep_only(self, targets: Iterable[str]) -> None:
        """Forget the records of targets no longer planned (the configuration dropped them)."""
        kept = set(targets)
        gone = [decoded(t) for t in self.redis.hkeys(FAILURES) if decoded(t) not in kept]
        if gone:
            self.redis.hdel(FAILURES, *gone)

    def due_retry(self, now: float) -> bool:
        """Whether a transient failure's backoff has passed (the scheduler then asks for a flush)."""
        return any(
            f.kind == "transient" and f.due(Situation(f.config_revision, f.issue_version), now) for f in self.all()
        )


def _log_failure(failure: TargetFailure, first: bool) -> None:
    """One warning when a target starts failing (or changes kind); later attempts at INFO level."""
    level = logging.WARNING if first else logging.INFO
    if failure.kind == "permanent":
        log.log(
            level,
            "write-back: %s refused (%s); not tried again until the configuration or %s changes: %s",
            failure.target,
            failure.status,
            failure.issue,
            failure.reason,
        )
    else:
        log.log(
            level,
            "write-back: %s failed (attempt %d, trying again in %.0fs): %s",
            failure.target,
            failure.attempts,
            (failure.retry_at or failure.last) - failure.last,
            failure.reason,
        )


def _decode(raw: bytes | str) -> TargetFailure | None:
    try:
        return TargetFailure(**json.loads(raw))
    except (TypeError, ValueError):
        return None  # a record from another version: treated as none, the next failure rewrites it
