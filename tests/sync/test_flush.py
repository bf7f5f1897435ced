"""Dirty tracking, coalesced flushes and write-back, on a real Redis with a recording Jira."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.checkin_words import kr_link
from sync.confluence_writer import STATE
from sync.dirty import DIRTY, IN_FLUSH, claim_dirty
from sync.flush import REPORT, flush
from sync.jira_writer import Checkin, checkin_marker, post_checkin
from sync.keys import STATS
from sync.runtime import forget_runtimes, install_runtime
from tests.conftest import post_event, run_worker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AT = datetime(2026, 11, 15, 12, tzinfo=UTC)


class RecordingJira:
    """Records the calls the flush makes, like a Jira that accepts everything."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.posted: dict[str, list[dict[str, Any]]] = {}
        self.fail_next_comment_after_post = False

    def set_property(self, key: str, name: str, value: Any) -> None:
        self.calls.append(("property", key, value))

    def update_fields(self, key: str, fields: dict[str, Any]) -> None:
        self.calls.append(("fields", key, fields))

    def update_issue(self, key: str, update: dict[str, Any]) -> None:
        self.calls.append(("update", key, update))

    def put_remote_link(self, key: str, link: dict[str, Any]) -> dict:
        self.calls.append(("remote_link", key, link))
        return {"id": str(len(self.calls))}

    def delete_remote_link(self, key: str, global_id: str) -> None:
        self.calls.append(("unlink", key, global_id))

    def add_comment(self, key: str, body: str, properties: Any = None) -> dict:
        self.calls.append(("comment", key, body))
        listed = [{"key": k, "value": v} for k, v in (properties or {}).items()]
        self.posted.setdefault(key, []).append({"body": body, "properties": listed})
        return {"id": str(len(self.calls))}

    def comments(self, key: str, *, newest_first: bool = False, page_size: int = 50) -> Iterator[dict[str, Any]]:
        listed = self.posted.get(key, [])
        return iter(listed[::-1] if newest_first else listed)

    def of(self, kind: str) -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[0] == kind]


def _example_config(**changes: Any) -> str:
    document = yaml.safe_load((EXAMPLES / "okrs.yaml").read_text())
    krs = document["okr_sets"][1]["objectives"][0]["key_results"]
    krs[1]["jira_issue"] = "OKR-7"  # the escaped-defects KR also reports on its own issue
    for path, value in changes.items():
        target = document
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    return yaml.safe_dump(document, allow_unicode=True)


@pytest.fixture()
def jira() -> RecordingJira:
    return RecordingJira()


@pytest.fixture()
def runtime(settings: Settings, connection, jira):
    built = build_runtime(settings, connection, jira=jira)
    install_runtime(built)
    built.config_store.apply(_example_config(), "okrs.yaml", "test", AT)
    yield built
    forget_runtimes()


def _issues() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (EXAMPLES / "issues.jsonl").read_text().splitlines() if line.strip()]


def _event(issue: dict[str, Any], kind: str = "jira:issue_updated") -> dict[str, Any]:
    return {
        "webhookEvent": kind,
        "timestamp": 1,
        "issue": issue,
        "user": {"accountId": "someone"},
        "changelog": {"id": "1", "items": []},
    }


def _load_example_issues(client, connection) -> None:
    for number, issue in enumerate(_issues()):
        assert post_event(client, _event(issue, "jira:issue_created"), f"load-{number}").status_code == 202
    run_worker(connection)


def test_events_mark_affected_krs_and_one_flush_writes_each_epic_once(client, connection, runtime, jira) -> None:
    _load_example_issues(client, connection)
    # the whole example arrived as a burst; one flush job wrote every target once
    properties = {key for _, key, _ in jira.of("property")}
    assert properties == {"SHOP-1", "SHOP-2", "SHOP-3", "SHOP-4", "OKR-7"}
    assert len(jira.of("property")) == 5
    assert connection.scard(DIRTY) == 0 and connection.scard(IN_FLUSH) == 0
    epic = next(value for _, key, value in jira.of("property") if key == "SHOP-1")
    (status,) = epic["key_results"]
    assert (status["kr"], status["health"], status["flags"]) == ("O1.KR2", status["health"], status["flags"])
    assert status["provenance"]["metric"] == "escaped_defect_share"
    assert status["provenance"]["trigger"]["kind"] == "webhook"
    assert json.loads(connection.get(REPORT))["okr_sets"][1]["id"] == "shop-q4"


def test_an_identical_change_writes_nothing(client, connection, runtime, jira) -> None:
    _load_example_issues(client, connection)
    before = len(jira.calls)
    bug = next(i for i in _issues() if i["key"] == "SHOP-5")
    post_event(client, _event(bug), "same-again")
    run_worker(connection)
    assert len(jira.calls) == before


def test_a_change_that_moves_a_metric_rewrites_only_its_targets(client, connection, runtime, jira) -> None:
    _load_example_issues(client, connection)
    before = len(jira.of("property"))
    bug = copy.deepcopy(next(i for i in _issues() if i["key"] == "SHOP-6"))
    bug["fields"]["labels"] = ["escaped"]
    bug["fields"]["updated"] = "2026-11-14T10:00:00.000+0000"
    post_event(client, _event(bug), "escaped-now")
    run_worker(connection)
    rewritten = {key for _, key, _ in jira.of("property")[before:]}
    assert rewritten == {"SHOP-1", "SHOP-2", "OKR-7"}  # the escaped-defects KR's epics and its own issue


def test_an_issue_no_kr_reads_marks_nothing(client, connection, runtime, jira) -> None:
    issue = {
        "id": "77",
        "key": "HR-1",
        "fields": {"project": {"key": "HR"}, "issuetype": {"name": "Task"}, "updated": "2026-11-14T10:00:00.000+0000"},
    }
    post_event(client, _event(issue, "jira:issue_created"), "hr")
    run_worker(connection)
    assert jira.calls == [] and connection.scard(DIRTY) == 0


def test_own_writes_do_not_start_another_flush(client, connection, runtime, jira) -> None:
    _load_example_issues(client, connection)
    runtime.config_store.set_own_account("okrsync-bot")
    epic = copy.deepcopy(next(i for i in _issues() if i["key"] == "SHOP-1"))
    epic["fields"]["updated"] = "2026-11-15T10:00:00.000+0000"
    event = {
        **_event(epic),
        "user": {"accountId": "okrsync-bot"},
        "changelog": {"id": "9", "items": [{"field": "Comment", "fieldtype": "jira"}]},
    }
    post_event(client, event, "own")
    run_worker(connection)
    assert connection.scard(DIRTY) == 0 and connection.get("okrsync:flush:pending") is None
    assert int(connection.hget(STATS, "applied_own")) == 1  # counted apart from the events people caused


def _eleven_bugs_found_before_release(client) -> None:
    for number in range(11):  # eleven bugs found before release: 3 escaped of 20 = 15 %, the target
        bug = copy.deepcopy(next(i for i in _issues() if i["key"] == "SHOP-6"))
        bug["id"], bug["key"] = f"900{number}", f"SHOP-{90 + number}"
        bug["fields"]["labels"] = []
        post_event(client, _event(bug, "jira:issue_created"), f"new-bug-{number}")


def test_health_changes_post_one_checkin_comment(client, connection, runtime, jira) -> None:
    _load_example_issues(client, connection)
    assert jira.of("comment") == []  # first sight records the health, says nothing
    _eleven_bugs_found_before_release(client)
    run_worker(connection)
    (comment,) = jira.of("comment")
    assert comment[1] == "OKR-7" and "O1.KR2" in comment[2] and "→ done" in comment[2]
    assert runtime.written.health("shop-q4/O1.KR2") == "done"


def test_a_checkin_comment_says_how_much_since_when_and_links_the_kr(client, connection, settings, jira) -> None:
    public = settings.model_copy(update={"public_url": "https://okrsync.example.com/"})
    built = build_runtime(public, connection, jira=jira)
    install_runtime(built)
    built.config_store.apply(_example_config(), "okrs.yaml", "test", AT)
    _load_example_issues(client, connection)
    _eleven_bugs_found_before_release(client)
    run_worker(connection)
    (text,) = [body for _, _, body in jira.of("comment")]
    today = datetime.now(UTC)
    lines = text.splitlines()
    assert lines[0].startswith("OKR check-in — O1.KR2 ") and lines[0].endswith("→ done.")
    assert lines[1].startswith(f"Since {today.day} {today:%b}: ") and "% → 15 %" in lines[1]
    assert lines[-1] == "Details: https://okrsync.example.com/admin/sets/shop-q4/krs/O1.KR2"
    assert "okrsync-" not in text
    (checkin,) = [p["value"] for p in jira.posted["OKR-7"][0]["properties"]]
    assert checkin["kr"] == "shop-q4/O1.KR2" and checkin["health"]["to"] == "done" and checkin["value"]["to"] == 15
    assert checkin["marker"].startswith("okrsync-checkin:") and checkin["metric_version"]


def test_a_checkin_is_not_posted_twice_after_a_crash(connection, runtime, jira) -> None:
    store = runtime.written
    store.set_health("shop-q4/O1.KR2", "on_track")
    marker_text = "health changed"
    # a worker posted the comment and died before recording: the pending marker is left behind
    original_set_health = store.set_health
    store.set_health = lambda ref, health: None  # type: ignore[method-assign]
    assert post_checkin(jira, store, "shop-q4/O1.KR2", "OKR-7", "on_track", "at_risk", marker_text, "2026-11-15")
    store.set_health = original_set_health  # type: ignore[method-assign]
    assert not post_checkin(jira, store, "shop-q4/O1.KR2", "OKR-7", "on_track", "at_risk", marker_text, "2026-11-15")
    assert len(jira.of("comment")) == 1 and store.health("shop-q4/O1.KR2") == "at_risk"
    (posted,) = jira.posted["OKR-7"]
    assert posted["body"] == marker_text  # the text is for people: the marker is in the comment's property
    assert [p["key"] for p in posted["properties"]] == ["okrsync.checkin"]
    assert posted["properties"][0]["value"]["marker"].startswith("okrsync-checkin:")


def test_a_flush_killed_midway_leaves_its_work_for_the_next(connection, runtime, jira) -> None:
    connection.sadd(DIRTY, "shop-q4/O1.KR2")
    claim_dirty(connection)  # a flush took the work and died
    assert connection.scard(DIRTY) == 0 and connection.scard(IN_FLUSH) == 1
    connection.sadd(DIRTY, "shop-q4/O1.KR1")
    members, _ = claim_dirty(connection)  # type: ignore[misc]
    assert members == {"shop-q4/O1.KR2", "shop-q4/O1.KR1"}


def test_without_jira_the_flush_evaluates_and_writes_nothing(settings, connection) -> None:
    bare = build_runtime(settings, connection)
    bare.config_store.apply(_example_config(), "okrs.yaml", "test", AT)
    connection.sadd(DIRTY, "*")
    result = flush(bare, now=AT)
    assert result.written == [] and "no Jira configured" in (result.skipped or "")
    assert connection.get(REPORT) is not None


def test_config_store_records_metric_versions_on_change(connection, runtime) -> None:
    store = runtime.config_store
    first = store.metric_history("sev1_incidents")
    assert len(first) == 1 and first[0]["author"] == "test"
    again = store.apply(_example_config(), "okrs.yaml", "test", AT)
    assert not again.changed
    changed = store.apply(_example_config(**{"metrics.sev1_incidents.window": "30d"}), "okrs.yaml", "bob", AT)
    assert changed.changed and [c.metric for c in changed.metric_changes] == ["sev1_incidents"]
    history = store.metric_history("sev1_incidents")
    assert [h["author"] for h in history] == ["test", "bob"] and history[0]["version"] != history[1]["version"]


def test_a_flush_too_soon_after_the_last_lets_queued_work_run_first(runtime, connection) -> None:
    from rq import Queue

    from sync.jobs import LAST_FLUSH, flush_okrs, flush_wait_seconds
    from sync.scheduling import FLUSH_JOB

    assert flush_wait_seconds(connection, 1.0) == 0.0  # no flush yet
    connection.set(LAST_FLUSH, repr(time.time()))
    assert 0.5 < flush_wait_seconds(connection, 1.0) <= 1.0
    assert flush_wait_seconds(connection, 0.0) == 0.0  # the interval switched off
    queue = Queue(runtime.queue_name, connection=connection)
    queue.enqueue("sync.jobs.drain_events", description="a drain waiting")
    assert "deferred" in flush_okrs(connection)
    assert [job.func_name for job in queue.jobs] == ["sync.jobs.drain_events", FLUSH_JOB]


def test_a_flush_too_soon_with_nothing_queued_waits_out_the_interval(runtime, connection) -> None:
    from sync.jobs import LAST_FLUSH, flush_okrs

    connection.set(LAST_FLUSH, repr(time.time()))
    started = time.monotonic()
    result = flush_okrs(connection)
    assert "deferred" not in result
    assert time.monotonic() - started >= 0.5  # the default interval is 1 s
    assert float(connection.get(LAST_FLUSH)) >= time.time() - 1


def test_a_burst_spaces_its_flushes_two_intervals_apart(runtime, connection) -> None:
    from sync.jobs import BURST_DELIVERIES, LAST_FLUSH_QUEUED, flush_interval, flush_okrs

    assert flush_interval(connection, 1.0) == 1.0  # no flush yet
    connection.hset(STATS, "queued", 40)
    flush_okrs(connection)
    assert connection.get(LAST_FLUSH_QUEUED) == b"40"
    connection.hincrby(STATS, "queued", BURST_DELIVERIES - 1)
    assert flush_interval(connection, 1.0) == 1.0  # a stream, not a burst: one flush per interval
    connection.hincrby(STATS, "queued", 1)
    assert flush_interval(connection, 1.0) == 2.0  # a burst: its flushes two intervals apart


def test_a_checkin_sent_by_a_worker_that_died_is_waited_for_before_it_is_sent_again(connection, runtime, jira) -> None:
    from sync.jira_writer import IN_FLIGHT_SECONDS, Checkin

    store, ref = runtime.written, "shop-q4/O1.KR2"
    store.set_health(ref, "on_track")
    store.set_pending_checkin(ref, "okrsync-checkin:from-the-dead-worker", 1000.0)  # its request may still land
    arguments = (jira, store, ref, "OKR-7", "on_track", "at_risk", "health changed", "2026-11-15")
    assert post_checkin(*arguments, now=1000.0 + IN_FLIGHT_SECONDS / 2) is Checkin.WAITING
    assert jira.of("comment") == [] and store.health(ref) == "on_track"
    assert post_checkin(*arguments, now=1000.0 + IN_FLIGHT_SECONDS + 1) is Checkin.POSTED  # it never landed
    assert len(jira.of("comment")) == 1 and store.health(ref) == "at_risk"


def test_a_checkin_links_the_sets_confluence_page_once_written_else_the_admin_kr_page(settings, connection) -> None:
    ref = ("shop-q4", "O1.KR2")
    assert kr_link(build_runtime(settings, connection), ref) is None  # no public URL, no page: no link
    both = settings.model_copy(
        update={"public_url": "https://okrsync.example.com", "confluence_url": "https://acme.atlassian.net"}
    )
    runtime = build_runtime(both, connection)
    assert kr_link(runtime, ref) == "https://okrsync.example.com/admin/sets/shop-q4/krs/O1.KR2"
    connection.hset(f"{STATE}set:shop-q4", "page_id", "65010")
    assert kr_link(runtime, ref) == "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=65010"


def test_a_checkin_posted_by_an_earlier_version_with_its_marker_in_the_text_is_found(connection, runtime, jira) -> None:
    store, ref = runtime.written, "shop-q4/O1.KR2"
    store.set_health(ref, "on_track")
    marker = checkin_marker(ref, "on_track", "at_risk", "2026-11-15")
    store.set_pending_checkin(ref, marker, time.time())
    jira.add_comment("OKR-7", f"OKR check-in — health changed\n[{marker}]")
    assert not post_checkin(jira, store, ref, "OKR-7", "on_track", "at_risk", "health changed", "2026-11-15")
    assert len(jira.of("comment")) == 1 and store.health(ref) == "at_risk"


def test_a_checkin_right_after_another_is_not_held_back_by_a_rounded_time(connection, runtime, jira) -> None:
    store = runtime.written
    store.set_health("shop-q4/O1.KR2", "on_track")
    first = 1_763_200_000.0006  # a time whose millisecond rounds up past the next call's time
    assert post_checkin(jira, store, "shop-q4/O1.KR2", "OKR-7", "on_track", "at_risk", "1", "d", now=first)
    again = post_checkin(jira, store, "shop-q4/O1.KR2", "OKR-7", "at_risk", "off_track", "2", "d", now=first + 0.0001)
    assert again is Checkin.POSTED and store.last_checkin("shop-q4/O1.KR2") == first + 0.0001


def test_the_pages_hear_when_the_newest_change_came_and_jira_does_not() -> None:
    from sync.flush import summarise_triggers, timed

    triggers = [{"kind": "webhook", "issue": "OPS-61", "at": 1796618880.5}, {"kind": "schedule", "at": 1796618000.0}]
    trigger = summarise_triggers(triggers)
    assert trigger == {"kind": "webhook", "issue": "OPS-61", "coalesced": "2"}  # as Jira and the readings keep it
    assert timed(trigger, triggers) == {**trigger, "at": "1796618880.5"}
    assert timed({"kind": "recovery"}, []) == {"kind": "recovery"}


def test_the_flush_job_makes_the_selections_its_flush_read_by_a_pass_once_the_results_are_out(
    client, connection, runtime
) -> None:
    _load_example_issues(client, connection)  # the drains, then the flush job: a worker's first flush
    config = runtime.config_store.current()
    live = runtime.mirror_in_memory.current(config.zone, runtime.config_store.field_names())
    assert live.deferred == 0  # made after the flush, before the job ended
    metric = next(m for m in config.metrics.values() if m.source == "jira" and m.jql)
    from okr.metrics import metric_reader

    kept = live.selection(metric.jql, metric.effective_date_field, metric_reader(metric), datetime.now(UTC))
    assert kept is not None and live.deferred == 0
