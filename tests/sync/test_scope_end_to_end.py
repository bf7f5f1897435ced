"""Delivery against the recorded scope through the real stack: dropping an unfinished epic's label
does not raise the KR's delivery; the epic is listed as descoped in the status property."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.sync.conftest import SCENARIO, settled, status_of


@pytest.fixture()
def scenario() -> dict[str, Any]:
    site = copy.deepcopy(SCENARIO)
    site["issues"].append(
        {
            "key": "SHOP-12",
            "type": "Epic",
            "summary": "Payment retries",
            "labels": ["kr-escaped"],
            "status": "Done",
            "created": "-20d",
        }
    )
    return site


def test_dropping_an_unfinished_epic_leaves_delivery_where_it_was(service, connection) -> None:
    emulator, jira = service["emulator"], service["jira"]
    settled(connection, emulator)
    before = status_of(jira, "OKR-1")
    assert before["delivery"] == 0.5 and before["scope"]["total"] == 2

    jira.update_fields("SHOP-1", {"labels": []})  # the in-progress epic quietly leaves the KR
    settled(connection, emulator)
    after = status_of(jira, "OKR-1")
    assert after["delivery"] == 0.5
    assert "descoped_work" in after["flags"]
    assert [d["key"] for d in after["scope"]["descoped"]] == ["SHOP-1"]
    assert "1 dropped unfinished (SHOP-1 on " in after["scope"]["words"]
    assert status_of(jira, "SHOP-12")["scope"]["descoped"][0]["key"] == "SHOP-1"
    assert "Traceback" not in service["log"].read_text()
