"""People's check-ins in Redis, and the `/checkin` comments they come from.

One sorted set per KR (``okrsync:people-checkins:<set>/<kr>``): the check-ins as JSON, scored by their
time in ms, the newest ``KEPT_PER_KR`` kept. A check-in from a Jira comment is also listed under the
comment's id, so a redelivered or edited comment replaces its own check-in instead of adding a second,
and a deleted comment takes its check-in with it.

These are people's words. The service's own status comments (``sync.jira_writer``) are never read
as check-ins: they do not start with ``/checkin``, and comments by the service's account are skipped.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from mapping.models import OkrConfig
from okr.checkins import CheckIn, CheckInWords, Malformed, Source, parse_command
from sync import keys
from sync.dirty import mark
from sync.redis_text import decoded
from sync.scheduling import schedule_flush
from webhooks.events import CommentEvent, JiraUser
from webhooks.jiratime import parse_jira_time

log = logging.getLogger(__name__)

KrRef = tuple[str, str]
CHECKINS = keys.PEOPLE_CHECKINS_PREFIX
BY_COMMENT = keys.PEOPLE_CHECKIN_COMMENTS
STATS = keys.STATS
KEPT_PER_KR = 200
LISTED = 50  # check-ins an answer lists by default
COUNTERS = ("stored", "removed", "unchanged", "malformed", "not_on_a_kr", "not_a_command", "own_comment")


def checkins_key(ref: KrRef) -> str:
    return f"{CHECKINS}{ref[0]}/{ref[1]}"


def counter_name(outcome: str) -> str:
    """The STATS field counting comments with this outcome (``people_checkins_malformed``…)."""
    return f"people_checkins_{outcome}"


def _member(checkin: CheckIn) -> str:
    return json.dumps(checkin.to_dict(), sort_keys=True, separators=(",", ":"))


def _score(checkin: CheckIn) -> int:
    return int(checkin.at.timestamp() * 1000)


class PeopleCheckins:
    """The stored check-ins; every change is whole (a transaction), so nothing is stored half."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def add(self, checkin: CheckIn) -> None:
        pipe = self.redis.pipeline(transaction=True)
        self._write(pipe, [checkin])
        pipe.execute()

    def put_comment(self, comment_id: str, checkins: Sequence[CheckIn]) -> set[KrRef]:
        """The check-ins of one comment (none: it holds none any more) in place of those it had;
        the KRs whose check-ins changed (none when it is a redelivery of what is stored)."""
        wanted = sorted((f"{c.okr_set}/{c.kr}", _member(c)) for c in checkins)
        with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(BY_COMMENT)  # a concurrent drain's change to any comment: read again
                    raw = pipe.hget(BY_COMMENT, comment_id)
                    had = sorted((str(t), str(m)) for t, m in json.loads(decoded(raw))) if raw else []
                    if had == wanted:
                        return set()
                    pipe.multi()
                    self._replace(pipe, comment_id, had, wanted, checkins)
                    pipe.execute()
                    return {_ref(text) for text, _ in had + wanted}
                except redis.WatchError:
                    continue

    def _replace(
        self,
        pipe: redis.client.Pipeline,
        comment_id: str,
        had: list[tuple[str, str]],
        wanted: list[tuple[str, str]],
        checkins: Sequence[CheckIn],
    ) -> None:
        for ref_text, member in had:
            pipe.zrem(f"{CHECKINS}{ref_text}", member)
        self._write(pipe, checkins)
        if wanted:
            pipe.hset(BY_COMMENT, comment_id, json.dumps(wanted))
        else:
            pipe.hdel(BY_COMMENT, comment_id)

    def comment_refs(self, comment_id: str) -> set[KrRef]:
        """The KRs a comment's stored check-ins are on."""
        raw = self.redis.hget(BY_COMMENT, comment_id)
        return {_ref(text) for text, _ in json.loads(decoded(raw))} if raw else set()

    def history(self, ref: KrRef, limit: int = LISTED) -> list[CheckIn]:
        """The KR's check-ins, newest first."""
        raw = self.redis.zrevrange(checkins_key(ref), 0, max(0, limit - 1))
        return [c for c in (_stored(item) for item in raw) if c is not None]

    def latest(self, refs: Iterable[KrRef]) -> dict[KrRef, CheckIn]:
        """Each KR's newest check-in (KRs without one are left out)."""
        refs = list(refs)
        pipe = self.redis.pipeline(transaction=False)
        for ref in refs:
            pipe.zrevrange(checkins_key(ref), 0, 0)
        found = {}
        for ref, newest in zip(refs, pipe.execute(), strict=True):
            checkin = _stored(newest[0]) if newest else None
            if checkin is not None:
                found[ref] = checkin
        return found

    def count(self, outcome: str) -> None:
        self.redis.hincrby(STATS, counter_name(outcome), 1)

    @staticmethod
    def _write(pipe: redis.client.Pipeline, checkins: Iterable[CheckIn]) -> None:
        for checkin in checkins:
            key = checkins_key(checkin.ref)
            pipe.zadd(key, {_member(checkin): _score(checkin)})
            pipe.zremrangebyrank(key, 0, -(KEPT_PER_KR + 1))


def _ref(text: str) -> KrRef:
    set_id, kr_id = text.split("/", 1)
    return set_id, kr_id


def _stored(raw: Any) -> CheckIn | None:
    try:
        return CheckIn.from_dict(json.loads(decoded(raw)))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        log.warning("skipped a stored check-in that is not one (%s)", exc)
        return None


def new_checkin(ref: KrRef, words: CheckInWords, author: tuple[str, str], at: datetime, source: Source) -> CheckIn:
    """A check-in made through the API or the admin page (a comment's is made by ``comment_checkins``)."""
    return CheckIn(
        id=secrets.token_hex(8),
        okr_set=ref[0],
        kr=ref[1],
        author_id=author[0],
        author_name=author[1],
        at=at,
        confidence=words.confidence,
        note=words.note,
        blockers=words.blockers,
        asks=words.asks,
        source=source,
    )


def record_checkin(
    connection: redis.Redis, queue_name: str, checkin: CheckIn, trigger: Mapping[str, str] | None = None
) -> None:
    """Store a check-in made through the API or the admin page and have its KR recomputed and written."""
    PeopleCheckins(connection).add(checkin)
    ref = f"{checkin.okr_set}/{checkin.kr}"
    mark(connection, [ref], trigger or {"kind": "checkin", "kr": ref, "source": checkin.source})
    schedule_flush(connection, queue_name)


# ---------------------------------------------------------------------------- from Jira comments


def kr_issues(config: OkrConfig | None) -> dict[str, tuple[KrRef, ...]]:
    """Each KR's ``jira_issue`` (upper case) → the KRs it is the issue of."""
    found: dict[str, list[KrRef]] = {}
    for okr_set in config.okr_sets if config else ():
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                if kr.jira_issue:
                    found.setdefault(kr.jira_issue.upper(), []).append((okr_set.id, kr.id))
    return {key: tuple(refs) for key, refs in found.items()}


@dataclass(frozen=True)
class CommentCheckins:
    """What the drain needs to take check-ins from comment events."""

    store: PeopleCheckins
    issues: Mapping[str, tuple[KrRef, ...]]  # see kr_issues
    own_account: str | None = None
    issue_key_of: Callable[[str], str | None] = lambda issue_id: None  # an issue id → its key (the mirror)


def comment_checkins(event: CommentEvent, sink: CommentCheckins, now: datetime | None = None) -> set[KrRef]:
    """Apply one comment event; the KRs whose check-ins changed. Every comment ends counted under
    one outcome (stored, removed, unchanged, malformed, not on a KR, not a command, own comment)."""
    comment_id = str(event.comment.id)
    if event.kind == "comment_deleted":
        return _counted(sink, sink.store.put_comment(comment_id, []), "removed", "not_a_command")
    author = event.comment.author or event.user
    if author is not None and sink.own_account is not None and author.identity == sink.own_account:
        sink.store.count("own_comment")
        return set()
    key = _issue_key(event, sink)
    refs = sink.issues.get(key.upper()) if key else tuple(sorted(sink.store.comment_refs(comment_id)))
    if not refs:
        sink.store.count("not_on_a_kr")
        return set()
    parsed = parse_command(event.comment.body)
    if parsed is None:  # an edit that took the command out takes the check-in out
        return _counted(sink, sink.store.put_comment(comment_id, []), "removed", "not_a_command")
    if isinstance(parsed, Malformed):
        log.info("ignored a malformed /checkin in comment %s: %s", comment_id, parsed.reason)
        sink.store.count("malformed")  # an edit that broke the command leaves the check-in as it was
        return set()
    at = min(_comment_time(event) or now or datetime.now(UTC), now or datetime.now(UTC))
    checkins = [_from_comment(ref, parsed, author, at, comment_id) for ref in refs]
    return _counted(sink, sink.store.put_comment(comment_id, checkins), "stored")


def _counted(sink: CommentCheckins, changed: set[KrRef], outcome: str, unchanged: str = "unchanged") -> set[KrRef]:
    sink.store.count(outcome if changed else unchanged)
    return changed


def _issue_key(event: CommentEvent, sink: CommentCheckins) -> str | None:
    """The issue's key; Data Center's comment events carry no issue, only the comment's URL
    (``…/rest/api/2/issue/10013/comment/10084``), whose issue id the mirror knows."""
    if event.issue is not None:
        return event.issue.key
    parts = (event.comment.self_url or "").rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "comment" and parts[-4] == "issue":
        return sink.issue_key_of(parts[-3])
    return None


def _comment_time(event: CommentEvent) -> datetime | None:
    """When the comment was written (its ``created``), else when the event was sent."""
    try:
        if event.comment.created:
            return parse_jira_time(event.comment.created).astimezone(UTC)
    except (TypeError, ValueError):
        pass
    return datetime.fromtimestamp(event.timestamp / 1000, UTC) if event.timestamp else None


def _from_comment(ref: KrRef, words: CheckInWords, author: JiraUser | None, at: datetime, comment_id: str) -> CheckIn:
    identity = (author.identity if author else None) or "unknown"
    return CheckIn(
        id=f"comment:{comment_id}",
        okr_set=ref[0],
        kr=ref[1],
        author_id=identity,
        author_name=(author.display_name if author else None) or identity,
        at=at,
        confidence=words.confidence,
        note=words.note,
        blockers=words.blockers,
        asks=words.asks,
        source="comment",
        comment_id=comment_id,
    )


def counters(connection: redis.Redis) -> dict[str, int]:
    """How many comments ended under each outcome (for the status and the sync health)."""
    values = connection.hmget(STATS, [counter_name(o) for o in COUNTERS])
    return {outcome: int(decoded(v)) if v else 0 for outcome, v in zip(COUNTERS, values, strict=True)}
