"""The name requirements of a query hold for every issue it matches, so an index may skip the rest."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from jql.candidates import NamesIn, folded_names, name_requirements
from jql.query import JqlContext, compile_jql, parse_jql
from jql.syntax import Kind

CONTEXT = JqlContext(at=datetime(2026, 11, 15, tzinfo=UTC))

QUERIES = [
    "project = OPS AND issuetype = Incident AND priority = Highest",
    "project in (shop, PAY) AND status not in (Done, Closed)",
    "statusCategory = 'In Progress' AND labels = escaped",
    "(project = OPS OR labels in (ux, escaped)) AND resolution = Done",
    "resolution = Unresolved AND project = OPS",
    "component in (Checkout) AND (priority = High AND issuetype = Bug)",
    "NOT project = OPS AND labels is empty",
    "project = OPS OR priority = High",
    "status = EMPTY AND statusCategory in (new, Done)",
    "",
]


def documents() -> list[dict[str, Any]]:
    found = []
    values = itertools.product(
        ["OPS", "SHOP", "pay", None],
        ["Incident", "Bug"],
        ["Highest", "High", None],
        [[], ["escaped"], ["UX", "other"], None],
        [("Done", "done"), ("In Progress", "indeterminate"), (None, None), (None, "new")],
        [None, "Done", "Won't Do"],
        [[], ["Checkout"]],
    )
    for number, (project, kind, priority, labels, status, resolution, components) in enumerate(values):
        found.append(
            {
                "id": str(number),
                "key": f"{project or 'X'}-{number}",
                "project": project,
                "issuetype": kind,
                "priority": priority,
                "labels": labels,
                "status": status[0],
                "statusCategory": status[1],
                "resolution": resolution,
                "components": components,
            }
        )
    return found


def meets(document: dict[str, Any], test: NamesIn) -> bool:
    return any(name in test.names for name in folded_names(test.kind, document.get(test.key)))


@pytest.mark.parametrize("text", QUERIES)
def test_every_match_meets_every_requirement(text: str) -> None:
    requirements = name_requirements(parse_jql(text))
    check = compile_jql(text)
    matched = [d for d in documents() if check(d, CONTEXT)]
    assert matched  # the documents exercise each query
    for document in matched:
        assert all(any(meets(document, test) for test in requirement) for requirement in requirements)


def test_positive_literal_name_clauses_become_requirements_and_nothing_else_does() -> None:
    def shown(text: str) -> list[list[tuple[str, Kind, set[str]]]]:
        return [[(t.key, t.kind, set(t.names)) for t in r] for r in name_requirements(parse_jql(text))]

    assert shown(QUERIES[1]) == [[("project", Kind.NAME, {"shop", "pay"})]]
    assert shown(QUERIES[3]) == [
        [("project", Kind.NAME, {"ops"}), ("labels", Kind.NAMES, {"ux", "escaped"})],
        [("resolution", Kind.NAME, {"done"})],
    ]
    assert shown(QUERIES[4]) == [[("project", Kind.NAME, {"ops"})]]  # Unresolved means empty: no requirement
    assert shown(QUERIES[5]) == [
        [("components", Kind.NAMES, {"checkout"})],
        [("priority", Kind.NAME, {"high"})],
        [("issuetype", Kind.NAME, {"bug"})],
    ]
    assert shown(QUERIES[8]) == [[("statusCategory", Kind.CATEGORY, {"new", "done"})]]
    assert shown(QUERIES[7]) == [[("project", Kind.NAME, {"ops"}), ("priority", Kind.NAME, {"high"})]]  # one of them
    assert shown(QUERIES[6]) == shown("") == []
