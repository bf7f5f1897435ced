"""Each KR's readings are recorded as they happen, trimmed by age and count; trends read them."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from okr.history import Reading
from okr.report import Report, stored_report
from okrsync.admin import views
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync import history
from sync.confluence_writer import read_trends
from sync.dirty import mark, mark_all
from sync.documents import issue_document
from sync.flush import REPORT, flush
from sync.history import history_key, readings, record_readings
from sync.runtime import Runtime, forget_runtimes, install_runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AT = datetime(2026, 11, 15, 12, tzinfo=UTC)
KR = ("shop-q4", "O1.KR2")  # escaped defects: a ratio of the shop's bugs this quarter
STILL = ("shop-q4", "O1.KR3")  # unmeasured: its reading never changes
CYCLE_DAYS = 92  # 2026-Q4


def _issues() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (EXAMPLES / "issues.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture()
def runtime(settings: Settings, connection: redis.Redis):
    built = build_runtime(settings, connection)
    install_runtime(built)
    built.config_store.apply((EXAMPLES / "okrs.yaml").read_text(), "okrs.yaml", "test", AT)
    for version, issue in enumerate(_issues(), start=1):
        built.mirror.upsert(issue_document(issue), version)
    yield built
    forget_runtimes()


def _flush_all(runtime: Runtime, at: datetime) -> None:
    mark_all(runtime.redis, {"kind": "schedule"})
    flush(runtime, now=at)


def _flush_kr(runtime: Runtime, at: datetime, ref: tuple[str, str] = KR) -> None:
    mark(runtime.redis, ["/".join(ref)], {"kind": "webhook", "issue": "SHOP-6"})
    flush(runtime, now=at)


def _relabel(runtime: Runtime, key: str, labels: list[str], version: int) -> None:
    issue = copy.deepcopy(next(i for i in _issues() if i["key"] == key))
    issue["fields"]["labels"] = labels
    runtime.mirror.upsert(issue_document(issue), version)


def test_a_reading_is_recorded_when_it_changes_with_its_provenance(runtime) -> None:
    _flush_all(runtime, AT)
    (first,) = readings(runtime.redis, KR)
    _flush_kr(runtime, AT + timedelta(hours=1))  # nothing moved: nothing recorded
    assert readings(runtime.redis, KR) == [first]
    _relabel(runtime, "SHOP-6", ["escaped"], 100)
    _flush_kr(runtime, AT + timedelta(hours=2))
    older, newer = readings(runtime.redis, KR)
    assert older == first and newer.value is not None and first.value is not None and newer.value > first.value
    assert (newer.version, newer.trigger, newer.at) == (first.version, {"kind": "webhook", "issue": "SHOP-6"}, newer.at)
    assert newer.instant == AT + timedelta(hours=2) and newer.count == first.count
    assert (newer.health, newer.flags, newer.delivery) == (newer.health, newer.flags, first.delivery)


def test_a_kr_that_does_not_move_gets_one_reading_a_day_from_the_scheduled_recomputation(runtime) -> None:
    _flush_all(runtime, AT)
    _flush_all(runtime, AT + timedelta(hours=6))  # the same day
    assert len(readings(runtime.redis, STILL)) == 1
    _flush_kr(runtime, AT + timedelta(days=1), STILL)  # a flush of a few KRs is not the daily reading
    assert len(readings(runtime.redis, STILL)) == 1
    _flush_all(runtime, AT + timedelta(days=1, hours=1))
    first, daily = readings(runtime.redis, STILL)
    assert first.says_the_same(daily) and daily.trigger == {"kind": "schedule"}


def _report_with(report: Report, value: float) -> Report:
    """``report`` with KR's current value replaced (a reading that says something new)."""
    sets = []
    for okr_set in report.okr_sets:
        objectives = []
        for objective in okr_set.objectives:
            krs = tuple(replace(kr, current=value) if (okr_set.id, kr.id) == KR else kr for kr in objective.key_results)
            objectives.append(replace(objective, key_results=krs))
        sets.append(replace(okr_set, objectives=tuple(objectives)))
    return replace(report, okr_sets=tuple(sets))


def _stored(runtime: Runtime) -> Report:
    found = stored_report(json.loads(runtime.redis.get(REPORT) or "{}"))
    assert found is not None
    return found


def test_readings_are_kept_two_cycle_lengths_and_at_most_a_number_per_kr(runtime, monkeypatch) -> None:
    _flush_all(runtime, AT)
    config, report = runtime.config_store.current(), _stored(runtime)
    assert config is not None
    refs = {KR}
    runtime.redis.delete(history_key(KR))

    def record(value: float, at: datetime) -> None:
        record_readings(runtime.redis, config, replace(_report_with(report, value), at=at.isoformat()), {}, refs)

    start = AT - timedelta(days=2 * CYCLE_DAYS)
    record(1.0, start)
    record(2.0, AT)  # the first reading is exactly two cycle lengths old: kept
    assert [r.value for r in readings(runtime.redis, KR)] == [1.0, 2.0]
    record(3.0, AT + timedelta(seconds=1))
    assert [r.value for r in readings(runtime.redis, KR)] == [2.0, 3.0]
    monkeypatch.setattr(history, "READINGS_KEPT", 5)
    for n in range(10):
        record(10.0 + n, AT + timedelta(days=2, minutes=n))
    assert [r.value for r in readings(runtime.redis, KR)] == [15.0, 16.0, 17.0, 18.0, 19.0]


def test_relabelling_an_issue_later_leaves_the_recorded_trend_as_it_was(runtime) -> None:
    config = runtime.config_store.current()
    assert config is not None
    okr_set = next(s for s in config.okr_sets if s.id == KR[0])
    _flush_all(runtime, AT)
    before = readings(runtime.redis, KR)[0].value
    _relabel(runtime, "SHOP-6", ["escaped"], 100)  # a bug from October, labelled escaped in November
    later = AT + timedelta(days=3)
    _flush_all(runtime, later)
    points = views.trend_points(config, okr_set, readings(runtime.redis, KR), later + timedelta(hours=1))
    assert [(p["at"], p["value"]) for p in points][0] == (AT, before)  # the past reads as it was recorded
    assert points[-1]["value"] != before and points[-1]["at"] == later + timedelta(hours=1)
    assert read_trends(runtime.redis, okr_set)["O1.KR2"] == [before, points[-1]["value"]]


def test_a_stored_row_that_is_not_a_reading_is_skipped(runtime) -> None:
    _flush_all(runtime, AT)
    runtime.redis.zadd(history_key(KR), {"not json": 1.0})
    assert len(readings(runtime.redis, KR)) == 1


def _footprint(connection: redis.Redis, per_day: int) -> int:
    """MEMORY USAGE of one KR's readings over a whole cycle: ``per_day`` moves a day, daily at least."""
    key = history_key(("bench", "KR"))
    connection.delete(key)
    for day in range(CYCLE_DAYS):
        for n in range(per_day):
            at = AT + timedelta(days=day, minutes=n * 7)
            reading = Reading(
                at.isoformat(), 12.3456 + n, None, 0.4321, 0.43, "at_risk", (), "v-3f2a9c1b04de", 120, 0.5,
                {"kind": "webhook", "event": "jira:issue_updated", "issue": f"SHOP-{1000 + n}"},
            )  # fmt: skip
            connection.zadd(key, {reading.to_json(): at.timestamp()})
    used = connection.memory_usage(key, samples=0)
    connection.delete(key)
    return int(used or 0)


def test_what_a_kr_costs_per_cycle(connection: redis.Redis) -> None:
    daily, busy = _footprint(connection, 1), _footprint(connection, 20)
    print(f"one KR per 92-day cycle: {daily} bytes at 1 reading a day, {busy} bytes at 20 a day")
    assert daily < 40_000 and busy < 1_000_000  # docs/sync.md: ≈ 28 KB and ≈ 570 KB
