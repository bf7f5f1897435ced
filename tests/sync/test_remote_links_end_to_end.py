"""Remote issue links, end to end: the emulated Jira on a real port, the service and a real `okrsync worker`
process, the real client. Each contributor epic and the KR's own issue carry one link per KR; it is
replaced in place when the KR moves, deleted when the epic leaves, and not written again when nothing
changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from okrsync.local_stack import LocalStack
from publish.jira import HEALTH_WORDS
from sync.dirty import mark_all
from sync.failures import FAILURES, FailureStore
from sync.flush import flush
from sync.remote_links import LINKS
from tests.support.stack import dated, sync_fixture, sync_options
from tests.sync.conftest import CONFIG, SCENARIO, settled, status_of

PUBLIC = "http://okrsync.test:8000"
GLOBAL_ID = "okrsync:shop/KR1"


@pytest.fixture()
def stack(
    site: tuple[Any, str], connection: redis.Redis, tmp_path: Path, scenario: dict[str, Any], config_text: str
) -> Iterator[dict[str, Any]]:
    """The sync tests' stack, with the public address the links and their icons are made under."""
    options = sync_options(site, connection, tmp_path, config_text)
    with LocalStack(replace(options, env={**options.env, "OKRSYNC_PUBLIC_URL": PUBLIC})) as local:
        yield sync_fixture(local)


SECOND_EPIC = {
    "key": "SHOP-12",
    "type": "Epic",
    "summary": "Bug bash before release",
    "labels": ["kr-escaped"],
    "status": "To Do",
    "created": "-10d",
}
TWO_EPICS = {**SCENARIO, "issues": [*SCENARIO["issues"], SECOND_EPIC]}
KR2_ON_SHOP_1 = CONFIG.replace(
    "            unmeasured: no survey yet\n",
    "            unmeasured: no survey yet\n            contributors: {epics: [SHOP-1]}\n",
)


def links_of(jira: Any, key: str) -> list[dict[str, Any]]:
    return jira.remote_links(key)


def expected_title(status: dict[str, Any]) -> str:
    values = f"{status['current']:g} → {status['target']:g}"
    return (
        f"O1.KR1 Escaped defects from 40% to 10% of bugs · {values} · {HEALTH_WORDS[status['health']]}"
        f" · score {status['score']:.2f}"
    )


def remote_link_calls(emulator: Any) -> int:
    calls = emulator.faults.counters()["calls"]
    return sum(n for endpoint, outcomes in calls.items() if "remotelink" in endpoint for n in outcomes.values())


def test_each_contributor_epic_and_the_kr_issue_carry_one_link_with_the_krs_numbers(service, connection) -> None:
    emulator, jira = service["emulator"], service["jira"]
    settled(connection, emulator)
    status = status_of(jira, "SHOP-1")
    for key, relationship in (("SHOP-1", "contributes to"), ("OKR-1", "key result")):
        [link] = links_of(jira, key)
        assert (link["globalId"], link["relationship"]) == (GLOBAL_ID, relationship)
        assert link["application"] == {"type": "com.okrsync", "name": "OKR Sync"}
        assert link["object"]["title"] == expected_title(status)
        assert link["object"]["url"] == f"{PUBLIC}/admin/sets/shop/krs/KR1"  # no Confluence: the admin KR page
        assert link["object"]["icon"]["url16x16"] == f"{PUBLIC}/admin/icons/{status['health']}.svg"
        assert link["object"]["status"] == {"resolved": status["health"] == "done"}
    assert links_of(jira, "SHOP-2") == []  # a bug is no contributor


@pytest.mark.parametrize(("scenario", "config_text"), [(TWO_EPICS, KR2_ON_SHOP_1)])
def test_after_resync_every_contributor_epic_has_exactly_one_link_per_kr_it_serves(service, connection) -> None:
    emulator, jira = service["emulator"], service["jira"]
    settled(connection, emulator)
    found = {key: sorted(link["globalId"] for link in links_of(jira, key)) for key in ("SHOP-1", "SHOP-12", "OKR-1")}
    assert found == {
        "SHOP-1": ["okrsync:shop/KR1", "okrsync:shop/KR2"],  # two KRs: two links
        "SHOP-12": ["okrsync:shop/KR1"],
        "OKR-1": ["okrsync:shop/KR1"],
    }
    titles = {link["globalId"]: link["object"]["title"] for link in links_of(jira, "SHOP-1")}
    assert titles["okrsync:shop/KR1"] == expected_title(status_of(jira, "SHOP-12"))
    assert titles["okrsync:shop/KR2"] == "O1.KR2 Repeat purchases · not measured · score —"
    assert [link["object"]["title"] for link in links_of(jira, "SHOP-12")] == [titles["okrsync:shop/KR1"]]


def test_a_moving_kr_replaces_its_link_and_a_departed_epic_loses_it(service, connection) -> None:
    emulator, jira = service["emulator"], service["jira"]
    settled(connection, emulator)
    [before] = links_of(jira, "SHOP-1")
    jira.update_fields("SHOP-5", {"labels": ["escaped"]})  # 3 escaped of 10 bugs now
    settled(connection, emulator)
    status = status_of(jira, "SHOP-1")
    assert status["current"] == 30.0
    [after] = links_of(jira, "SHOP-1")
    assert (after["id"], after["globalId"]) == (before["id"], GLOBAL_ID)  # updated in place, not duplicated
    assert after["object"]["title"] == expected_title(status) != before["object"]["title"]
    [on_kr_issue] = links_of(jira, "OKR-1")
    assert on_kr_issue["object"]["title"] == after["object"]["title"]

    jira.update_fields("SHOP-1", {"labels": []})  # the epic leaves the KR's contributors
    settled(connection, emulator)
    assert links_of(jira, "SHOP-1") == []
    assert [link["globalId"] for link in links_of(jira, "OKR-1")] == [GLOBAL_ID]
    assert "Traceback" not in service["log"].read_text()


def test_a_second_flush_with_nothing_changed_makes_no_jira_call(service, connection) -> None:
    emulator, runtime = service["emulator"], service["runtime"]
    settled(connection, emulator)
    assert remote_link_calls(emulator) >= 2  # the first flush wrote the links
    emulator.faults.reset_counters()
    mark_all(connection, {"kind": "test"})
    report = flush(runtime)
    assert (report.written, report.unlinked, report.failed) == ([], [], [])
    assert emulator.faults.counters()["total_calls"] == 0


def test_a_refused_link_is_recorded_and_every_other_write_goes_on(stack, connection) -> None:
    emulator, jira, runtime = stack["emulator"], stack["jira"], stack["runtime"]
    connection.delete(FAILURES)
    emulator.faults.configure({"refuse_write_keys": ["SHOP-1"], "refuse_write_status": 403})
    mark_all(connection, {"kind": "test"})
    report = flush(runtime)
    assert "remotelink:SHOP-1:shop/KR1" in report.failed
    assert "remotelink:OKR-1:shop/KR1" in report.written
    assert [link["globalId"] for link in links_of(jira, "OKR-1")] == [GLOBAL_ID]
    failure = FailureStore(connection).get("remotelink:SHOP-1:shop/KR1")
    assert failure is not None and failure.status == 403 and failure.kind == "permanent"


def test_a_kr_removed_from_the_configuration_takes_its_links_along(stack, connection) -> None:
    jira, runtime = stack["jira"], stack["runtime"]
    mark_all(connection, {"kind": "test"})
    flush(runtime)
    assert [link["globalId"] for link in links_of(jira, "SHOP-1")] == [GLOBAL_ID]
    without_kr1 = dated(CONFIG[: CONFIG.index("          - id: KR1")] + CONFIG[CONFIG.index("          - id: KR2") :])
    runtime.config_store.apply(without_kr1, "okrs.yaml", "test", datetime.now(UTC))
    mark_all(connection, {"kind": "test"})
    report = flush(runtime)
    assert sorted(report.unlinked) == ["remotelink:OKR-1:shop/KR1", "remotelink:SHOP-1:shop/KR1"]
    assert links_of(jira, "SHOP-1") == [] and links_of(jira, "OKR-1") == []
    assert connection.hlen(LINKS) == 0


def test_turning_remote_links_off_deletes_the_links_written(stack, connection) -> None:
    jira, runtime = stack["jira"], stack["runtime"]
    mark_all(connection, {"kind": "test"})
    flush(runtime)
    assert [link["globalId"] for link in links_of(jira, "OKR-1")] == [GLOBAL_ID]
    off = dated(CONFIG.replace("writeback:\n", "writeback:\n  remote_links: false\n"))
    runtime.config_store.apply(off, "okrs.yaml", "test", datetime.now(UTC))
    mark_all(connection, {"kind": "test"})
    report = flush(runtime)
    assert sorted(report.unlinked) == ["remotelink:OKR-1:shop/KR1", "remotelink:SHOP-1:shop/KR1"]
    assert links_of(jira, "SHOP-1") == [] and links_of(jira, "OKR-1") == []
    assert connection.hlen(LINKS) == 0
