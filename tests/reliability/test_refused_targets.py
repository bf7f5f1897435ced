"""A misspelled contributor and an issue that refuses writes, under a stream of changes through the real
worker process: one warning each, no traceback, no failed job, and every other target kept current."""

from __future__ import annotations

import random
from typing import Any

import pytest
import redis
from rq import Queue

from sync.failures import FailureStore
from tests.conftest import QUEUE
from tests.reliability.conftest import Profile
from tests.reliability.test_deliveries import change_stream, escaped_share
from tests.sync.conftest import CONFIG, SCENARIO, settled, status_of

pytestmark = pytest.mark.reliability

REFUSING = "SHOP-12"  # a contributor epic on which Jira refuses writes (403)


@pytest.fixture()
def scenario() -> dict[str, Any]:
    epic = {"key": REFUSING, "type": "Epic", "summary": "Locked epic", "status": "In Progress", "created": "-20d"}
    return {**SCENARIO, "issues": [*SCENARIO["issues"], epic]}


@pytest.fixture()
def config_text() -> str:
    return CONFIG.replace(
        "contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr-escaped}",
        f"contributors: {{epics: [SHOP-1, SHOP-99999, {REFUSING}]}}",
    )


@pytest.fixture()
def site_knobs() -> dict[str, Any]:
    return {"refuse_write_keys": [REFUSING], "refuse_write_status": 403}


def test_refused_targets_stay_local_through_a_stream_of_changes(
    service, connection: redis.Redis, profile: Profile, rng: random.Random
) -> None:
    emulator, jira = service["emulator"], service["jira"]
    settled(connection, emulator)
    changes = profile.dropped_changes
    change_stream(jira, rng, changes)
    settled(connection, emulator, seconds=120)
    log = service["log"].read_text(errors="replace")
    failures = {f.target: f for f in FailureStore(connection).all()}
    expected = escaped_share(jira)
    print(
        f"injected: {changes} changes with SHOP-99999 missing and {REFUSING} refusing writes; "
        f"verified: {sorted(failures)} recorded, {log.count('Traceback')} traceback(s) in the worker log, "
        f"SHOP-1 and OKR-1 current {status_of(jira, 'SHOP-1')['current']} (Jira's data: {expected})"
    )
    assert sorted(failures) == [f"property:{REFUSING}", "property:SHOP-99999"]
    assert (failures["property:SHOP-99999"].status, failures[f"property:{REFUSING}"].status) == (404, 403)
    assert "Traceback" not in log
    warned = [line for line in log.splitlines() if " WARNING sync.failures: " in line]
    assert len([w for w in warned if "property:SHOP-99999 refused (404)" in w]) == 1  # one report, then quiet
    assert len([w for w in warned if f"property:{REFUSING} refused (403)" in w]) == 1
    assert failures["property:SHOP-99999"].attempts == 1  # the missing issue never changes: never tried again
    assert Queue(QUEUE, connection=connection).failed_job_registry.count == 0
    assert status_of(jira, "SHOP-1")["current"] == expected
    assert status_of(jira, "OKR-1")["current"] == expected
