"""The mirror's change feed and this process's copy of the mirror in memory, on a real Redis."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis

from sync.mirror import RedisMirror
from sync.mirror_follower import MirrorFollower


def issue(number: int, **fields: Any) -> dict[str, Any]:
    return {"id": str(number), "key": f"SHOP-{number}", "project": "SHOP", "links": [], **fields}


def keys(memory: MirrorFollower) -> list[str]:
    return sorted(d["key"] for d in memory.current(UTC, {}).documents())


def test_every_write_is_in_the_change_feed_once_per_issue_with_its_latest_state(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    mirror.upsert(issue(1, status="To Do"), 1)
    mirror.upsert(issue(2), 1)
    mirror.upsert(issue(1, status="Done"), 2)
    assert not mirror.upsert(issue(1, status="stale"), 1)  # older: not written, not a change
    mirror.set_link("2", "10", {"id": "10", "type": "Blocks", "key": "SHOP-1"})
    mirror.delete("1", "SHOP-1", 3)

    latest, epoch, changes = mirror.changes_since(0)
    assert latest == 5 and epoch
    assert [(number, issue_id) for number, issue_id, _ in changes] == [(4, "2"), (5, "1")]
    assert changes[0][2] is not None and changes[0][2]["links"][0]["key"] == "SHOP-1"
    assert changes[1][2] is None  # deleted
    assert mirror.changes_since(5)[2] == []
    assert mirror.changes_since(4)[2] == [changes[1]]


def test_the_copy_in_memory_follows_writes_made_by_other_processes_without_reading_everything(
    connection: redis.Redis,
) -> None:
    writer = RedisMirror(connection)  # another process: its own connection objects and epoch token
    for number in range(1, 6):
        writer.upsert(issue(number), 1)
    memory = MirrorFollower(RedisMirror(connection))
    assert keys(memory) == [f"SHOP-{n}" for n in range(1, 6)]

    writer.upsert(issue(6), 1)
    writer.delete("2", "SHOP-2", 2)
    writer.upsert(issue(3, key="SHOP-33"), 2)
    assert keys(memory) == ["SHOP-1", "SHOP-33", "SHOP-4", "SHOP-5", "SHOP-6"]
    assert memory.loads == 1


def test_an_emptied_mirror_is_read_again_even_when_its_numbers_have_caught_up(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    for number in range(1, 4):
        mirror.upsert(issue(number), 1)
    memory = MirrorFollower(mirror)
    assert len(keys(memory)) == 3

    connection.flushdb()
    for number in range(10, 20):  # more changes than before: the numbers alone would not tell
        mirror.upsert(issue(number), 1)
    assert keys(memory) == sorted(f"SHOP-{n}" for n in range(10, 20))
    assert memory.loads == 2


def test_a_long_backlog_of_changes_is_caught_up_in_batches(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    memory = MirrorFollower(mirror)
    mirror.upsert(issue(1), 1)
    assert keys(memory) == ["SHOP-1"]
    for number in range(2, 2503):
        mirror.upsert(issue(number), 1)
    assert len(keys(memory)) == 2502
    assert memory.loads == 1  # the backlog came from the feed, 1,000 changes a call


def test_the_whole_mirror_is_read_in_batches_in_key_order_with_what_json_wrote_that_orjson_refuses(
    connection: redis.Redis,
) -> None:
    mirror = RedisMirror(connection)
    for number in (3, 1, 12, 2, 7):
        mirror.upsert(issue(number, status="To Do"), 1)
    mirror.upsert(issue(5, custom={"customfield_1": float("nan"), "customfield_2": 2**70}), 1)
    mirror.delete("7", "SHOP-7", 2)

    read = list(mirror.documents(batch=2))
    assert [d["key"] for d in read] == ["SHOP-1", "SHOP-12", "SHOP-2", "SHOP-3", "SHOP-5"]
    assert read[0] == issue(1, status="To Do")
    custom = read[-1]["custom"]
    assert custom["customfield_1"] != custom["customfield_1"] and custom["customfield_2"] == 2**70  # NaN, big int


def test_the_copy_in_memory_defers_new_selections_to_after_the_evaluation_that_asked(
    connection: redis.Redis,
) -> None:

    from mapping.loader import load_config_document
    from okr.evaluate import evaluate_report, evaluation_input

    at = datetime(2026, 11, 15, 12, tzinfo=UTC)
    mirror = RedisMirror(connection)
    for number in range(1, 6):
        mirror.upsert(issue(number, created=f"2026-11-0{number}T10:00:00.000Z"), 1)
    config = load_config_document(
        {
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "metrics": {"m": {"description": "m", "source": "jira", "jql": "project = SHOP", "aggregate": "count"}},
            "okr_sets": [
                {
                    "id": "s",
                    "name": "S",
                    "cycle": "Q4",
                    "objectives": [
                        {
                            "id": "O",
                            "title": "O",
                            "key_results": [{"id": "K", "title": "K", "metric": "m", "baseline": 0, "target": 9}],
                        }
                    ],
                }
            ],
        }
    )
    memory = MirrorFollower(mirror)
    assert memory.keep_deferred(at) == 0  # nothing read yet: nothing to make

    def report() -> object:
        live = memory.current(config.zone, {})
        return evaluate_report(config, evaluation_input(at, config, live.documents(), [], {}, live=live))

    passed = evaluate_report(config, evaluation_input(at, config, list(mirror.documents()), [], {}))
    assert report() == passed  # read by a pass: the selection waits
    assert memory.current(config.zone, {}).deferred == 1
    assert memory.keep_deferred(at) == 1
    assert memory.current(config.zone, {}).deferred == 0
    mirror.upsert(issue(6, created="2026-11-06T10:00:00.000Z"), 1)
    assert report() == evaluate_report(config, evaluation_input(at, config, list(mirror.documents()), [], {}))
    assert memory.loads == 1


def by_id(memory: MirrorFollower) -> dict[str, Any]:
    return {d["id"]: d for d in memory.current(UTC, {}).documents()}


def full_read(mirror: RedisMirror) -> dict[str, Any]:
    return {d["id"]: d for d in mirror.documents()}


def test_a_new_copy_starts_from_the_snapshot_and_replays_what_changed_after_it(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    for number in range(1, 6):
        mirror.upsert(issue(number, status="To Do"), 1)
    mirror.upsert(issue(9, custom={"customfield_1": float("nan"), "customfield_2": 2**70}), 1)
    first = MirrorFollower(RedisMirror(connection))
    by_id(first)
    first.after_flush(datetime(2026, 11, 15, tzinfo=UTC))  # read every issue: it writes the snapshot
    assert mirror.snapshot() is not None and not first.write_snapshot_if_due()  # written once, not again

    mirror.upsert(issue(1, status="Done"), 2)  # after the snapshot: changed, gone, added, linked, renamed
    mirror.delete("2", "SHOP-2", 2)
    mirror.upsert(issue(6), 1)
    mirror.set_link("3", "10", {"id": "10", "type": "Blocks", "key": "SHOP-1"})
    mirror.upsert(issue(4, key="SHOP-44"), 2)
    started = MirrorFollower(RedisMirror(connection))
    found = by_id(started)
    assert started.from_snapshot == 1 and started.loads == 1
    expected = full_read(mirror)
    assert found.keys() == expected.keys() == {"1", "3", "4", "5", "6", "9"}
    custom = found.pop("9")["custom"]
    assert custom["customfield_1"] != custom["customfield_1"] and custom["customfield_2"] == 2**70  # NaN, big int
    expected.pop("9")
    assert found == expected
    assert started.current(UTC, {}).by_key("SHOP-44") is not None


def test_a_snapshot_of_an_emptied_mirror_is_never_used(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    for number in range(1, 4):
        mirror.upsert(issue(number), 1)
    old = MirrorFollower(RedisMirror(connection))
    by_id(old)
    assert old.write_snapshot_if_due()
    left = connection.hgetall("okrsync:mirror:snapshot")

    connection.flushdb()  # the mirror emptied and filled again: its numbers start over
    for number in range(10, 20):
        mirror.upsert(issue(number), 1)
    connection.hset("okrsync:mirror:snapshot", mapping=left)  # the old snapshot left behind
    started = MirrorFollower(RedisMirror(connection))
    assert by_id(started) == full_read(mirror)
    assert started.from_snapshot == 0 and started.loads == 1


def test_a_snapshot_ahead_of_the_change_feed_is_never_used(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    mirror.upsert(issue(1), 1)
    latest, epoch = mirror.sequence()
    mirror.write_snapshot(latest + 5, epoch, [issue(1), issue(2)])
    started = MirrorFollower(RedisMirror(connection))
    assert by_id(started) == full_read(mirror) and started.from_snapshot == 0


def test_a_copy_that_replayed_many_changes_writes_a_new_snapshot(connection: redis.Redis, monkeypatch: Any) -> None:
    from sync import mirror_follower

    monkeypatch.setattr(mirror_follower, "SNAPSHOT_AFTER_CHANGES", 3)
    mirror = RedisMirror(connection)
    mirror.upsert(issue(1), 1)
    memory = MirrorFollower(RedisMirror(connection))
    by_id(memory)
    assert memory.write_snapshot_if_due()
    for number in range(2, 5):
        mirror.upsert(issue(number), 1)
    by_id(memory)
    assert not memory.write_snapshot_if_due()  # three replayed: not more than three
    mirror.upsert(issue(5), 1)
    by_id(memory)
    assert memory.write_snapshot_if_due()
    snapshot = mirror.snapshot()
    assert snapshot is not None and snapshot.seen == mirror.sequence()[0]
    assert [d["key"] for d in snapshot.documents] == ["SHOP-1", "SHOP-2", "SHOP-3", "SHOP-4", "SHOP-5"]
