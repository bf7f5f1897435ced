"""Check-in comments are paced: a new health must hold a while, and a KR gets at most one comment per
interval, so a KR flapping around a threshold does not fill its issue with comments. Real Redis; the
Jira side records the comments it is sent."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import redis

from publish.jira import CHECKIN_PROPERTY
from sync.jira_writer import CHECKIN_DUE, Checkin, CheckinPacing, WrittenStore, post_checkin
from sync.scheduling import sweep
from tests.conftest import QUEUE

REF, ISSUE = "shop/KR1", "OKR-1"
PACING = CheckinPacing(hold=300, min_interval=3600)


class CommentsOnly:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []  # as Jira lists them with expand=properties

    def add_comment(self, key: str, body: str, properties: Any = None) -> dict:
        listed = [{"key": k, "value": v} for k, v in (properties or {}).items()]
        self.posted.append({"body": body, "properties": listed})
        return {"id": str(len(self.posted))}

    def comments(self, key: str, *, newest_first: bool = False, page_size: int = 50) -> Iterator[dict[str, Any]]:
        return iter(self.posted[::-1] if newest_first else self.posted)

    @property
    def texts(self) -> list[str]:
        return [str(c["body"]) for c in self.posted]


def _report(jira: CommentsOnly, store: WrittenStore, new: str, at: float) -> Checkin:
    return post_checkin(
        jira,
        store,
        REF,
        ISSUE,
        store.health(REF),
        new,
        f"now {new}",
        "2026-12-02",
        now=at,  # type: ignore[arg-type]
        pacing=PACING,
    )


def test_a_flapping_kr_posts_one_comment_after_its_health_held(connection: redis.Redis) -> None:
    jira, store = CommentsOnly(), WrittenStore(connection)
    assert _report(jira, store, "on_track", 0) is Checkin.QUIET  # first sight
    at = 1000.0
    for step in range(19):  # 19 flips in 38 s
        health = "at_risk" if step % 2 == 0 else "on_track"
        assert _report(jira, store, health, at + 2 * step) in (Checkin.HELD, Checkin.QUIET)
    assert jira.posted == []
    assert _report(jira, store, "at_risk", at + 40) is Checkin.HELD  # seen at_risk since 1036 only
    assert _report(jira, store, "at_risk", at + 36 + 300) is Checkin.POSTED  # held five minutes
    assert jira.texts == ["now at_risk"]  # the text as given: its marker rides in the comment's property


def test_at_most_one_comment_per_interval(connection: redis.Redis) -> None:
    jira, store = CommentsOnly(), WrittenStore(connection)
    _report(jira, store, "on_track", 0)
    _report(jira, store, "at_risk", 100)
    assert _report(jira, store, "at_risk", 400) is Checkin.POSTED
    _report(jira, store, "off_track", 500)
    assert _report(jira, store, "off_track", 900) is Checkin.HELD  # held long enough, but too soon after
    assert connection.zscore(CHECKIN_DUE, REF) == 400 + 3600
    assert _report(jira, store, "off_track", 4000) is Checkin.POSTED
    assert len(jira.posted) == 2


def test_a_held_checkin_is_looked_at_again_when_it_may_go_out(connection: redis.Redis) -> None:
    jira, store = CommentsOnly(), WrittenStore(connection)
    _report(jira, store, "on_track", 0)
    assert _report(jira, store, "at_risk", 100) is Checkin.HELD
    assert store.due_checkins(399) == []
    store.hold_checkin(REF, 0)  # due now
    assert sweep(connection, QUEUE)
    assert connection.sismember("okrsync:dirty", REF)  # the flush comes back to it


def test_without_pacing_a_change_is_reported_at_once(connection: redis.Redis) -> None:
    jira, store = CommentsOnly(), WrittenStore(connection)
    post_checkin(jira, store, REF, ISSUE, None, "on_track", "x", "d", now=0)  # type: ignore[arg-type]
    assert post_checkin(jira, store, REF, ISSUE, "on_track", "at_risk", "x", "d", now=1) is Checkin.POSTED  # type: ignore[arg-type]


def test_a_comment_found_posted_after_a_crash_counts_for_the_pacing(connection: redis.Redis) -> None:
    jira, store = CommentsOnly(), WrittenStore(connection)
    _report(jira, store, "on_track", 0)
    _report(jira, store, "at_risk", 100)
    assert _report(jira, store, "at_risk", 400) is Checkin.POSTED
    # a worker posted the next change at 4100 and died before recording it: its marker is pending
    marker = "okrsync-checkin:" + hashlib.sha256(f"{REF}|at_risk|off_track|2026-12-02".encode()).hexdigest()[:12]
    store.set_pending_checkin(REF, marker, 4100.0)
    jira.add_comment(ISSUE, "posted by the worker that died", {CHECKIN_PROPERTY: {"marker": marker}})
    _report(jira, store, "off_track", 4000)  # seen since 4000 (held: too soon after 400)
    assert _report(jira, store, "off_track", 4400) is Checkin.QUIET  # found posted: not posted again
    assert store.last_checkin(REF) == 4100.0  # the pacing counts from the comment found
