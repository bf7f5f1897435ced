"""Faults: rate limits and 5xx storms, dropped webhooks healed by reconciliation, a worker killed in
the middle of a flush. Each test says what it injected and checks the end state against Jira's."""

from __future__ import annotations

import signal

import redis

from connector import CallStats, JiraPort, JiraSettings, RetryPolicy
from connector.jira import property_value
from okrsync.runtime_builder import build_runtime
from publish.jira import CHECKIN_PROPERTY
from sync.dirty import IN_FLUSH
from sync.documents import issue_document
from sync.reconcile import reconcile
from sync.runtime import install_runtime
from tests.conftest import run_worker
from tests.support.waiting import wait_until
from tests.sync.conftest import SCENARIO, settled, start_worker, status_of, stop_worker

BUGS = [issue["key"] for issue in SCENARIO["issues"] if issue["type"] == "Bug"]
RETRY_AFTER = 7  # distinct from every backoff step, so the recorded waits tell them apart


def _escaped_share(jira: JiraPort) -> float:
    """What the KR should say, computed from Jira's own state."""
    bugs = list(jira.search("project = SHOP AND issuetype = Bug", fields=["labels"]))
    escaped = sum(1 for bug in bugs if "escaped" in bug["fields"]["labels"])
    return round(100 * escaped / len(bugs), 4)


def test_rate_limits_and_server_errors_delay_writes_but_lose_none(stack, connection) -> None:
    emulator, jira = stack["emulator"], stack["jira"]
    waits: list[float] = []
    stats = CallStats()
    faulty = JiraPort(
        JiraSettings(url=stack["settings"].jira_url, user="admin@acme.example", token="x"),
        RetryPolicy(sleep=waits.append),
        stats,
    )
    install_runtime(build_runtime(stack["settings"], connection, jira=faulty))
    print(f"injected: 429 (Retry-After {RETRY_AFTER}s) on 30% and 503 on 5% of calls")
    emulator.faults.configure({"retry_after_s": RETRY_AFTER, "seed": 7})
    for key in BUGS[3:9]:  # six changes, each recomputed and written back under the storm
        jira.update_fields(key, {"labels": ["escaped"]})
        assert emulator.dispatcher.wait_idle(timeout=10)
        emulator.faults.configure({"rate_limit_fraction": 0.3, "error_fraction": 0.05})
        run_worker(connection)  # the drain and the flush, in this process, with the recording policy
        emulator.faults.configure({"rate_limit_fraction": 0.0, "error_fraction": 0.0})
        assert status_of(jira, "SHOP-1")["current"] == _escaped_share(jira)

    limited, failed = stats.count("jira", outcome="429"), stats.count("jira", outcome="5xx")
    print(f"verified: {stats.count('jira')} calls, {limited} answered 429, {failed} answered 5xx, all writes landed")
    assert limited > 0 and failed > 0, "the seed must inject both kinds of failure"
    assert waits.count(RETRY_AFTER) == limited  # every 429 was followed by exactly its Retry-After
    assert status_of(jira, "SHOP-1")["current"] == 80.0
    assert status_of(jira, "OKR-1")["current"] == 80.0


def test_dropped_webhooks_are_healed_by_one_reconciliation(service, connection) -> None:
    emulator, jira, runtime = service["emulator"], service["jira"], service["runtime"]
    settled(connection, emulator)
    emulator.faults.configure({"webhook_drop_fraction": 0.2, "seed": 5})
    for round_number in range(3):
        for number, key in enumerate(BUGS):
            escaped = (number + round_number) % 3 == 0
            jira.update_fields(key, {"labels": ["escaped"] if escaped else [], "summary": f"{key} r{round_number}"})
    settled(connection, emulator)
    dropped = emulator.faults.counters()["webhooks"].get("dropped", 0)
    print(f"injected: {dropped} of {3 * len(BUGS)} deliveries dropped")
    assert dropped > 0

    report = reconcile(runtime)
    print(f"verified: reconciliation read {report.seen} issue(s) and found {report.drift} drifted: {report.drifted}")
    assert report.drift > 0
    settled(connection, emulator)
    for issue in jira.search("project in (SHOP, OKR)"):
        assert runtime.mirror.get(issue["key"]) == issue_document(issue), issue["key"]
    assert status_of(jira, "SHOP-1")["current"] == _escaped_share(jira)
    assert reconcile(runtime).drift == 0  # a second run finds nothing left


def _checkins(jira: JiraPort) -> list[str]:
    """The texts of the check-in comments on OKR-1: the comments carrying the check-in property."""
    return [str(c["body"]) for c in jira.comments("OKR-1") if property_value(c, CHECKIN_PROPERTY)]


def test_a_worker_killed_during_a_flush_converges_without_a_duplicate_comment(service, connection) -> None:
    emulator, jira = service["emulator"], service["jira"]
    settled(connection, emulator)
    assert _checkins(jira) == []
    emulator.faults.configure({"latency_ms": 300})  # a slow Jira keeps the flush busy long enough
    for key in ("SHOP-2", "SHOP-3"):  # no escaped bug left: the KR reaches its target
        jira.update_fields(key, {"labels": []})
    wait_until(lambda: connection.exists(IN_FLUSH), 20, "a flush to start", every=0.02)
    answered = emulator.faults.counters()["total_calls"]
    # the flush under way: one of its calls to the slow Jira answered (the next one in flight)
    wait_until(lambda: emulator.faults.counters()["total_calls"] > answered, 10, "the flush's first Jira answer")
    service["worker"].send_signal(signal.SIGKILL)
    service["worker"].wait(timeout=10)
    print("injected: SIGKILL of the worker in the middle of a flush")
    emulator.faults.configure({"latency_ms": 0})
    replacement = start_worker(service)
    try:
        settled(connection, emulator, seconds=60)
        status = status_of(jira, "SHOP-1")
        assert (status["current"], status["health"]) == (0.0, "done")
        checkins = _checkins(jira)
        print(f"verified: converged to {status['health']} with {len(checkins)} check-in comment(s): {checkins}")
        assert len(checkins) == 1 and "→ done" in checkins[0]
        assert "okrsync-" not in checkins[0]  # the marker is in the comment's property, not in its text
    finally:
        stop_worker(replacement)


def test_reconciliation_without_changes_reads_and_finds_nothing(stack, connection: redis.Redis) -> None:
    report = reconcile(stack["runtime"])
    assert report.drift == 0 and report.seen >= 0
