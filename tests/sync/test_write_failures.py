"""A write Jira refuses stays local to its target: the emulator on a real port, the real client, Redis.

The flush runs in this process (``flush(runtime)``), so each test decides when it happens and what
time it is; the worker process adds nothing to what is checked here.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connector import JiraPort, RetryPolicy
from sync.dirty import mark_all
from sync.failures import FAILURES, FailureStore
from sync.flush import flush
from sync.scheduling import sweep
from tests.conftest import QUEUE
from tests.sync.conftest import CONFIG, property_writes, status_property

MISSPELLED = CONFIG.replace(
    "contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr-escaped}",
    "contributors: {epics: [SHOP-1, SHOP-99999]}",
)


@pytest.fixture()
def config_text() -> str:
    return MISSPELLED


@pytest.fixture()
def runtime(stack: dict[str, Any]) -> Any:
    """The stack's runtime with a Jira port that gives up fast (two attempts, no real waiting)."""
    runtime = stack["runtime"]
    runtime.jira = JiraPort(runtime.jira.settings, RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0.0))
    runtime.redis.delete(FAILURES)
    return runtime


def _apply(runtime: Any, text: str) -> None:
    """A new configuration, with the cycle dates the stack gives it."""
    dated = text.replace("START", "2020-01-01").replace("END", time.strftime("%Y-%m-%d", time.gmtime()))
    runtime.config_store.apply(dated, "okrs.yaml", "test", datetime.now(UTC))


def _flush(runtime: Any, now: datetime | None = None) -> Any:
    mark_all(runtime.redis, {"kind": "test"})
    return flush(runtime, now=now)


def test_a_missing_contributor_is_recorded_and_every_other_target_written(stack: dict[str, Any], runtime: Any) -> None:
    report = _flush(runtime)
    assert report.failed == ["property:SHOP-99999"]
    assert status_property(stack["jira"], "SHOP-1") is not None
    assert status_property(stack["jira"], "OKR-1") is not None
    [failure] = FailureStore(runtime.redis).all()
    assert (failure.target, failure.kind, failure.status) == ("property:SHOP-99999", "permanent", 404)
    assert "SHOP-99999" in failure.reason


def test_a_refused_target_is_not_tried_again_until_the_configuration_changes(
    stack: dict[str, Any], runtime: Any
) -> None:
    emulator = stack["emulator"]
    _flush(runtime)
    emulator.faults.reset_counters()
    again = _flush(runtime)
    assert again.failed == [] and "property:SHOP-99999" in again.held
    assert property_writes(emulator) == 0  # the others are unchanged, and the refused one is not sent at all
    _apply(runtime, MISSPELLED.replace("Dependable checkout", "Dependable checkout, always"))
    after_change = _flush(runtime)
    assert after_change.failed == ["property:SHOP-99999"]  # a new configuration: tried once more
    assert FailureStore(runtime.redis).get("property:SHOP-99999").attempts == 2  # type: ignore[union-attr]


def test_a_corrected_configuration_forgets_the_failure(stack: dict[str, Any], runtime: Any) -> None:
    _flush(runtime)
    _apply(runtime, MISSPELLED.replace(", SHOP-99999", ""))
    report = _flush(runtime)
    assert report.failed == [] and report.held == []
    assert FailureStore(runtime.redis).all() == []


def test_a_transient_failure_backs_off_for_its_target_only(stack: dict[str, Any], runtime: Any) -> None:
    emulator = stack["emulator"]
    _apply(runtime, MISSPELLED.replace(", SHOP-99999", ""))
    emulator.faults.configure({"error_next": 2, "error_status": 503})  # both attempts of the first write
    report = _flush(runtime)
    assert report.failed == ["property:OKR-1"]  # written in key order: OKR-1 first, then SHOP-1
    assert "property:SHOP-1" in report.written
    failure = FailureStore(runtime.redis).get("property:OKR-1")
    assert failure is not None and failure.kind == "transient" and failure.status == 503
    assert failure.retry_at == pytest.approx(failure.last + 30)
    soon = _flush(runtime)
    assert "property:OKR-1" in soon.held  # still backing off
    assert not FailureStore(runtime.redis).due_retry(time.time())
    later = _flush(runtime, now=datetime.now(UTC) + timedelta(seconds=31))
    assert "property:OKR-1" in later.written
    assert FailureStore(runtime.redis).all() == []


def test_the_sweep_asks_for_a_flush_when_a_backoff_has_passed(stack: dict[str, Any], runtime: Any) -> None:
    emulator = stack["emulator"]
    _apply(runtime, MISSPELLED.replace(", SHOP-99999", ""))
    emulator.faults.configure({"error_next": 2, "error_status": 503})
    _flush(runtime, now=datetime.now(UTC) - timedelta(seconds=60))  # failed a minute ago
    runtime.redis.delete("okrsync:dirty", "okrsync:flush:pending")
    assert FailureStore(runtime.redis).due_retry(time.time())
    assert sweep(runtime.redis, QUEUE)
    assert runtime.redis.sismember("okrsync:dirty", "*")


def test_a_refused_checkin_comment_does_not_stop_the_others(stack: dict[str, Any], runtime: Any) -> None:
    _flush(runtime)
    runtime.written.set_health("shop/KR1", "done")  # the next flush reports a change of health on OKR-1
    emulator = stack["emulator"]
    emulator.faults.configure({"error_next": 2, "error_status": 503})
    report = _flush(runtime)
    assert report.failed == ["checkin:shop/KR1"] and report.comments == []
    failure = FailureStore(runtime.redis).get("checkin:shop/KR1")
    assert failure is not None and failure.kind == "transient" and failure.issue == "OKR-1"


def test_status_names_each_failing_target_its_reason_and_since_when(stack: dict[str, Any], runtime: Any) -> None:
    from okrsync.status import collect_status, render_status

    _flush(runtime)
    report = collect_status(runtime.redis, "test", 0)
    [row] = report["failing"]
    assert (row["target"], row["kind"], row["status"]) == ("property:SHOP-99999", "permanent", 404)
    assert row["since"].endswith("Z")
    text = render_status(report)
    assert "Failing: 1 target(s)" in text and "property:SHOP-99999" in text and "(404)" in text
    assert "tried again after the configuration or the issue changes" in text


def test_the_status_api_and_the_sync_health_page_name_each_failing_target(stack: dict[str, Any], runtime: Any) -> None:
    from okrsync.app import create_app
    from tests.okrsync.admin.conftest import ADMIN_TOKEN
    from tests.okrsync.admin.test_pages import sign_in

    _flush(runtime)
    from pydantic import SecretStr

    settings = stack["settings"].model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})
    client = create_app(settings, connection=runtime.redis).test_client()
    answer = client.get("/api/v1/status", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert answer.status_code == 200, answer.data
    [failing] = answer.get_json()["failing"]
    assert (failing["target"], failing["kind"], failing["status"]) == ("property:SHOP-99999", "permanent", 404)
    assert "SHOP-99999" in failing["reason"] and failing["since"].endswith("Z")
    sign_in(client)
    page = client.get("/admin/health").data.decode()
    assert (
        "Failing targets" in page
        and "property:SHOP-99999" in page
        and "after the configuration or the issue changes" in page
    )


def test_records_of_targets_no_flush_tries_are_forgotten(stack: dict[str, Any], runtime: Any) -> None:
    """A check-in that failed, then check-ins turned off: its record must not ask for flushes for ever."""
    _apply(runtime, MISSPELLED.replace(", SHOP-99999", ""))
    _flush(runtime)
    runtime.written.set_health("shop/KR1", "done")
    stack["emulator"].faults.configure({"error_next": 2, "error_status": 503})
    _flush(runtime, now=datetime.now(UTC) - timedelta(seconds=60))
    assert FailureStore(runtime.redis).due_retry(time.time())
    _apply(
        runtime,
        MISSPELLED.replace(", SHOP-99999", "").replace("writeback:\n", "writeback:\n  checkin_comments: false\n"),
    )
    _flush(runtime)
    assert FailureStore(runtime.redis).all() == [] and not FailureStore(runtime.redis).due_retry(time.time())


MANY_EPICS = MISSPELLED.replace("[SHOP-1, SHOP-99999]", "[SHOP-1, SHOP-2, SHOP-3, SHOP-4, SHOP-5, SHOP-6]")


def test_when_jira_itself_fails_the_rest_of_the_flush_waits_instead_of_retrying_each(
    stack: dict[str, Any], runtime: Any
) -> None:
    emulator = stack["emulator"]
    _apply(runtime, MANY_EPICS)
    emulator.faults.configure({"error_fraction": 1.0, "error_status": 503})
    emulator.faults.reset_counters()
    report = _flush(runtime)
    emulator.faults.configure({"error_fraction": 0.0})
    calls = emulator.faults.counters()["total_calls"]
    assert len(report.failed) == 3 and report.written == []  # three in a row: Jira is down
    assert calls == 3 * 2  # two attempts each; the other targets were not sent
    failures = FailureStore(runtime.redis).all()
    assert {f.target for f in failures} >= set(report.failed) | {t for t in report.held if t.startswith("property:")}
    assert all(f.kind == "transient" and f.retry_at for f in failures)  # all tried again after the backoff
    later = _flush(runtime, now=datetime.now(UTC) + timedelta(seconds=31))
    assert later.failed == [] and len([t for t in later.written if t.startswith("property:")]) == 7


def test_a_refused_checkin_leaves_the_other_krs_checkins_alone(stack: dict[str, Any], runtime: Any) -> None:
    """Two KRs reporting on their own issues; Jira refuses comments (and every write) on one of them."""
    second = MISSPELLED.replace(", SHOP-99999", "").replace(
        "          - id: KR2\n            title: Repeat purchases\n            unmeasured: no survey yet",
        "          - id: KR2\n            title: Escaped defects, seen from the epic\n            metric: escaped_share\n"  # noqa: E501
        "            baseline: 40\n            target: 10\n            jira_issue: SHOP-1",
    )
    _apply(runtime, second)
    _flush(runtime)
    for ref in ("shop/KR1", "shop/KR2"):
        runtime.written.set_health(ref, "done")  # the next flush reports a change of health on both
    stack["emulator"].faults.configure({"refuse_write_keys": ["OKR-1"], "refuse_write_status": 403})
    report = _flush(runtime)
    assert "checkin:shop/KR1" in report.failed and report.comments == ["SHOP-1:KR2"]
    assert FailureStore(runtime.redis).get("checkin:shop/KR1").kind == "permanent"  # type: ignore[union-attr]
