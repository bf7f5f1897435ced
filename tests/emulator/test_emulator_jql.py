"""The JQL evaluator on plain facts: supported clauses, Jira-style errors for the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator.jira_json import issue_facts
from emulator.scenario import load_site
from emulator.search import JqlContext, JqlError, compile_jql, sort_issues

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
SITE = load_site(None, "cloud", now=NOW)
FACTS = [issue_facts(SITE, issue, NOW) for issue in SITE.issues.values()]


def keys(jql: str) -> list[str]:
    query = compile_jql(jql, JqlContext(now=NOW, current_user=frozenset({"alice"})))
    return [next(iter(f["key"])).upper() for f in sort_issues([f for f in FACTS if query.matches(f)], query.order)]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = PAY AND issuetype = Epic", ["PAY-1"]),
        ("statusCategory = Done", ["PAY-2", "OPS-1"]),
        ('status in ("In Progress", "To Do") AND project != OPS', ["PAY-1", "PAY-3", "PAY-4", "PAY-5"]),
        ("labels = checkout ORDER BY key DESC", ["PAY-3", "PAY-2"]),
        ("labels is EMPTY", ["PAY-5"]),
        ("updated >= -2d", ["PAY-1", "PAY-3"]),
        ("created < '2025-06-01'", ["PAY-1", "PAY-2"]),
        ("resolved >= startOfDay(-6d)", ["PAY-2"]),
        ("assignee = currentUser()", ["PAY-2"]),
        ("component = Mobile OR key = OPS-1", ["PAY-3", "OPS-1"]),
        ("parent = PAY-1 AND NOT type = Task", ["PAY-2"]),
        ("summary ~ checkout", ["PAY-1", "PAY-2", "OPS-1"]),
        (
            "project = pay AND (priority = Highest OR priority = High) ORDER BY created DESC",
            ["PAY-4", "PAY-2", "PAY-1"],
        ),
    ],
)
def test_supported_clauses(jql: str, expected: list[str]) -> None:
    assert keys(jql) == expected


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("sprint in openSprints()", "Field 'sprint' does not exist"),
        ("project = PAY AND", "Expecting a field name but got end of query"),
        ("project = PAY status = Done", "Expecting either 'OR' or 'AND' but got 'status'"),
        ("created > yesterday", "Date value 'yesterday' for field 'created' is invalid"),
        ("labels > x", "The operator '>' is not supported by the 'labels' field"),
        ("project = PAY ORDER BY rank", "Not able to sort using field 'rank'"),
        ("project = PAY & x", "reserved JQL character"),
    ],
)
def test_unsupported_queries_fail_like_jira(jql: str, message: str) -> None:
    with pytest.raises(JqlError, match=message):
        compile_jql(jql, JqlContext(now=NOW))


def test_empty_query_is_unbounded_and_matches_everything() -> None:
    query = compile_jql("ORDER BY updated", JqlContext(now=NOW))
    assert not query.bounded and all(query.matches(f) for f in FACTS)
    assert compile_jql("project = PAY", JqlContext(now=NOW)).bounded


def test_relative_dates_follow_the_clock() -> None:
    later = NOW + timedelta(days=30)
    query = compile_jql("updated >= -2d", JqlContext(now=later))
    assert not any(query.matches(issue_facts(SITE, i, later)) for i in SITE.issues.values())


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        # Jira: "field != value" is the same as "NOT field = value"; neither matches an empty field
        ("project = PAY AND NOT labels = checkout", ["PAY-1", "PAY-4"]),
        ("project = PAY AND labels != checkout", ["PAY-1", "PAY-4"]),
        ("project = PAY AND NOT labels in (checkout)", ["PAY-1", "PAY-4"]),
        ("project = PAY AND labels not in (checkout)", ["PAY-1", "PAY-4"]),
        ("NOT assignee = currentUser()", ["PAY-3", "OPS-1"]),
        ("assignee != currentUser()", ["PAY-3", "OPS-1"]),
        ("NOT NOT assignee = currentUser()", ["PAY-2"]),
        ("NOT resolved >= -30d", []),
        ("NOT component = Mobile", ["PAY-2", "PAY-4", "OPS-1"]),
        ("description !~ nothing", []),
        ("NOT description ~ nothing", []),
    ],
)
def test_not_and_negative_operators_never_match_an_empty_field(jql: str, expected: list[str]) -> None:
    assert keys(jql) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        # three values: a comparison with an empty field is unknown, and NOT unknown is still unknown
        ("NOT (labels = checkout OR assignee = currentUser())", ["OPS-1"]),  # PAY-1, PAY-4: NOT (false OR unknown)
        ("NOT (labels = checkout AND assignee = currentUser())", ["PAY-1", "PAY-3", "PAY-4", "OPS-1"]),
        ("NOT (labels = ledger AND assignee = bob)", ["PAY-1", "PAY-2", "PAY-3", "OPS-1"]),
        ("NOT labels = ledger OR assignee is empty", ["PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-5", "OPS-1"]),
        # EMPTY and IS [NOT] EMPTY always answer
        ("NOT labels is empty", ["PAY-1", "PAY-2", "PAY-3", "PAY-4", "OPS-1"]),
        ("NOT labels is not empty", ["PAY-5"]),
        ("labels = EMPTY", ["PAY-5"]),
        ("NOT labels = EMPTY", ["PAY-1", "PAY-2", "PAY-3", "PAY-4", "OPS-1"]),
        ("labels in (EMPTY, ledger)", ["PAY-4", "PAY-5"]),
        ("NOT labels in (EMPTY, ledger)", ["PAY-1", "PAY-2", "PAY-3", "OPS-1"]),
        ("labels not in (EMPTY, ledger)", ["PAY-1", "PAY-2", "PAY-3", "OPS-1"]),
        ("NOT (labels = checkout OR labels is empty)", ["PAY-1", "PAY-4", "OPS-1"]),
        ("resolved = EMPTY", ["PAY-1", "PAY-3", "PAY-4", "PAY-5"]),
        ("NOT resolved = EMPTY", ["PAY-2", "OPS-1"]),
        ("NOT resolved < -10d", ["PAY-2"]),
        ("resolved >= -10d", ["PAY-2"]),
    ],
)
def test_not_is_three_valued_as_in_jira(jql: str, expected: list[str]) -> None:
    assert keys(jql) == expected
