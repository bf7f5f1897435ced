"""Resync against the emulator: a full resync forgets issues Jira no longer has (and only a full one
does); the report counts every change but names only the first few."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from connector import BadRequest
from okrsync.ops import apply_config_text
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.mirror import document_json
from sync.reconcile import DRIFTED_KEPT, LAST_RESYNC, RESYNC_PROGRESS, SyncReport, resync
from sync.runtime import Runtime
from tests.conftest import QUEUE, SECRET
from tests.sync.conftest import CONFIG

ISSUES = DRIFTED_KEPT + 10


@pytest.fixture()
def scenario() -> dict[str, Any]:
    return {
        "users": [{"name": "admin", "accountId": "5b10a2844c20165700ede21g", "email": "admin@acme.example"}],
        "projects": [{"key": "SHOP", "name": "Shop"}, {"key": "OKR", "name": "OKRs"}],
        "generate": [{"project": "SHOP", "count": ISSUES, "labels": ["escaped"], "days": 10}],
    }


@pytest.fixture()
def runtime(site: tuple[Any, str], connection: redis.Redis, tmp_path: Path) -> Iterator[Runtime]:
    _, jira_url = site
    settings = Settings(
        webhook_secret=SECRET,
        queue_name=QUEUE,
        data_dir=tmp_path,
        jira_url=jira_url,
        jira_user="admin@acme.example",
        jira_token="any",
        _env_file=None,
    )
    runtime = build_runtime(settings, connection)
    apply_config_text(runtime, CONFIG.replace("START", "2020-01-01").replace("END", "2099-12-31"), "test", "test")
    yield runtime


def delete_in_jira(site: tuple[Any, str], key: str) -> None:
    _, jira_url = site
    answer = requests.delete(f"{jira_url}/rest/api/2/issue/{key}", auth=("admin@acme.example", "any"), timeout=10)
    assert answer.status_code == 204, answer.text


def test_the_report_counts_every_change_and_names_the_first_ones(runtime: Runtime, connection: redis.Redis) -> None:
    report = resync(runtime, full=True)
    assert report.seen == report.drift == ISSUES
    assert report.drifted == [f"SHOP-{n}" for n in range(1, DRIFTED_KEPT + 1)]
    assert runtime.mirror.count() == ISSUES
    assert resync(runtime, full=True).drift == 0  # nothing changed in Jira since


def test_only_a_full_resync_forgets_issues_jira_no_longer_has(runtime: Runtime, site: tuple[Any, str]) -> None:
    resync(runtime, full=True)
    delete_in_jira(site, "SHOP-7")
    delete_in_jira(site, "SHOP-30")

    kept = resync(runtime)
    assert kept.seen == ISSUES - 2 and kept.drift == 0
    assert runtime.mirror.get("SHOP-7") is not None

    forgot = resync(runtime, full=True)
    assert forgot.seen == ISSUES - 2 and forgot.drift == 2 and sorted(forgot.drifted) == ["SHOP-30", "SHOP-7"]
    assert runtime.mirror.get("SHOP-7") is None and runtime.mirror.get("SHOP-30") is None
    assert runtime.mirror.get("SHOP-8") is not None and runtime.mirror.count() == ISSUES - 2


def test_count_drift_keeps_counting_past_the_named_keys() -> None:
    report = SyncReport()
    for n in range(DRIFTED_KEPT * 3):
        report.count_drift(f"X-{n}")
    assert report.drift == DRIFTED_KEPT * 3
    assert report.drifted == [f"X-{n}" for n in range(DRIFTED_KEPT)]


def test_the_stored_summary_of_a_resync_is_unchanged_in_shape(runtime: Runtime, connection: redis.Redis) -> None:
    resync(runtime, full=True)
    stored = json.loads(connection.get(LAST_RESYNC))
    assert stored["seen"] == stored["drift"] == ISSUES and len(stored["drifted"]) == DRIFTED_KEPT


def test_an_interrupted_resync_resumes_with_the_projects_it_had_not_finished(
    runtime: Runtime, site: tuple[Any, str], connection: redis.Redis
) -> None:
    """OKR is walked first (the projects in order), then SHOP's search fails: OKR stays done, and the
    next resync walks SHOP only. The read-ahead thread of the failed walk is gone."""
    emulator, _ = site
    okr_issue = {"project": {"key": "OKR"}, "summary": "A KR", "issuetype": {"name": "Task"}}
    requests.post(
        f"{site[1]}/rest/api/2/issue", json={"fields": okr_issue}, auth=("admin@acme.example", "any"), timeout=10
    ).raise_for_status()
    emulator.faults.configure({"fail_search_jql": ['"SHOP"'], "fail_search_status": 400})
    with pytest.raises(BadRequest):
        resync(runtime, full=True)
    assert connection.hget(RESYNC_PROGRESS, "OKR") == b"done" and connection.hget(RESYNC_PROGRESS, "SHOP") is None
    assert runtime.mirror.count() == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("resync ")]

    emulator.faults.configure({"fail_search_jql": []})
    resumed = resync(runtime)
    assert resumed.seen == ISSUES and runtime.mirror.count() == ISSUES + 1
    assert connection.hget(RESYNC_PROGRESS, "OKR") is None  # a finished resync starts over next time


def test_a_resync_stores_documents_as_they_read_back_and_finds_no_change_in_an_equal_one(
    runtime: Runtime, site: tuple[Any, str], connection: redis.Redis
) -> None:
    """Stored documents read back equal to what Jira's answer projects to; one stored in another form
    of the same JSON (``json.dumps`` escapes "é", the mirror's writer does not) is no change."""
    requests.put(
        f"{site[1]}/rest/api/2/issue/SHOP-3",
        json={"fields": {"summary": "Café crème"}},
        auth=("admin@acme.example", "any"),
        timeout=10,
    ).raise_for_status()
    resync(runtime, full=True)
    assert runtime.mirror.get("SHOP-3")["summary"] == "Café crème"
    issue_id = runtime.mirror.redis.hget("okrsync:mirror:keys", "SHOP-3").decode()
    raw = connection.hget(f"okrsync:mirror:issue:{issue_id}", "doc")
    document = json.loads(raw)
    assert raw == document_json(document) and "é".encode() in raw
    connection.hset(
        f"okrsync:mirror:issue:{issue_id}", "doc", json.dumps(document, separators=(",", ":"), sort_keys=True)
    )
    assert resync(runtime, full=True).drift == 0
