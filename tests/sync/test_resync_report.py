"""Resync against the emulator: a full resync forgets issues Jira no longer has (and only a full one
does); the report counts every change but names only the first few."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from okrsync.ops import apply_config_text
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.reconcile import DRIFTED_KEPT, LAST_RESYNC, SyncReport, resync
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
