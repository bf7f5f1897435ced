"""Writing to Jira only what changed, remembering what was written."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import redis

from connector.errors import ConnectorError
from connector.jira import property_value
from publish.jira import CHECKIN_PROPERTY, STATUS_PROPERTY, Write
from sync import keys
from sync.failures import FailureStore, Situation, TargetFailure
from sync.redis_text import decoded
from webhooks.jiratime import parse_jira_time

log = logging.getLogger(__name__)

WRITTEN = keys.WRITTEN  # target → digest of the content last written
HEALTH = keys.KR_HEALTH  # "set/kr" → health last reported
PENDING_CHECKIN = keys.CHECKIN_PENDING  # "set/kr" → "<marker> <POSIX time>" of a comment being posted
HEALTH_SEEN = keys.KR_HEALTH_SEEN  # "set/kr" → "<health> <POSIX time>": a new health not yet reported, since when
LAST_CHECKIN = keys.CHECKIN_LAST  # "set/kr" → POSIX time of the latest check-in comment posted
CHECKIN_DUE = keys.CHECKIN_DUE  # sorted set: "set/kr" scored by when its held-back check-in may go out
# A comment sent by a worker that died may still reach Jira after the worker is gone, for as long as
# a request can take (the connector's timeout is 30 s): until then a missing comment is waited for.
IN_FLIGHT_SECONDS = 35.0
STATS = keys.STATS
MARKER_PREFIX = "okrsync-checkin:"


# How far Jira's clock may be behind ours: comments created this long before an attempt was sent are
# not read through when looking for it.
CLOCK_SKEW_SECONDS = 3600.0


class JiraWriter(Protocol):
    def set_property(self, key: str, name: str, value: Any) -> None: ...
    def update_fields(self, key: str, fields: dict[str, Any]) -> None: ...
    def update_issue(self, key: str, update: dict[str, Any]) -> None: ...
    def add_comment(self, key: str, body: str, properties: Mapping[str, Any] | None = None) -> dict: ...
    def comments(self, key: str, *, newest_first: bool = False, page_size: int = 50) -> Iterator[dict[str, Any]]: ...
    def put_remote_link(self, key: str, link: dict[str, Any]) -> dict: ...


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    comments: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # refused or failed in this flush
    held: list[str] = field(default_factory=list)  # not tried: refused before, or backing off


OUTAGE_AFTER = 3  # transient failures in a row, in one flush, that mean Jira itself is failing


class TargetRefusal(ConnectorError):
    """A failure of one target that says nothing of Jira as a whole (a defect in what was sent)."""


class WriteGuard:
    """Keeps a failing target from stopping the others, and from being tried again too soon.

    ``situation`` tells, for an issue key, the configuration revision and the issue's mirror version
    a permanent failure is compared with. The failure records are read once per flush.
    """

    def __init__(self, failures: FailureStore, situation: Callable[[str], Situation], now: float) -> None:
        self.failures = failures
        self.situation = situation
        self.now = now
        self._known: dict[str, TargetFailure] = {f.target: f for f in failures.all()}
        self.outage: ConnectorError | None = None  # Jira as a whole is failing in this flush
        self._failing_in_a_row = 0

    def allows(self, target: str, issue: str) -> bool:
        """Whether to try the target now. Once OUTAGE_AFTER targets in a row failed for want of an answer
        (no answer, 5xx, 429, 401), Jira as a whole is taken to be failing: the remaining targets wait for
        the backoff too, instead of each spending the connector's retry budget again."""
        if self.outage is not None:
            held = ConnectorError(
                f"not tried: Jira was failing in this flush ({self.outage})", status=self.outage.status
            )
            self._known[target] = self.failures.record(target, issue, held, self.situation(issue), self.now)
            return False
        failure = self._known.get(target)
        return failure is None or failure.due(self.situation(issue), self.now)

    def failed(self, target: str, issue: str, exc: ConnectorError) -> None:
        failure = self.failures.record(target, issue, exc, self.situation(issue), self.now)
        self._known[target] = failure
        if failure.kind == "transient" and not isinstance(exc, TargetRefusal):
            self._failing_in_a_row += 1
            if self._failing_in_a_row >= OUTAGE_AFTER:
                self.outage = exc

    def succeeded(self, target: str) -> None:
        self._failing_in_a_row = 0
        if self._known.pop(target, None) is not None:
            self.failures.clear(target)


class WrittenStore:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def digest(self, target: str) -> str | None:
        raw = self.redis.hget(WRITTEN, target)
        return decoded(raw) if raw else None

    def record(self, target: str, digest: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(WRITTEN, target, digest)
        pipe.hincrby(STATS, "writebacks", 1)
        pipe.execute()

    def health(self, ref: str) -> str | None:
        raw = self.redis.hget(HEALTH, ref)
        return decoded(raw) if raw else None

    def set_health(self, ref: str, health: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(HEALTH, ref, health)
        pipe.hdel(PENDING_CHECKIN, ref)
        pipe.execute()

    def pending_checkin(self, ref: str) -> tuple[str, float] | None:
        """The marker of a comment being posted, and when it was sent."""
        raw = self.redis.hget(PENDING_CHECKIN, ref)
        if not raw:
            return None
        marker, _, sent = decoded(raw).partition(" ")
        return marker, float(sent or 0)

    def set_pending_checkin(self, ref: str, marker: str, sent: float) -> None:
        self.redis.hset(PENDING_CHECKIN, ref, f"{marker} {sent!r}")

    def clear_pending_checkin(self, ref: str) -> None:
        self.redis.hdel(PENDING_CHECKIN, ref)

    def health_seen(self, ref: str, health: str, now: float) -> float:
        """Since when ``health`` has been seen for the KR (now, when it is new)."""
        raw = self.redis.hget(HEALTH_SEEN, ref)
        seen, _, since = (decoded(raw) if raw else "").partition(" ")
        if seen == health and since:
            return float(since)
        self.redis.hset(HEALTH_SEEN, ref, f"{health} {now!r}")
        return now

    def forget_seen(self, ref: str) -> None:
        self.redis.hdel(HEALTH_SEEN, ref)

    def last_checkin(self, ref: str) -> float | None:
        raw = self.redis.hget(LAST_CHECKIN, ref)
        return float(raw) if raw else None

    def checkin_posted(self, ref: str, now: float) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(LAST_CHECKIN, ref, repr(now))  # exact: a rounded-up time would hold the next one back
        pipe.hdel(HEALTH_SEEN, ref)
        pipe.zrem(CHECKIN_DUE, ref)
        pipe.execute()

    def hold_checkin(self, ref: str, until: float) -> None:
        self.redis.zadd(CHECKIN_DUE, {ref: until})

    def due_checkins(self, now: float) -> list[str]:
        """The KRs whose held-back check-in may now go out; taken off the list."""
        # without ``withscores`` the reply is the members alone; redis-py types it with the scored shape too
        due = [decoded(r) for r in self.redis.zrangebyscore(CHECKIN_DUE, 0, now)]  # type: ignore[arg-type]
        if due:
            self.redis.zrem(CHECKIN_DUE, *due)
        return due


@dataclass(frozen=True)
class CheckinPacing:
    """A KR's new health is reported once it has held for ``hold`` seconds, and at most once per
    ``min_interval`` seconds: a KR flapping around a threshold does not fill the issue with comments."""

    hold: float = 0.0
    min_interval: float = 0.0

    def wait(self, seen_since: float, last_posted: float | None, now: float) -> float:
        """Seconds until a check-in may be posted (0: now)."""
        held = seen_since + self.hold - now
        spaced = (last_posted + self.min_interval - now) if last_posted is not None else 0.0
        return max(0.0, held, spaced)


def apply_writes(
    jira: JiraWriter, store: WrittenStore, writes: Iterable[Write], guard: WriteGuard | None = None
) -> WriteReport:
    """Perform each write whose content differs from the last one written; record it afterwards
    (a crash in between repeats an idempotent write, never loses one). With a ``guard``, a write Jira
    refuses is recorded against its target and the others go on; without one, it is raised."""
    report = WriteReport()
    for write in writes:
        digest = write.digest
        if store.digest(write.target) == digest:
            report.unchanged += 1
            if guard:
                guard.succeeded(write.target)
            continue
        if guard and not guard.allows(write.target, write.issue):
            report.held.append(write.target)
            continue
        try:
            _send(jira, write)
        except ConnectorError as exc:
            if guard is None:
                raise
            guard.failed(write.target, write.issue, exc)
            report.failed.append(write.target)
            continue
        store.record(write.target, digest)
        report.written.append(write.target)
        if guard:
            guard.succeeded(write.target)
    return report


def _send(jira: JiraWriter, write: Write) -> None:
    if write.kind == "property":
        jira.set_property(write.issue, STATUS_PROPERTY, write.payload)
    elif write.kind == "fields":
        jira.update_fields(write.issue, write.payload)
    elif write.kind == "remote_link":
        jira.put_remote_link(write.issue, write.payload)
    elif write.kind == "update":
        jira.update_issue(write.issue, write.payload)


class Checkin(Enum):
    """What ``post_checkin`` did; true only when it posted."""

    POSTED = "posted"
    QUIET = "quiet"  # nothing to say, or it was said already
    WAITING = "waiting"  # an earlier attempt, by a worker that died, may still land: ask again later
    HELD = "held"  # the new health has not held long enough, or the last comment is too recent

    def __bool__(self) -> bool:
        return self is Checkin.POSTED


def post_checkin(
    jira: JiraWriter,
    store: WrittenStore,
    ref: str,
    issue: str,
    old: str | None,
    new: str,
    text: str,
    occasion: str,
    now: float | None = None,
    pacing: CheckinPacing = CheckinPacing(),
    facts: Mapping[str, Any] | None = None,
) -> Checkin:
    """Comment on a health change once, even when a worker dies between posting and recording.

    The comment's text is for people; its marker rides in the comment property ``okrsync.checkin``
    (with ``facts``: the KR, the change, the provenance), where an earlier attempt is looked for.
    ``occasion`` (the day, say) tells two identical transitions weeks apart from a retry of one.
    With ``pacing``, a change is held back (HELD, and listed to be looked at again when it may go
    out) until the new health has held long enough and the last comment is old enough.
    """
    if old is None or old == new:
        store.set_health(ref, new)  # first sight, or no change (a flap back): nothing to say
        store.forget_seen(ref)
        return Checkin.QUIET
    now = time.time() if now is None else now
    wait = pacing.wait(store.health_seen(ref, new, now), store.last_checkin(ref), now)
    if wait > 0:
        store.hold_checkin(ref, now + wait)
        return Checkin.HELD
    marker = checkin_marker(ref, old, new, occasion)
    earlier = _earlier_attempt(jira, store, ref, issue, new, marker, now)
    if earlier is not None:
        return earlier
    _comment_once(jira, store, ref, issue, text, {"marker": marker, **(facts or {})}, now)
    store.set_health(ref, new)
    store.checkin_posted(ref, now)
    return Checkin.POSTED


def checkin_marker(ref: str, old: str, new: str, occasion: str) -> str:
    """What tells one check-in from every other: the KR, the change and its occasion, hashed."""
    return MARKER_PREFIX + hashlib.sha256(f"{ref}|{old}|{new}|{occasion}".encode()).hexdigest()[:12]


def _earlier_attempt(
    jira: JiraWriter, store: WrittenStore, ref: str, issue: str, new: str, marker: str, now: float
) -> Checkin | None:
    """What an earlier, unrecorded attempt at a comment means now; None when a new one may go out."""
    pending = store.pending_checkin(ref)
    if pending is None:
        return None
    if pending[0] == marker and _already_posted(jira, issue, marker, pending[1]):
        store.set_health(ref, new)
        store.checkin_posted(ref, pending[1])  # it did go out, then: the pacing counts from it
        return Checkin.QUIET
    if now - pending[1] < IN_FLIGHT_SECONDS:
        return Checkin.WAITING
    return None


def _comment_once(
    jira: JiraWriter, store: WrittenStore, ref: str, issue: str, body: str, checkin: dict[str, Any], now: float
) -> None:
    """Record the attempt, then post; a comment Jira refuses outright leaves nothing to wait for."""
    store.set_pending_checkin(ref, checkin["marker"], now)
    try:
        jira.add_comment(issue, body, {CHECKIN_PROPERTY: checkin})
    except ConnectorError as exc:
        if exc.status is not None and exc.status < 500 and exc.status != 429:
            store.clear_pending_checkin(ref)  # refused: it did not land, nothing to wait for
        raise


def _already_posted(jira: JiraWriter, issue: str, marker: str, sent: float) -> bool:
    """Whether a comment carrying ``marker`` in its check-in property is on the issue: read newest
    first, down to the comments made well before the attempt was sent."""
    for comment in jira.comments(issue, newest_first=True):
        checkin = property_value(comment, CHECKIN_PROPERTY)
        if isinstance(checkin, dict) and checkin.get("marker") == marker:
            return True
        if f"[{marker}]" in str(comment.get("body", "")):  # posted by a version that wrote it in the text
            return True
        if _created_before(comment, sent - CLOCK_SKEW_SECONDS):
            return False
    return False


def _created_before(comment: Mapping[str, Any], moment: float) -> bool:
    try:
        return parse_jira_time(comment.get("created")).timestamp() < moment
    except (TypeError, ValueError):
        return False  # no readable creation time: keep reading
