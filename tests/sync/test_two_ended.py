"""A big project's resync walks it from both ends: every issue is mirrored once, the walks stop where
they meet (at most the page each had in flight is fetched past it), a full resync still forgets what
Jira no longer has, and both read-ahead threads are gone afterwards."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from okrsync.ops import apply_config_text
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync import keys, reconcile
from sync.reconcile import resync
from sync.runtime import Runtime
from sync.two_ended import Meeting, alternating, key_number, walked_until_met
from tests.conftest import QUEUE, SECRET
from tests.support.stack import emulated_site
from tests.sync.conftest import CONFIG

ISSUES = 350  # four pages of 100 each way
PAGES = math.ceil(ISSUES / 100)


@pytest.fixture()
def scenario() -> dict[str, Any]:
    return {
        "users": [{"name": "admin", "accountId": "5b10a2844c20165700ede21g", "email": "admin@acme.example"}],
        "projects": [{"key": "SHOP", "name": "Shop"}, {"key": "OKR", "name": "OKRs"}],
        "generate": [{"project": "SHOP", "count": ISSUES, "labels": ["escaped"], "days": 10}],
    }


@pytest.fixture(params=["cloud", "datacenter"])
def site(request: pytest.FixtureRequest, scenario: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The emulated site of either flavor: Cloud pages by token, Data Center by ``startAt``."""
    with emulated_site(scenario, flavor=request.param) as found:
        yield found


@pytest.fixture()
def runtime(
    site: tuple[Any, str], connection: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    monkeypatch.setattr(reconcile, "TWO_ENDED_FROM", 200)  # SHOP is big enough; OKR (empty) is not
    settings = Settings(
        webhook_secret=SECRET,
        queue_name=QUEUE,
        data_dir=tmp_path,
        jira_url=site[1],
        jira_user="admin@acme.example",
        jira_token="any",
        _env_file=None,
    )
    runtime = build_runtime(settings, connection)
    apply_config_text(runtime, CONFIG.replace("START", "2020-01-01").replace("END", "2099-12-31"), "test", "test")
    yield runtime


def search_calls(connection: redis.Redis) -> int:
    return int(connection.hget(keys.STATS_CALLS, "jira|search|ok") or 0)


def test_both_ends_mirror_every_issue_once_and_stop_where_they_meet(runtime: Runtime, connection: redis.Redis) -> None:
    report = resync(runtime, full=True)
    assert report.seen == report.drift == ISSUES and runtime.mirror.count() == ISSUES
    assert runtime.mirror.get("SHOP-1") is not None and runtime.mirror.get("SHOP-350") is not None
    assert PAGES <= search_calls(connection) <= PAGES + 2  # OKR: one page; SHOP: up to the meeting, each walk
    assert not [t for t in threading.enumerate() if t.name.startswith("resync ")]
    assert resync(runtime, full=True).drift == 0


def test_a_full_two_ended_resync_forgets_issues_jira_no_longer_has(runtime: Runtime, site: tuple[Any, str]) -> None:
    resync(runtime, full=True)
    for key in ("SHOP-2", "SHOP-175", "SHOP-349"):
        answer = requests.delete(f"{site[1]}/rest/api/2/issue/{key}", auth=("admin@acme.example", "any"), timeout=10)
        assert answer.status_code == 204, answer.text
    forgot = resync(runtime, full=True)
    assert forgot.seen == ISSUES - 3 and sorted(forgot.drifted) == ["SHOP-175", "SHOP-2", "SHOP-349"]
    assert runtime.mirror.count() == ISSUES - 3 and runtime.mirror.get("SHOP-176") is not None


def pages_of(numbers: list[int], size: int) -> list[list[dict[str, Any]]]:
    return [[{"key": f"BIG-{n}"} for n in numbers[i : i + size]] for i in range(0, len(numbers), size)]


class Counted:
    """Pages handed out one at a time, counting them."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages, self.fetched = pages, 0

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        for page in self.pages:
            self.fetched += 1
            yield page


def test_walks_in_turn_meet_and_hand_each_key_on_once() -> None:
    numbers = [n for n in range(1, 1001) if n % 7]  # gaps, as deleted issues leave
    meeting = Meeting()
    up, down = Counted(pages_of(numbers, 50)), Counted(pages_of(numbers[::-1], 50))
    walks = [walked_until_met(up, meeting, upward=True), walked_until_met(down, meeting, upward=False)]
    handed = [issue["key"] for page in alternating(walks) for issue in page]
    assert sorted(handed, key=key_number) == [f"BIG-{n}" for n in numbers]
    assert up.fetched + down.fetched <= math.ceil(len(numbers) / 50) + 1


def test_a_walk_that_ends_ends_the_other() -> None:
    meeting = Meeting()
    up = list(walked_until_met(pages_of([1, 2, 3], 2), meeting, upward=True))
    assert meeting.met and up == pages_of([1, 2, 3], 2)
    assert list(walked_until_met(Counted(pages_of([3, 2, 1], 2)), meeting, upward=False)) == []


def test_keys_that_are_not_numbered_do_not_move_a_walk() -> None:
    assert [key_number(k) for k in ("BIG-12", "BIG-X", "12", None, "A-B-7")] == [12, None, None, None, 7]
    meeting = Meeting()
    meeting.reach(True, [{"key": "odd"}])
    meeting.reach(False, [{"key": "BIG-5"}])
    assert not meeting.met and meeting.up is None and meeting.down == 5
