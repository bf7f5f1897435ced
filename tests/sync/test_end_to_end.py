"""From a change in (emulated) Jira to written-back status: the emulator on a real port delivers signed
webhooks to the service on a real port; a real `okrsync worker` process drains them, recomputes the
KRs and writes through the connector. Counts come from the emulator's call counters."""

from __future__ import annotations

import time

from tests.sync.conftest import property_writes, settled, status_of


def test_a_jira_change_reaches_the_epic_and_the_kr_issue(service, connection) -> None:
    emulator, jira = service["emulator"], service["jira"]
    settled(connection, emulator)
    first = status_of(jira, "SHOP-1")
    assert (first["kr"], first["current"], first["count"]) == ("KR1", 20.0, 10)  # 2 escaped of 10 bugs
    assert status_of(jira, "OKR-1")["kr"] == "KR1"

    started = time.monotonic()
    jira.update_fields("SHOP-5", {"labels": ["escaped"]})
    settled(connection, emulator)
    after = status_of(jira, "SHOP-1")
    assert after["current"] == 30.0 and after["provenance"]["trigger"]["kind"] == "webhook"
    fields = jira.get_issue("OKR-1", fields=["customfield_10100", "customfield_10101"])["fields"]
    assert (fields["customfield_10100"], fields["customfield_10101"]) == (after["score"], "off track")
    assert time.monotonic() - started < 15
    assert "Traceback" not in service["log"].read_text()


def test_an_identical_change_writes_nothing_and_a_burst_writes_a_handful(service, connection) -> None:
    emulator, jira = service["emulator"], service["jira"]
    jira.update_fields("SHOP-5", {"labels": ["escaped"]})
    settled(connection, emulator)
    writes = property_writes(emulator)
    jira.update_fields("SHOP-5", {"labels": ["escaped"]})  # the same value again
    settled(connection, emulator)
    assert property_writes(emulator) == writes

    for number in range(500):  # a burst of edits to the KR's bugs: summaries only, then one label
        jira.update_fields(f"SHOP-{2 + number % 10}", {"summary": f"Bug edit {number}"})
    jira.update_fields("SHOP-6", {"labels": ["escaped"]})
    settled(connection, emulator, seconds=120)
    burst_writes = property_writes(emulator) - writes
    assert burst_writes <= 6, f"{burst_writes} property writes for a burst of 501 changes"
    assert status_of(jira, "SHOP-1")["current"] == 40.0
    assert "Traceback" not in service["log"].read_text()


def test_the_stacks_own_settle_returns_once_a_change_is_written_back(service, connection) -> None:
    """LocalStack.settle, what the demo waits on after each action: deliveries made, nothing left to do."""
    stack, jira = service["local_stack"], service["jira"]
    assert stack.settle(30).settled
    jira.update_fields("SHOP-5", {"labels": ["escaped"]})
    settling = stack.settle(30)
    assert (settling.settled, settling.waiting) == (True, "idle")
    assert status_of(jira, "SHOP-1")["current"] == 30.0  # no wait of its own: settled means written
