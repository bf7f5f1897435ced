"""On Jira Data Center a story belongs to its epic through the "Epic Link" custom field, not ``parent``.
The whole product on the emulator's Data Center flavour (real ports, Redis, an `okrsync worker`
process): a KR counting the stories of an epic, by Epic Link, is right after the resync, after a
resync that finds a change no webhook announced, and after webhooks that move stories between epics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connector import JiraPort
from emulator.app import create_emulator
from sync.reconcile import resync
from tests.sync.conftest import KR, serve, settled

EPIC_LINK_TYPE = "com.pyxis.greenhopper.jira:gh-epic-link"
SCENARIO: dict[str, Any] = {
    "users": [{"name": "admin", "displayName": "Site Admin", "email": "admin@acme.example"}],
    "customFields": [
        {"id": "customfield_10200", "name": "OKR score", "type": "number"},
        {"id": "customfield_10201", "name": "OKR health", "type": "string"},
        {"id": "customfield_10106", "name": "Story Points", "type": "number"},
    ],
    "projects": [{"key": "SHOP", "name": "Shop"}, {"key": "OKR", "name": "OKRs"}],
    "issues": [
        {"key": "SHOP-1", "type": "Epic", "summary": "Checkout revamp", "epicName": "Checkout", "created": "-20d"},
        {"key": "SHOP-2", "type": "Epic", "summary": "Search", "created": "-20d"},
        *[
            {
                "key": f"SHOP-{n}",
                "type": "Story",
                "summary": f"Checkout story {n}",
                "epic": "SHOP-1",
                "status": "Done" if n < 5 else "In Progress",
                "fields": {"customfield_10106": points},
                "created": "-3d",
            }
            for n, points in ((3, 3), (4, 5), (5, 8), (6, 1), (7, 2))
        ],
        {
            "key": "SHOP-8",
            "type": "Story",
            "summary": "Search story 8",
            "epic": "SHOP-2",
            "status": "Done",
            "fields": {"customfield_10106": 2},
            "created": "-3d",
        },
        {"key": "SHOP-9", "type": "Story", "summary": "Search story 9", "epic": "SHOP-2", "created": "-3d"},
        {"key": "OKR-1", "type": "Task", "summary": "KR: checkout stories done", "created": "-20d"},
        {"key": "OKR-2", "type": "Task", "summary": "KR: checkout points done", "created": "-20d"},
    ],
}
CONFIG = """
version: 1
writeback:
  kr_fields: {score: OKR score, health: OKR health}
cycles: [{id: now, start: START, end: END}]
metrics:
  checkout_stories_done:
    description: Stories of the checkout epic that are done
    source: jira
    aggregate: count
    jql: '"Epic Link" = SHOP-1 AND statusCategory = Done'
    window: 30d
  checkout_points_done:
    description: Story points of the checkout epic's done stories
    source: jira
    aggregate: sum
    value_field: Story Points
    jql: 'cf[10101] = SHOP-1 AND statusCategory = Done AND "Story Points" > 0'
    window: 30d
okr_sets:
  - id: shop
    name: Shop
    cycle: now
    projects: [SHOP, OKR]
    objectives:
      - id: O1
        title: A checkout people finish
        key_results:
          - id: KR1
            title: Ten checkout stories done
            metric: checkout_stories_done
            baseline: 0
            target: 10
            contributors: {jql: '"Epic Link" = SHOP-1'}
            jira_issue: OKR-1
          - id: KR2
            title: Thirty checkout points done
            metric: checkout_points_done
            baseline: 0
            target: 30
            jira_issue: OKR-2
"""


@pytest.fixture()
def scenario() -> dict[str, Any]:
    return SCENARIO


@pytest.fixture()
def config_text() -> str:
    return CONFIG


@pytest.fixture()
def site(site_knobs: dict[str, Any], scenario: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The stack's emulated Jira (tests/sync/conftest.py), on the Data Center flavour."""
    app = create_emulator(
        scenario, flavor="datacenter", knobs={"webhook_retry_delays_s": [0.05, 0.1, 0.2], **site_knobs}
    )
    server, url = serve(app)
    yield app.extensions["emulator"], url
    server.shutdown()
    app.extensions["emulator"].dispatcher.stop()


def kr_status(jira: JiraPort, key: str, kr: str) -> dict[str, Any]:
    value = jira.get_property(key, KR)
    assert value is not None, f"no {KR} on {key}"
    return next(status for status in value["key_results"] if status["kr"] == kr)


def epic_link_id(jira: JiraPort) -> str:
    return next(f["id"] for f in jira.fields() if (f.get("schema") or {}).get("custom") == EPIC_LINK_TYPE)


def checkout_counts(jira: JiraPort) -> tuple[Any, Any, Any]:
    """KR1's current value and delivery, KR2's current value."""
    stories, points = kr_status(jira, "OKR-1", "KR1"), kr_status(jira, "OKR-2", "KR2")
    assert stories["evaluated"] == points["evaluated"] == "local"  # read from the mirror, not searched in Jira
    return stories["current"], stories["delivery"], points["current"]


def test_stories_count_by_epic_link_after_resync_and_after_webhooks(service, connection) -> None:
    emulator, jira, runtime = service["emulator"], service["jira"], service["runtime"]
    assert jira.flavor == "datacenter" and jira.server_info()["deploymentType"] == "Server"
    epic_link = epic_link_id(jira)
    assert jira.get_issue("SHOP-3")["fields"][epic_link] == "SHOP-1"
    assert runtime.mirror.get("SHOP-3")["custom"][epic_link] == "SHOP-1"  # the mirror keeps the epic's key
    assert runtime.mirror.get("SHOP-3")["parent"] is None
    settled(connection, emulator)
    assert checkout_counts(jira) == (2.0, 0.4, 8.0)  # SHOP-3 and SHOP-4 done of five; 3 + 5 points
    assert jira.get_property("SHOP-5", KR) is not None and jira.get_property("SHOP-8", KR) is None

    with emulator.site.lock:  # SHOP-8 joins the epic in Jira, and no webhook says so
        emulator.site.issue("SHOP-8").fields[epic_link] = emulator.site.issue("SHOP-1").id
        emulator.site.issue_written()
    resync(runtime, full=True)
    settled(connection, emulator)
    assert checkout_counts(jira) == (3.0, 0.4, 10.0)  # 3 + 5 + 2 points; delivery: two done of the five in scope
    assert kr_status(jira, "OKR-1", "KR1")["scope"]["added"] == 1  # SHOP-8 joined later: reported apart

    jira.update_fields("SHOP-3", {epic_link: "SHOP-2"})  # a done story leaves the epic: webhook
    settled(connection, emulator)
    after = kr_status(jira, "OKR-1", "KR1")
    assert after["provenance"]["trigger"]["kind"] == "webhook"
    assert checkout_counts(jira) == (2.0, 0.4, 7.0)  # 5 + 2 points; SHOP-3 was done when it left: still counted

    jira.update_fields("SHOP-9", {epic_link: "SHOP-1"})  # an open story joins: the delivery falls
    settled(connection, emulator)
    assert checkout_counts(jira) == (2.0, 0.4, 7.0)  # SHOP-9 joined later: not in the recorded scope
    scope = kr_status(jira, "OKR-1", "KR1")["scope"]
    assert (scope["total"], scope["added"], scope["added_done"]) == (5, 2, 1)
    jira.update_fields("SHOP-6", {epic_link: None})  # another leaves the epic altogether
    settled(connection, emulator)
    assert checkout_counts(jira) == (2.0, 0.4, 7.0)  # SHOP-6 left unfinished: still counted, as not done
    assert [d["key"] for d in kr_status(jira, "OKR-1", "KR1")["scope"]["descoped"]] == ["SHOP-6"]
    assert "Traceback" not in service["log"].read_text()
