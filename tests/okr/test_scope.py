"""Delivery against the recorded scope (okr/scope.py) and through the evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from mapping.loader import load_config_text
from okr.evaluate import evaluate_report, evaluation_input
from okr.scope import RecordedScope, Rescope, ScopeFacts, advance, first_scope, kr_scope, scope_facts, scope_words

START = date(2026, 10, 1)
OPENED = datetime(2026, 10, 1, 9, tzinfo=UTC)
LATER = datetime(2026, 11, 12, 15, tzinfo=UTC)


def _never(_key: str) -> bool:
    return False


def test_nothing_moved_delivery_is_done_over_total() -> None:
    current = {"SHOP-1": True, "SHOP-2": False, "SHOP-3": False, "SHOP-4": True}
    scope, facts = kr_scope(None, current, OPENED, START, _never)  # type: ignore[misc]
    assert (facts.total, facts.done, facts.added, facts.descoped, facts.first_seen) == (4, 2, 0, (), False)
    assert facts.delivery == 0.5
    assert scope_words(facts) == "scope: 4 epics at start"


def test_an_unfinished_epic_that_leaves_still_counts_and_is_listed_as_descoped() -> None:
    scope = first_scope({"SHOP-1": True, "SHOP-7": False}, OPENED, START)
    now = {"SHOP-1": True}
    scope2, facts = kr_scope(scope, now, LATER, START, _never)  # type: ignore[misc]
    assert facts.delivery == 0.5
    assert facts.descoped == (("SHOP-7", LATER.isoformat()),)
    assert scope2.gone["SHOP-7"].done is False
    assert scope_words(facts) == "scope: 2 epics at start, 1 dropped unfinished (SHOP-7 on 12 Nov)"
    again = kr_scope(scope2, now, datetime(2026, 11, 20, tzinfo=UTC), START, _never)
    assert again is not None and again[0] is scope2  # first seen gone stays the first time


def test_an_epic_done_when_it_left_counts_done_and_is_not_descoped() -> None:
    scope = first_scope({"SHOP-1": False, "SHOP-2": False}, OPENED, START)
    _, facts = kr_scope(scope, {"SHOP-1": False}, LATER, START, lambda key: key == "SHOP-2")  # type: ignore[misc]
    assert (facts.done, facts.total, facts.descoped) == (1, 2, ())


def test_epics_that_joined_later_are_reported_apart() -> None:
    scope = first_scope({"SHOP-1": False}, OPENED, START)
    facts = scope_facts(scope, {"SHOP-1": False, "SHOP-8": True, "SHOP-9": False})
    assert (facts.total, facts.done, facts.added, facts.added_done) == (1, 0, 2, 1)
    assert scope_words(facts) == "scope: 1 epic at start, 2 added (1 done)"


def test_a_scope_first_seen_after_the_start_and_a_rescope_say_so() -> None:
    seen = first_scope({"SHOP-1": False}, LATER, START)
    assert scope_words(scope_facts(seen, {"SHOP-1": False})) == "scope: 1 epic as first seen on 12 Nov"
    why = Rescope("payments moved to Q1", "alice", LATER.isoformat())
    redone = first_scope({"SHOP-1": False}, LATER, START, rescoped=why)
    words = scope_words(scope_facts(redone, {"SHOP-1": False}))
    assert words == "scope: 1 epic as rescoped on 12 Nov by alice: payments moved to Q1"


def test_stored_forms_round_trip() -> None:
    scope = advance(first_scope({"A-1": True, "A-2": False}, OPENED, START), {"A-1": True}, LATER, {"A-2": False})
    assert RecordedScope.from_dict(scope.to_dict()) == scope
    facts = scope_facts(scope, {"A-1": True})
    assert ScopeFacts.from_dict(facts.to_dict()) == facts


keys = st.sampled_from([f"E-{n}" for n in range(8)])
states = st.dictionaries(keys, st.booleans(), min_size=1)


@given(states, st.data())
def test_delivery_never_rises_when_an_unfinished_epic_leaves(start: dict[str, bool], data: st.DataObject) -> None:
    scope = first_scope(start, OPENED, START)
    current = data.draw(st.fixed_dictionaries({k: st.booleans() for k in start}))
    before = kr_scope(scope, current, OPENED, START, _never)
    unfinished = [key for key, done in current.items() if not done]
    if not unfinished:
        return
    leaving = data.draw(st.sampled_from(unfinished))
    after = kr_scope(scope, {k: v for k, v in current.items() if k != leaving}, LATER, START, _never)
    assert before is not None and after is not None
    assert after[1].delivery == before[1].delivery
    assert (leaving, LATER.isoformat()) in after[1].descoped


@given(states)
def test_delivery_equals_done_over_total_when_nothing_moved(current: dict[str, bool]) -> None:
    scoped = kr_scope(first_scope(current, OPENED, START), current, LATER, START, _never)
    assert scoped is not None
    assert scoped[1].delivery == sum(current.values()) / len(current)
    assert (scoped[1].added, scoped[1].descoped) == (0, ())


CONFIG = """
version: 1
cycles: [{id: q4, start: 2026-10-01, end: 2026-12-31}]
metrics:
  mttr: {source: jira, aggregate: count, jql: project = SHOP AND labels = incident}
okr_sets:
  - id: shop
    name: Shop
    cycle: q4
    objectives:
      - id: O1
        title: Calm
        key_results:
          - id: KR1
            title: Faster recovery
            metric: mttr
            baseline: 0
            target: 10
            contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr-mttr}
"""


def _epic(key: str, done: bool, labelled: bool = True) -> dict[str, object]:
    return {
        "key": key,
        "project": "SHOP",
        "issuetype": "Epic",
        "labels": ["kr-mttr"] if labelled else [],
        "statusCategory": "done" if done else "indeterminate",
        "created": "2026-09-01T00:00:00+00:00",
    }


def test_the_evaluation_reads_delivery_over_the_recorded_scope() -> None:
    config = load_config_text(CONFIG)
    docs = [_epic("SHOP-1", True), _epic("SHOP-7", False)]
    first = evaluate_report(config, evaluation_input(OPENED, config, docs)).find("shop", "KR1")
    assert first is not None and first.delivery == 0.5 and first.scope is not None
    recorded = first_scope({"SHOP-1": True, "SHOP-7": False}, OPENED, START)
    dropped = [_epic("SHOP-1", True), _epic("SHOP-7", False, labelled=False)]
    later = evaluation_input(LATER, config, dropped, scopes={("shop", "KR1"): recorded})
    kr = evaluate_report(config, later).find("shop", "KR1")
    assert kr is not None and kr.delivery == 0.5 and "descoped_work" in kr.flags
    assert kr.scope is not None and [key for key, _ in kr.scope.descoped] == ["SHOP-7"]
    offline = evaluate_report(config, evaluation_input(LATER, config, dropped)).find("shop", "KR1")
    assert offline is not None and offline.delivery == 1.0 and offline.scope is not None
    assert offline.scope.first_seen is True  # no recorded scope: the current contributors, as first seen at `at`


def test_before_the_cycle_starts_the_scope_reads_the_same_whenever_it_is_evaluated() -> None:
    config = load_config_text(CONFIG)
    docs = [_epic("SHOP-1", True), _epic("SHOP-7", False)]
    early = [datetime(2026, 9, day, tzinfo=UTC) for day in (3, 20)]
    facts = [evaluate_report(config, evaluation_input(at, config, docs)).find("shop", "KR1") for at in early]
    assert facts[0] is not None and facts[1] is not None
    assert facts[0].scope == facts[1].scope and facts[0].scope is not None and not facts[0].scope.first_seen
