"""A metric whose JQL the mirror cannot evaluate is counted through Jira's search, on a schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sync.dirty import mark_all
from sync.flush import REPORT
from sync.remote import refresh_remote_metrics, remote_metrics
from sync.scheduling import schedule_flush
from tests.conftest import QUEUE, run_worker

REMOTE_METRIC = """
  checkout_bugs_described:
    description: Shop bugs whose description mentions checkout (text search runs in Jira)
    source: jira
    aggregate: count
    jql: project = SHOP AND issuetype = Bug AND description ~ "checkout"
    window: 30d
"""
REMOTE_KR = """
          - id: KR3
            title: Checkout bug reports down from 5 to 0
            metric: checkout_bugs_described
            baseline: 5
            target: 0
"""


def _config_with_remote_metric(text: str) -> str:
    text = text.replace("okr_sets:", REMOTE_METRIC.strip("\n") + "\nokr_sets:", 1)
    return text.replace("          - id: KR2", REMOTE_KR.strip("\n") + "\n          - id: KR2", 1)


def _kr(connection, kr_id: str) -> dict:
    report = json.loads(connection.get(REPORT))
    return next(kr for s in report["okr_sets"] for o in s["objectives"] for kr in o["key_results"] if kr["id"] == kr_id)


def test_remote_metric_is_counted_in_jira_and_marked_remote(stack, connection) -> None:
    runtime, jira = stack["runtime"], stack["jira"]
    for key in ("SHOP-4", "SHOP-6"):
        jira.update_fields(key, {"description": "Fails in the checkout flow"})
    current = connection.hget("okrsync:config", "text").decode()
    runtime.config_store.apply(_config_with_remote_metric(current), "okrs.yaml", "test", datetime.now(UTC))
    mark_all(connection, {"kind": "config"})
    schedule_flush(connection, QUEUE)
    assert list(remote_metrics(runtime.config_store.current())) == ["checkout_bugs_described"]
    run_worker(connection)
    before = _kr(connection, "KR3")
    assert (before["current"], before["evaluated"]) == (None, "remote")  # not measured until the refresh

    assert refresh_remote_metrics(runtime).refreshed == ["checkout_bugs_described@now"]
    schedule_flush(connection, QUEUE)  # as the scheduler does after a refresh
    run_worker(connection)
    kr = _kr(connection, "KR3")
    assert (kr["current"], kr["count"], kr["evaluated"], kr["progress"]) == (2.0, 2, "remote", 0.6)
    counted = stack["emulator"].faults.counters()["calls"]
    assert any("approximate-count" in endpoint for endpoint in counted)


FLAKY_METRIC = """
  payment_bugs_described:
    description: Shop bugs whose description mentions payment (text search runs in Jira)
    source: jira
    aggregate: count
    jql: project = SHOP AND issuetype = Bug AND description ~ "payment"
    window: 30d
"""
FLAKY_KR = """
          - id: KR4
            title: Payment bug reports down from 5 to 0
            metric: payment_bugs_described
            baseline: 5
            target: 0
"""


def test_a_failing_remote_metric_is_stale_alone_and_the_others_refresh(stack, connection) -> None:
    import time

    from sync.remote import remote_failures

    runtime, jira, emulator = stack["runtime"], stack["jira"], stack["emulator"]
    for key in ("SHOP-4", "SHOP-6"):
        jira.update_fields(key, {"description": "Fails in the checkout flow"})
    current = connection.hget("okrsync:config", "text").decode()
    text = _config_with_remote_metric(current).replace("okr_sets:", FLAKY_METRIC.strip("\n") + "\nokr_sets:", 1)
    text = text.replace("          - id: KR2", FLAKY_KR.strip("\n") + "\n          - id: KR2", 1)
    runtime.config_store.apply(text, "okrs.yaml", "test", datetime.now(UTC))
    emulator.faults.configure({"fail_search_jql": ['"payment"'], "fail_search_status": 500})
    started = time.monotonic()
    report = refresh_remote_metrics(runtime)
    assert time.monotonic() - started < 15  # a bounded budget, not the default retries
    assert [k.split("@")[0] for k in report.refreshed] == ["checkout_bugs_described"]
    assert [k.split("@")[0] for k in report.failed] == ["payment_bugs_described"]
    [(key, failure)] = remote_failures(connection).items()
    assert key.startswith("payment_bugs_described@") and "500" in failure["reason"] and failure["attempts"] == 1
    schedule_flush(connection, QUEUE)
    run_worker(connection)
    assert _kr(connection, "KR3")["current"] == 2.0  # refreshed despite the other's failure
    flaky = _kr(connection, "KR4")
    assert flaky["current"] is None and "stale" in flaky["flags"]
    emulator.faults.configure({"fail_search_jql": []})
    assert len(refresh_remote_metrics(runtime).refreshed) == 2 and remote_failures(connection) == {}


def test_the_scheduler_leaves_remote_searches_to_a_worker(stack, connection) -> None:
    from rq import Queue

    from okrsync.periodic import Periodic
    from sync.scheduling import REMOTE_JOB

    runtime, emulator = stack["runtime"], stack["emulator"]
    current = connection.hget("okrsync:config", "text").decode()
    runtime.config_store.apply(_config_with_remote_metric(current), "okrs.yaml", "test", datetime.now(UTC))
    emulator.faults.reset_counters()
    Periodic(runtime, reconcile_every=10**9).round(force=True)
    assert not any("approximate-count" in e for e in emulator.faults.counters()["calls"])  # no count ran here
    assert REMOTE_JOB in [job.func_name for job in Queue(QUEUE, connection=connection).jobs]
