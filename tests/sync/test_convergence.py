"""The mirror converges on Jira's state: an event loses only to a newer state, a read of Jira is the
truth, a far-future ``updated`` is counted as received, and the reconcile watermark never runs ahead."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from sync.mirror import RedisMirror
from sync.queue import STATS
from sync.read_pages import issue_version
from sync.reconcile import _since, clamped_watermark, resync
from tests.conftest import load_fixture, post_event, run_worker

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _doc(status: str) -> dict[str, Any]:
    return {"id": "7", "key": "CON-7", "status": status, "links": []}


def test_a_read_replaces_a_state_whose_updated_went_back(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    assert mirror.upsert(_doc("Done"), 2_000)  # an event from before Jira's clock was set back
    started = mirror.server_time_ms()
    assert not mirror.upsert(_doc("To Do"), 1_000)  # a later event, stamped earlier: loses to the event
    assert mirror.store_read(_doc("To Do"), 1_000, started)  # what Jira answers now is the truth
    assert mirror.get_with_version("7") == (_doc("To Do"), 1_000)
    assert mirror.upsert(_doc("In Progress"), 1_500)  # events after the restore win again


def test_a_read_loses_to_an_event_applied_after_it_began(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    started = mirror.server_time_ms() - 1  # the read began, then the event came in
    assert mirror.upsert(_doc("Done"), 3_000)
    assert not mirror.store_read(_doc("To Do"), 2_000, started)
    assert mirror.get("CON-7") == _doc("Done")


def test_a_read_brings_back_an_issue_deleted_before_it_began(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    mirror.upsert(_doc("Done"), 1_000)
    assert mirror.delete("7", "CON-7", 10**13)  # a delete stamped far ahead (a skewed clock)
    assert not mirror.upsert(_doc("Done"), 2_000)
    assert mirror.store_read(_doc("Done"), 2_000, 10**13 + 1)  # Jira still has it
    assert mirror.get("CON-7") == _doc("Done")


def _update(key: str, issue_id: str, updated: str, summary: str) -> dict[str, Any]:
    payload = copy.deepcopy(load_fixture("webhook-issue-updated-edited.json"))
    payload["issue"].update(id=issue_id, key=key)
    payload["issue"]["fields"].update(updated=updated, summary=summary)
    return payload


def test_a_far_future_updated_is_counted_as_received(client: Any, connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    post_event(client, _update("FUT-1", "901", "9999-12-31T23:59:59.000+0000", "forged"), "f-1")
    run_worker(connection)
    document, version = mirror.get_with_version("901")
    assert document is not None and document["summary"] == "forged"
    assert version is not None and version <= mirror.server_time_ms()  # clamped to when it came in
    assert int(connection.hget(STATS, "clamped_versions") or 0) == 1
    later = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    post_event(client, _update("FUT-1", "901", later, "real"), "f-2")
    run_worker(connection)
    assert mirror.get("FUT-1")["summary"] == "real"  # the next real update is not pinned out


def test_an_updated_a_little_ahead_is_kept_as_it_is(client: Any, connection: redis.Redis) -> None:
    ahead = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    post_event(client, _update("FUT-2", "902", ahead, "skewed a little"), "s-1")
    run_worker(connection)
    _, version = RedisMirror(connection).get_with_version("902")
    assert version == int(datetime.strptime(ahead, "%Y-%m-%dT%H:%M:%S.000%z").timestamp() * 1000)
    assert connection.hget(STATS, "clamped_versions") is None


def test_the_reconcile_watermark_never_passes_now() -> None:
    future = int((NOW + timedelta(days=365)).timestamp() * 1000)
    assert clamped_watermark(future, NOW) == int(NOW.timestamp() * 1000)
    assert _since(future, NOW) == ' AND updated >= "-10m"'  # the overlap, not "-1m"
    past = int((NOW - timedelta(hours=1)).timestamp() * 1000)
    assert _since(past, NOW) == ' AND updated >= "-70m"'


def test_resync_repairs_the_mirror_after_jiras_clock_went_back(stack: dict[str, Any], connection: redis.Redis) -> None:
    """Jira restored or its clock set back: the next change is stamped earlier than the mirrored one.
    The event loses (it looks older); the resync reads Jira's state and stores it all the same."""
    emulator, jira, runtime = stack["emulator"], stack["jira"], stack["runtime"]
    jira.update_fields("SHOP-2", {"summary": "before the restore"})
    stack["emulator"].dispatcher.wait_idle(timeout=10)
    run_worker(connection)
    assert runtime.mirror.get("SHOP-2")["summary"] == "before the restore"
    emulator.faults.configure({"clock_offset_s": -3600})
    jira.update_fields("SHOP-2", {"summary": "after the restore"})
    stack["emulator"].dispatcher.wait_idle(timeout=10)
    run_worker(connection)
    assert runtime.mirror.get("SHOP-2")["summary"] == "before the restore"  # the event looked older
    report = resync(runtime, full=True)
    assert "SHOP-2" in report.drifted
    assert runtime.mirror.get("SHOP-2")["summary"] == "after the restore"
    issue = jira.get_issue("SHOP-2", fields=["updated"])
    assert runtime.mirror.version(runtime.mirror.get("SHOP-2")["id"]) == issue_version(issue)


def test_a_read_begun_before_a_delete_does_not_bring_the_issue_back(connection: redis.Redis) -> None:
    """Jira's clock behind Redis's: the delete's own version is small, but it was applied after the read began."""
    mirror = RedisMirror(connection)
    mirror.upsert(_doc("Done"), 1_000)
    started = mirror.server_time_ms() - 1_000
    assert mirror.delete("7", "CON-7", 1_500)
    assert not mirror.store_read(_doc("Done"), 1_000, started)
    assert mirror.get("CON-7") is None


def test_a_read_loses_to_a_newer_read_applied_after_it_began(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    older_read_started = mirror.server_time_ms() - 1_000
    assert mirror.store_read(_doc("Done"), 3_000, mirror.server_time_ms())  # a resync that began later
    assert not mirror.store_read(_doc("To Do"), 2_000, older_read_started)  # a reconcile still running
    assert mirror.get("CON-7") == _doc("Done")


def test_a_read_of_a_jira_clock_far_ahead_is_ordered_like_the_events() -> None:
    from sync.read_pages import clamped_version

    assert clamped_version(10**13, 1_000) == 1_000  # as an event received then would be
    assert clamped_version(1_000 + 60_000, 1_000) == 61_000  # a minute ahead is kept
