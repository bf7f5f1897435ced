"""Fixtures of the end-to-end and fault tests: an emulated Jira on a real port delivering signed
webhooks to the service on a real port, with a real Redis and a real `okrsync worker` process
(the product's LocalStack, started by tests/support/stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from connector import JiraPort
from okrsync.local_stack import serve
from sync.idle import pending_work
from tests.conftest import QUEUE
from tests.support.stack import emulated_site, start_worker, stop_worker, sync_stack
from tests.support.waiting import settle

__all__ = ["serve", "start_worker", "stop_worker"]  # imported from here by the tests
KR = "okrsync.status"
SCENARIO: dict[str, Any] = {
    "users": [
        {
            "name": "admin",
            "accountId": "5b10a2844c20165700ede21g",
            "displayName": "Site Admin",
            "email": "admin@acme.example",
        }
    ],
    "customFields": [
        {"id": "customfield_10100", "name": "OKR score", "type": "number"},
        {"id": "customfield_10101", "name": "OKR health", "type": "string"},
    ],
    "projects": [{"key": "SHOP", "name": "Shop", "components": ["Checkout"]}, {"key": "OKR", "name": "OKRs"}],
    "issues": [
        {
            "key": "SHOP-1",
            "type": "Epic",
            "summary": "Contract tests for payments",
            "labels": ["kr-escaped"],
            "status": "In Progress",
            "created": "-20d",
        },
        {"key": "OKR-1", "type": "Task", "summary": "KR: escaped defects", "created": "-20d"},
        *[
            {
                "key": f"SHOP-{n}",
                "type": "Bug",
                "summary": f"Bug {n}",
                "labels": ["escaped"] if n < 4 else [],
                "created": "-3d",
            }
            for n in range(2, 12)
        ],
    ],
}
CONFIG = """
version: 1
writeback:
  kr_fields: {score: OKR score, health: OKR health}
cycles: [{id: now, start: START, end: END}]
metrics:
  escaped_share:
    description: Share of shop bugs found in production
    source: jira
    aggregate: ratio
    jql: project = SHOP AND issuetype = Bug
    numerator_jql: project = SHOP AND issuetype = Bug AND labels = escaped
    window: 30d
okr_sets:
  - id: shop
    name: Shop
    cycle: now
    projects: [SHOP, OKR]
    objectives:
      - id: O1
        title: Dependable checkout
        key_results:
          - id: KR1
            title: Escaped defects from 40% to 10% of bugs
            metric: escaped_share
            baseline: 40
            target: 10
            contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr-escaped}
            jira_issue: OKR-1
          - id: KR2
            title: Repeat purchases
            unmeasured: no survey yet
"""


@pytest.fixture()
def scenario() -> dict[str, Any]:
    """The emulated site; a test module overrides this fixture for a site of its own."""
    return SCENARIO


@pytest.fixture()
def config_text() -> str:
    """The okrs.yaml applied by the stack (START and END become the cycle's dates)."""
    return CONFIG


@pytest.fixture()
def site(site_knobs: dict[str, Any], scenario: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The emulated Jira on a real port: (emulator, its URL)."""
    with emulated_site(scenario, knobs=site_knobs) as found:
        yield found


@pytest.fixture()
def site_knobs() -> dict[str, Any]:
    """Emulator fault knobs; a test module overrides this fixture to inject faults."""
    return {}


@pytest.fixture()
def stack(
    site: tuple[Any, str],
    connection: redis.Redis,
    tmp_path: Path,
    scenario: dict[str, Any],
    config_text: str,
) -> Iterator[dict[str, Any]]:
    """The service on a real port, configured, webhook registered, mirror filled; no worker yet."""
    with sync_stack(site, connection, tmp_path, scenario, config_text) as found:
        yield found


@pytest.fixture()
def service(stack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The whole product: the stack plus a real `okrsync worker` process."""
    worker = start_worker(stack)
    yield {**stack, "worker": worker}
    stop_worker(worker)


def settled(connection: redis.Redis, emulator: Any, seconds: float = 30) -> None:
    """Wait until every delivery is made and the service has nothing left to do (tests.support.waiting.settle)."""
    settle(connection, emulator, seconds, QUEUE)


def jobs_waiting(connection: redis.Redis) -> int:
    """Jobs queued, and jobs started by a worker that still lives (a SIGKILLed worker's job stays in
    RQ's started registry until RQ's own cleanup; the job's work is taken over, see sync/dirty.py)."""
    pending = pending_work(connection, QUEUE)
    return pending.jobs_queued + pending.jobs_running


def status_property(jira: JiraPort, key: str) -> dict[str, Any] | None:
    return jira.get_property(key, KR)


def status_of(jira: JiraPort, key: str) -> dict[str, Any]:
    value = status_property(jira, key)
    assert value is not None, f"no {KR} on {key}"
    return value["key_results"][0]


def property_writes(emulator: Any) -> int:
    calls = emulator.faults.counters()["calls"]
    return sum(
        n
        for endpoint, outcomes in calls.items()
        if "properties" in endpoint and "PUT" in endpoint
        for status, n in outcomes.items()
    )
