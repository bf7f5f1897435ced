"""People's check-ins in Redis, and `/checkin` comments on a KR's issue through the webhook, the worker
and the flush (real Redis, a real RQ worker, a recording Jira)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from okr.checkins import CheckInWords
from okrsync.ops import webhook_jql
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from okrsync.status import collect_status, render_status
from sync.flush import REPORT
from sync.people_checkins import KEPT_PER_KR, PeopleCheckins, counters, new_checkin
from sync.runtime import forget_runtimes, install_runtime
from tests.conftest import load_fixture, post_event, run_worker
from tests.sync.test_flush import AT, RecordingJira, _example_config

REF = ("shop-q4", "O1.KR2")  # its jira_issue is OKR-7 in the example
NOW = datetime.now(UTC)


@pytest.fixture()
def jira() -> RecordingJira:
    return RecordingJira()


@pytest.fixture()
def runtime(settings: Settings, connection, jira):
    built = build_runtime(settings, connection, jira=jira)
    install_runtime(built)
    built.config_store.apply(_example_config(), "okrs.yaml", "test", AT)
    built.config_store.set_own_account("okr-sync-bot")
    yield built
    forget_runtimes()


def _comment_event(body: Any, kind: str = "comment_created", comment_id: str = "10019", **changes: Any) -> dict:
    event = copy.deepcopy(load_fixture("webhook-cloud-comment-created.json"))
    event["webhookEvent"] = kind
    event["comment"].update(id=comment_id, body=body, created=NOW.strftime("%Y-%m-%dT%H:%M:%S.000+0000"))
    event["issue"]["key"] = changes.pop("issue", "OKR-7")
    event["comment"]["author"].update(changes)
    return event


def _deliver(client, connection, event: dict, delivery: str) -> None:
    assert post_event(client, event, delivery).status_code == 202
    run_worker(connection)


def _stored(connection) -> list:
    return PeopleCheckins(connection).history(REF)


# ---------------------------------------------------------------------------- the store


def test_history_is_newest_first_and_bounded(connection) -> None:
    store = PeopleCheckins(connection)
    for minutes in range(KEPT_PER_KR + 5):
        store.add(
            new_checkin(REF, CheckInWords(0.5, f"n{minutes}"), ("u", "U"), NOW + timedelta(minutes=minutes), "api")
        )
    history = store.history(REF, limit=KEPT_PER_KR + 10)
    assert len(history) == KEPT_PER_KR
    assert history[0].note == f"n{KEPT_PER_KR + 4}" and history[-1].note == "n5"
    assert store.latest([REF, ("shop-q4", "nope")]) == {REF: history[0]}


# ---------------------------------------------------------------------------- comments through the worker


def test_a_checkin_comment_is_stored_once_and_reaches_the_report_and_property(client, connection, runtime, jira):
    event = _comment_event("/checkin 0.6 Vendor API is late; asks: one QA person")
    _deliver(client, connection, event, "c1")
    _deliver(client, connection, {**event, "timestamp": event["timestamp"] + 5}, "c2")  # sent again: adds nothing
    (checkin,) = _stored(connection)
    assert (checkin.confidence, checkin.note, checkin.asks) == (0.6, "Vendor API is late", "one QA person")
    assert (checkin.author_name, checkin.author_id) == ("Test User", "5c5f880629be9642ba529340")
    assert (checkin.source, checkin.comment_id) == ("comment", "10019")
    assert counters(connection)["stored"] == 1 and counters(connection)["unchanged"] == 1
    kr = _report_kr(connection)
    assert kr["checkin"]["note"] == "Vendor API is late" and "no_checkin" not in kr["flags"]
    status = _property_status(jira, "OKR-7")
    assert status["checkin"]["confidence"] == 0.6 and status["checkin"]["author"] == "Test User"


def test_an_edited_comment_replaces_its_checkin_and_a_deleted_one_removes_it(client, connection, runtime, jira):
    _deliver(client, connection, _comment_event("/checkin low stuck"), "e1")
    _deliver(client, connection, _comment_event("/checkin high unstuck", "comment_updated"), "e2")
    (checkin,) = _stored(connection)
    assert (checkin.confidence, checkin.note) == (0.9, "unstuck")
    _deliver(client, connection, _comment_event("/checkin much better", "comment_updated"), "e3")  # malformed edit
    assert [c.note for c in _stored(connection)] == ["unstuck"]
    _deliver(client, connection, _comment_event("whatever", "comment_deleted"), "e4")
    assert _stored(connection) == []
    assert "checkin" not in _report_kr(connection)
    assert counters(connection)["removed"] == 1 and counters(connection)["malformed"] == 1


def test_comments_that_are_not_checkins_are_ignored_and_counted(client, connection, runtime, jira) -> None:
    _deliver(client, connection, _comment_event("/checkin"), "m1")  # no number
    _deliver(client, connection, _comment_event("/checkin 1.5 sure", comment_id="2"), "m2")
    _deliver(client, connection, _comment_event("/checkin 0.5 " + "x" * 100_000, comment_id="3"), "m3")
    _deliver(client, connection, _comment_event("Added a comment", comment_id="4"), "m4")
    _deliver(client, connection, _comment_event("/checkin 0.5 elsewhere", comment_id="5", issue="SHOP-1"), "m5")
    own = _comment_event("/checkin 0.9 from the service", comment_id="6", accountId="okr-sync-bot")
    _deliver(client, connection, own, "m6")
    assert _stored(connection) == []
    seen = counters(connection)
    assert (seen["malformed"], seen["not_a_command"], seen["not_on_a_kr"], seen["own_comment"]) == (3, 1, 1, 1)
    text = render_status(collect_status(connection, "test", 0))
    assert "Check-in comments: stored 0, removed 0, unchanged 0, malformed 3, not_on_a_kr 1" in text
    assert connection.xlen("okrsync:events:dead") == 0


def test_a_data_center_comment_event_finds_its_issue_through_the_mirror(client, connection, runtime, jira) -> None:
    issue = {"id": "10013", "key": "OKR-7", "fields": {"project": {"key": "OKR"}, "issuetype": {"name": "Task"}}}
    issue["fields"]["updated"] = "2026-11-14T10:00:00.000+0000"
    _deliver(client, connection, {"webhookEvent": "jira:issue_created", "timestamp": 1, "issue": issue}, "i1")
    event = copy.deepcopy(load_fixture("webhook-server-comment-updated.json"))
    event["comment"]["body"] = "/checkin 0.4 from the server"
    _deliver(client, connection, event, "dc1")
    (checkin,) = _stored(connection)
    assert (checkin.note, checkin.comment_id, checkin.author_name) == ("from the server", "10084", "Lev Brouk")


def _report_kr(connection) -> dict[str, Any]:
    report = json.loads(connection.get(REPORT))
    shop = next(s for s in report["okr_sets"] if s["id"] == REF[0])
    return next(kr for o in shop["objectives"] for kr in o["key_results"] if kr["id"] == REF[1])


def _property_status(jira: RecordingJira, key: str) -> dict[str, Any]:
    value = [v for _, k, v in jira.of("property") if k == key][-1]
    return next(s for s in value["key_results"] if s["kr"] == REF[1])


def test_the_webhook_filter_takes_in_the_kr_issues_outside_the_mapped_projects(runtime) -> None:
    jql = webhook_jql(runtime.config_store.current())
    assert jql.startswith('project in ("OPS", "PLAT", "SHOP")') and jql.endswith(" OR key in (OKR-7)"), jql


def test_an_edit_without_its_issue_replaces_the_check_in_its_comment_made(client, connection, runtime, jira) -> None:
    _deliver(client, connection, _comment_event("/checkin 0.5 first words", comment_id="10084"), "w1")
    event = copy.deepcopy(load_fixture("webhook-server-comment-updated.json"))  # no issue; the mirror lacks 10013
    event["comment"]["body"] = "/checkin 0.7 better words"
    _deliver(client, connection, event, "w2")
    assert [(c.confidence, c.note) for c in _stored(connection)] == [(0.7, "better words")]
