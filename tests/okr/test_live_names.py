"""The in-memory copy finds the same matches when an index of the name fields narrows what it tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from jql.query import JqlContext, compile_jql
from okr.live import IndexedMirror
from tests.jql.test_candidates import QUERIES, documents

AT = datetime(2026, 11, 15, tzinfo=UTC)


def odd_documents() -> list[dict[str, Any]]:
    """Name fields as JSON may hold them: tuples, items that are not text, empty text, missing keys."""
    found = documents()
    for number, document in enumerate(found):
        document["created"] = f"2026-10-{1 + number % 28:02d}T08:00:00.000Z" if number % 5 else None
    found[0]["labels"] = ("escaped", 7, "")
    found[1]["labels"] = ["", None, "ESCAPED"]
    found[2]["project"] = ""
    found[3]["components"] = "Checkout"
    del found[4]["project"]
    found[5]["statusCategory"] = 3
    return found


@pytest.mark.parametrize("text", [*QUERIES, "labels = escaped", "component = checkout AND project = OPS"])
def test_matches_and_selections_equal_a_pass_over_every_issue(text: str) -> None:
    issues = odd_documents()
    live = IndexedMirror(UTC, {}, issues)
    check = compile_jql(text)
    passed = [d["id"] for d in issues if check(d, JqlContext(at=AT))]
    assert [d["id"] for d in live.matching(text, AT) or []] == passed
    selection = live.selection(text, "created", ("count",), AT)
    dated = [d["id"] for d in issues if d["id"] in set(passed) and d["created"]]
    assert selection is not None and len(selection) == len(dated) == selection.count(0, AT.timestamp())
