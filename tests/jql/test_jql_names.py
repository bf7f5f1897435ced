"""The fields and values a JQL text names, whether the local subset evaluates it or not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jql.names import FieldUse, fields_named
from jql.syntax import JqlError


def test_names_are_read_from_queries_outside_the_subset_too() -> None:
    assert fields_named('projct = CHK AND status WAS "In Progress" BEFORE 2026-01-01 ORDER BY created') == (
        FieldUse("projct", "custom", ("CHK",)),
        FieldUse("status", "system", ("In Progress",)),
        FieldUse("created", "system"),
    )
    assert fields_named("type in (Bug, 'Sub-task') AND cf[10014] is EMPTY AND fixVersion = 1.0") == (
        FieldUse("issuetype", "system", ("Bug", "Sub-task")),
        FieldUse("cf[10014]", "cf"),
        FieldUse("fixVersion", "unmirrored", ("1.0",)),
    )


def test_text_that_is_not_jql_is_a_jql_error() -> None:
    for text in ("project = ", "AND", 'status = "a\\q"'):
        try:
            fields_named(text)
        except JqlError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"{text!r} was read")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_jql_errors(text: str) -> None:
    try:
        uses = fields_named(text)
    except JqlError as exc:
        assert str(exc)
    else:
        assert all(use.name for use in uses)
