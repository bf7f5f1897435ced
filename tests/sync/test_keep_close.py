"""Closing a cycle grades a keep KR on the share of its recorded days on which its band held."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from okr.history import Reading
from sync.close import close_cycle
from sync.history import history_key

DAY = 86400

KEEP_CONFIG = """
version: 1
cycles: [{id: q, start: START, end: YESTERDAY, close_after: 0d}]
metrics:
  pay_success:
    description: Payment success, pushed by the payments pipeline
    source: push
    unit: "%"
okr_sets:
  - id: shop
    name: Shop
    cycle: q
    projects: [SHOP, OKR]
    objectives:
      - id: O1
        title: Payments just work
        key_results:
          - {id: KR1, title: Payment success stays at or above 97 %, metric: pay_success, keep: {above: 97}}
"""


def _day(days_ago: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - days_ago * DAY))


@pytest.fixture()
def config_text() -> str:
    return KEEP_CONFIG.replace("START", _day(4)).replace("YESTERDAY", _day(1))


def test_a_keep_is_frozen_with_the_share_of_days_it_held(stack, connection) -> None:
    runtime = stack["runtime"]
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    values = {4: 98.0, 3: 96.0, 2: 97.5, 1: 99.0}  # days ago → the day's reading: held on 3 of 4 days
    for days_ago, value in values.items():
        at = today - timedelta(days=days_ago)
        reading = Reading(at.isoformat(), value, None, None, None, "on_track", (), None, 1, None, {})
        connection.zadd(history_key(("shop", "KR1")), {reading.to_json(): at.timestamp()})
    record = close_cycle(runtime, "q", "release manager")
    frozen = record.key_results["shop/KR1"]
    assert (frozen.kind, frozen.progress, frozen.score, frozen.health) == ("keep", 0.75, 0.75, "missed")
