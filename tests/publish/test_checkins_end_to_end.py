"""A person's `/checkin` comment end to end: Mia comments on the KR's Jira issue in the emulator, the signed
comment webhook reaches the service, a real worker stores it and recomputes the KR, and within seconds
the check-in is in the admin API, on the Confluence page (with her name and its age) and in the KR
issue's `okrsync.status` property. A malformed command is ignored and counted."""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from atlassian import Jira

from okrsync.local_stack import LocalStack
from publish.confluence.regions import page_regions
from sync.people_checkins import counters
from sync.runtime import forget_runtimes
from tests.conftest import QUEUE
from tests.publish.stack import CONFIG, INTERVAL, SCENARIO, wait_for
from tests.support.stack import pages_options
from tests.support.waiting import settle
from tests.sync.conftest import status_property

ADMIN_TOKEN = "admin-token-for-the-check-in-test-0123"
MIA = {
    "name": "mia",
    "accountId": "5b10ac8d82e05b22cc7d4ef5",
    "displayName": "Mia Krystof",
    "email": "mia@acme.example",
}
KR_ISSUE = {"key": "SHOP-12", "type": "Task", "summary": "KR: repeat purchases", "created": "-20d"}
CHECKINS = "/api/v1/okr-sets/shop/key-results/KR2/checkins"
WITHIN_SECONDS = INTERVAL + 10


@pytest.fixture()
def checkin_stack(connection: redis.Redis, tmp_path: Path) -> Iterator[dict[str, Any]]:
    scenario = copy.deepcopy(SCENARIO)
    scenario["users"].append(MIA)
    scenario["issues"].append(KR_ISSUE)
    config = CONFIG.replace("unmeasured: no survey yet", "unmeasured: no survey yet\n            jira_issue: SHOP-12")
    options = pages_options(scenario, config, connection, tmp_path, INTERVAL, lambda emulator: lambda: None)
    options = dataclasses.replace(options, env={**options.env, "OKRSYNC_ADMIN_TOKEN": ADMIN_TOKEN})
    try:
        with LocalStack(options) as stack:
            yield {"stack": stack, "log": options.log}
    finally:
        forget_runtimes()


def _api(stack: LocalStack) -> list[dict[str, Any]]:
    answer = requests.get(stack.url + CHECKINS, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=5)
    assert answer.status_code == 200, answer.text
    checkins: list[dict[str, Any]] = answer.json()["checkins"]
    return checkins


def _kr2_region(stack: LocalStack) -> str:
    found = stack.runtime.confluence.find_page("OKR", "Shop OKRs")  # type: ignore[union-attr]
    return page_regions(found.body).get("objective-O2", "") if found else ""


def test_a_checkin_comment_reaches_the_api_the_page_and_the_property_within_seconds(checkin_stack, connection):
    stack: LocalStack = checkin_stack["stack"]
    wait_for(lambda: "Repeat purchases" in _kr2_region(stack), what="the first page")
    settle(connection, stack.emulator, queue_name=QUEUE)
    assert "NO CHECK-IN" in _kr2_region(stack)  # the cycle has run for years and nobody checked in
    mia = Jira(url=stack.jira_url, username="mia@acme.example", password="mia's token", cloud=True)

    started = time.monotonic()
    mia.issue_add_comment("SHOP-12", "/checkin 0.6 Vendor API is late; asks: one QA person")
    (checkin,) = wait_for(_api_with(stack, 1), seconds=WITHIN_SECONDS, what="the check-in in the API")
    assert (checkin["confidence"], checkin["note"], checkin["asks"]) == (0.6, "Vendor API is late", "one QA person")
    assert (checkin["author"], checkin["author_id"], checkin["source"]) == ("Mia Krystof", MIA["accountId"], "comment")
    words = "Check-in today by Mia Krystof: confidence 0.6 (medium) · Vendor API is late · asks: one QA person"
    wait_for(lambda: words in _kr2_region(stack), seconds=WITHIN_SECONDS, what="the check-in on the page")
    assert time.monotonic() - started < WITHIN_SECONDS
    assert "NO CHECK-IN" not in _kr2_region(stack)
    status = status_property(stack.runtime.jira, "SHOP-12")
    assert status is not None and status["key_results"][0]["checkin"]["author"] == "Mia Krystof"

    mia.issue_add_comment("SHOP-12", "/checkin soon, I promise")  # no number: ignored and counted
    settle(connection, stack.emulator, queue_name=QUEUE)
    assert len(_api(stack)) == 1 and counters(connection)["malformed"] == 1
    assert "Traceback" not in checkin_stack["log"].read_text()


def _api_with(stack: LocalStack, count: int) -> Any:
    def check() -> list[dict[str, Any]] | None:
        found = _api(stack)
        return found if len(found) == count else None

    return check
