"""A KR the affected-KR step leaves out really keeps its value: the same number before and after the
change, for random issues, changes and metric shapes (the shapes of tests/okr/test_live.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from okr.evaluate import evaluate_config, evaluation_input
from okr.incremental import affected_key_results, kr_index
from tests.okr.test_change_reads import changes
from tests.okr.test_live import AT, CONFIG, FIELDS, documents

INDEX = kr_index(CONFIG)


def results(issues: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    report = evaluate_config(CONFIG, evaluation_input(AT, CONFIG, issues, custom_fields=FIELDS))
    return {kr["id"]: kr for o in report["okr_sets"][0]["objectives"] for kr in o["key_results"]}


@settings(max_examples=200, deadline=None)
@given(st.lists(documents(), max_size=8), documents(), st.booleans(), st.booleans())
def test_a_kr_left_out_keeps_its_value(
    others: list[dict[str, Any]], changed: dict[str, Any], was_there: bool, stays: bool
) -> None:
    base = {d["id"]: d for d in others if d["id"] != changed["id"]}
    before = {**changed, **others[0], "id": changed["id"]} if was_there and others else None
    after = changed if stays or before is None else None
    context = evaluation_input(AT, CONFIG, [], custom_fields=FIELDS).jql_context
    affected = {kr for _, kr in affected_key_results(INDEX, before, after, context)}
    old = results([*base.values(), *([before] if before else [])])
    new = results([*base.values(), *([after] if after else [])])
    for kr_id, result in old.items():
        if kr_id not in affected:
            assert (new[kr_id]["current"], new[kr_id]["count"], new[kr_id]["delivery"]) == (
                result["current"],
                result["count"],
                result["delivery"],
            ), kr_id


@settings(max_examples=100, deadline=None)
@given(st.lists(documents(), max_size=8), documents(), st.integers(min_value=0, max_value=3000))
def test_objectives_carried_from_the_same_configuration_equal_a_kr_by_kr_reuse(
    others: list[dict[str, Any]], changed: dict[str, Any], minutes_later: int
) -> None:
    issues = {d["id"]: d for d in others}
    previous = evaluate_config(CONFIG, evaluation_input(AT, CONFIG, list(issues.values()), custom_fields=FIELDS))
    before = issues.get(changed["id"])
    issues[changed["id"]] = changed
    later = evaluation_input(AT + timedelta(minutes=minutes_later), CONFIG, list(issues.values()), custom_fields=FIELDS)
    only = affected_key_results(INDEX, before, changed, later.jql_context)
    kr_by_kr = evaluate_config(CONFIG, later, only=only, previous=previous)
    carried = evaluate_config(CONFIG, later, only=only, previous=previous, previous_config=CONFIG)
    assert carried == kr_by_kr


@settings(max_examples=300, deadline=None)
@given(st.lists(documents(), max_size=8), changes())
def test_a_kr_left_out_when_few_fields_change_keeps_its_value(
    others: list[dict[str, Any]], change: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """The same as above for changes of a few fields, where the step skips metrics by the fields they read."""
    before, after = change
    base = [d for d in {d["id"]: d for d in others}.values() if d["id"] != before["id"]]
    context = evaluation_input(AT, CONFIG, [], custom_fields=FIELDS).jql_context
    affected = {kr for _, kr in affected_key_results(INDEX, before, after, context)}
    old, new = results([*base, before]), results([*base, after])
    for kr_id, result in old.items():
        if kr_id not in affected:
            assert (new[kr_id]["current"], new[kr_id]["count"], new[kr_id]["delivery"]) == (
                result["current"],
                result["count"],
                result["delivery"],
            ), kr_id


def test_a_touched_kr_whose_value_stays_takes_the_health_of_the_new_instant() -> None:
    issues = [
        {"id": str(n), "key": f"SHOP-{n}", "project": "SHOP", "created": "2026-10-05T10:00:00.000Z"} for n in range(3)
    ]
    previous = evaluate_config(CONFIG, evaluation_input(AT, CONFIG, issues, custom_fields=FIELDS))
    later = evaluation_input(AT + timedelta(days=44), CONFIG, issues, custom_fields=FIELDS)
    only = {("s", "KR0")}  # count_cycle: 3 of 10 all along
    carried = evaluate_config(CONFIG, later, only=only, previous=previous, previous_config=CONFIG)
    was, now = (r["okr_sets"][0]["objectives"][0]["key_results"][0] for r in (previous, carried))
    assert (was["current"], now["current"]) == (3.0, 3.0)
    assert (was["health"], now["health"]) == ("at_risk", "off_track")
    assert carried == evaluate_config(CONFIG, later, only=only, previous=previous)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(documents(), max_size=6),
    st.lists(st.tuples(documents(), st.integers(min_value=0, max_value=20 * 24 * 60)), min_size=1, max_size=6),
)
def test_a_chain_of_carried_reports_equals_a_chain_of_kr_by_kr_reuse(
    others: list[dict[str, Any]], events: list[tuple[dict[str, Any], int]]
) -> None:
    """Events one after the other while the instant moves on: a KR one event leaves alone keeps its
    result, and a later event that touches it without moving its value must still bring its health
    to the new instant."""
    issues = {d["id"]: d for d in others}
    carried = kr_by_kr = evaluate_config(
        CONFIG, evaluation_input(AT, CONFIG, list(issues.values()), custom_fields=FIELDS)
    )
    at = AT
    for changed, minutes_later in events:
        at += timedelta(minutes=minutes_later)
        before = issues.get(changed["id"])
        issues[changed["id"]] = changed
        given = evaluation_input(at, CONFIG, list(issues.values()), custom_fields=FIELDS)
        only = affected_key_results(INDEX, before, changed, given.jql_context)
        carried = evaluate_config(CONFIG, given, only=only, previous=carried, previous_config=CONFIG)
        kr_by_kr = evaluate_config(CONFIG, given, only=only, previous=kr_by_kr)
        assert carried == kr_by_kr


def test_a_touched_kr_left_alone_before_takes_the_health_of_the_new_instant() -> None:
    issues = [
        {"id": str(n), "key": f"SHOP-{n}", "project": "SHOP", "created": "2026-10-05T10:00:00.000Z"} for n in range(3)
    ]
    first = evaluate_config(CONFIG, evaluation_input(AT, CONFIG, issues, custom_fields=FIELDS))
    later = evaluation_input(AT + timedelta(days=44), CONFIG, issues, custom_fields=FIELDS)
    other = evaluate_config(CONFIG, later, only={("s", "KR12")}, previous=first, previous_config=CONFIG)
    then = evaluate_config(CONFIG, later, only={("s", "KR0")}, previous=other, previous_config=CONFIG)
    kr0 = [r["okr_sets"][0]["objectives"][0]["key_results"][0] for r in (first, other, then)]
    assert [kr["health"] for kr in kr0] == ["at_risk", "at_risk", "off_track"]  # left alone, then touched
    assert then == evaluate_config(CONFIG, later, only={("s", "KR0")}, previous=other)
