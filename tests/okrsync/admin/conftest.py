"""Fixtures of the admin API and page tests: the app with both tokens on a real (embedded) Redis,
a small configuration around today, and mirrored issues to evaluate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from okrsync.admin.context import admin_context
from okrsync.admin.document import apply_config_text
from okrsync.app import create_app
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.documents import issue_document
from sync.mirror import RedisMirror
from sync.runtime import forget_runtimes, install_runtime
from tests.conftest import QUEUE, SECRET, run_worker

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
READ_TOKEN = "read-token-for-tests-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}


def config_text(today: date | None = None) -> str:
    today = today or datetime.now(UTC).date()
    start, end = today - timedelta(days=30), today + timedelta(days=60)
    return f"""\
version: 1
timezone: UTC
cycles:
  - {{id: now, start: {start}, end: {end}}}
metrics:
  escaped_share:
    description: Share of shop bugs found in production
    source: jira
    aggregate: ratio
    jql: project = SHOP AND issuetype = Bug
    numerator_jql: project = SHOP AND issuetype = Bug AND labels = escaped
    window: 30d
    unit: "%"
  conversion:
    description: Checkout conversion from the analytics pipeline
    source: push
    unit: "%"
    stale_after: 8d
okr_sets:
  - id: shop
    name: Shop
    cycle: now
    owner: alice@example.com
    projects: [SHOP]
    confluence: {{space: OKR, title: Shop OKRs}}
    objectives:
      - id: O1
        title: Dependable checkout
        key_results:
          - id: KR1
            title: Escaped defects from 40% to 10% of bugs
            owner: bob@example.com
            metric: escaped_share
            baseline: 40
            target: 10
            contributors: {{jql: project = SHOP AND issuetype = Epic AND labels = kr-escaped}}
          - id: KR2
            title: Checkout conversion from 2% to 3%
            metric: conversion
            baseline: 2
            target: 3
          - id: KR3
            title: Repeat purchases
            unmeasured: no survey yet
"""


def jira_issue(
    key: str,
    issuetype: str,
    created: datetime,
    labels: list[str] | None = None,
    status: str = "To Do",
    category: str = "new",
) -> dict[str, Any]:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {
        "id": str(abs(hash(key)) % 10**8),
        "key": key,
        "fields": {
            "project": {"key": key.split("-")[0]},
            "issuetype": {"name": issuetype},
            "summary": f"{issuetype} {key}",
            "status": {"name": status, "statusCategory": {"key": category}},
            "labels": labels or [],
            "created": stamp,
            "updated": stamp,
        },
    }


def mirror_issues(connection: redis.Redis) -> None:
    """Ten bugs in the last days (three escaped) and two epics, one of them done."""
    now = datetime.now(UTC)
    issues = [
        jira_issue(f"SHOP-{n}", "Bug", now - timedelta(days=n), ["escaped"] if n <= 3 else []) for n in range(1, 11)
    ]
    issues += [
        jira_issue("SHOP-20", "Epic", now - timedelta(days=20), ["kr-escaped"], "Done", "done"),
        jira_issue("SHOP-21", "Epic", now - timedelta(days=20), ["kr-escaped"]),
    ]
    mirror = RedisMirror(connection)
    for issue in issues:
        mirror.upsert(issue_document(issue), 1)


@pytest.fixture()
def admin_settings(tmp_path: Path) -> Settings:
    return Settings(
        webhook_secret=SECRET,
        admin_token=ADMIN_TOKEN,
        read_token=READ_TOKEN,
        data_dir=tmp_path,
        queue_name=QUEUE,
        _env_file=None,
    )


@pytest.fixture()
def admin_app(admin_settings: Settings, connection: redis.Redis) -> Iterator[Flask]:
    install_runtime(build_runtime(admin_settings, connection))
    yield create_app(admin_settings, connection=connection)
    forget_runtimes()


@pytest.fixture()
def api(admin_app: Flask) -> FlaskClient:
    return admin_app.test_client()


@pytest.fixture()
def configured(admin_settings: Settings, connection: redis.Redis) -> str:
    """The small configuration applied, as `okrsync apply` would."""
    text = config_text()
    apply_config_text(admin_context(admin_settings, connection).runtime, text, "tests", source="okrs.yaml")
    return text


def recompute(connection: redis.Redis) -> dict[str, Any]:
    """Run the queued flush with a real RQ worker and return the stored evaluation."""
    run_worker(connection)
    raw = connection.get("okrsync:report")
    return json.loads(raw) if raw else {}
