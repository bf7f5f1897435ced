"""Lint's task-shaped rule: delivery verbs as whole words, Chinese verbs at the start, counted finished work."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.lint import CHINESE_DELIVERY_VERBS, DELIVERY_VERBS, LintFinding, delivery_verb, lint
from mapping.loader import load_config_document


def _config(title: str = "Repeat purchases up from 20% to 30%", metric: dict | None = None):
    kr = {"id": "KR1", "title": title, "metric": "m", "baseline": 0, "target": 10}
    document = {
        "version": 1,
        "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "metrics": {"m": {"description": "m", "source": "jira", "jql": "project = OPS", **(metric or {})}},
        "okr_sets": [
            {
                "id": "shop",
                "name": "Shop",
                "cycle": "Q4",
                "objectives": [
                    {
                        "id": "O1",
                        "title": "Dependable checkout",
                        "key_results": [kr, {"id": "KR2", "title": "SEV1s down", "unmeasured": "later"}],
                    }
                ],
            }
        ],
    }
    return load_config_document(document)


def _task_shaped(title: str = "Repeat purchases up from 20% to 30%", metric: dict | None = None) -> list[LintFinding]:
    return [f for f in lint(_config(title, metric)) if f.rule == "task-shaped"]


TASKS = [
    "开发并发布支付功能",
    "实现新版结算页",
    "交付3个新特性",
    "Implement SSO",
    "Ship the new checkout",
    "Launch the partner portal",
    "Roll out SSO to every team",
    "Migrate billing to the new ledger",
    "Build: a faster search",
    "  上线新版结算页",
]
OUTCOMES = [
    "Shipping cost per order down from 4.10 to 3.20",
    "Build time under 8 minutes",
    "Release frequency from monthly to weekly",
    "Release success rate above 99%",
    "Build failures halved",
    "Launch share of new users above 40%",
    "Builder satisfaction above 4.5",
    "Shipments on time above 95%",
    "Build-time regressions caught before merge",
    "结算页转化率从 2% 提升到 3%",
]


@pytest.mark.parametrize("title", TASKS)
def test_a_title_starting_with_a_delivery_verb_is_task_shaped(title: str) -> None:
    found = _task_shaped(title)
    assert [f.where for f in found] == ["shop/O1/KR1"]
    assert "delivery verb" in found[0].message and "outcome" in found[0].message


@pytest.mark.parametrize("title", OUTCOMES)
def test_a_measure_or_a_longer_word_is_not_a_delivery_verb(title: str) -> None:
    assert _task_shaped(title) == []


def test_the_verb_is_a_whole_word_and_the_word_after_it_decides() -> None:
    assert delivery_verb("Ship the new checkout") == "ship"
    assert delivery_verb("Shipping cost") is None
    assert delivery_verb("Build time") is None
    assert delivery_verb("Build the time machine") == "build"
    assert delivery_verb("Roll out SSO") == "roll out"
    assert delivery_verb("Roll call attendance") is None
    assert delivery_verb("Implement") == "implement"
    assert delivery_verb("开发并发布支付功能") == "开发"


@pytest.mark.parametrize(
    "metric",
    [
        {"jql": "project = SHOP AND issuetype = Story"},
        {"jql": 'project = SHOP AND type in (Bug, "Sub-task")'},
        {"jql": "issuetype = Epic OR issuetype = Task"},
        {"jql": "project = SHOP AND statusCategory = Done"},
        {"jql": "project = SHOP AND resolved >= startOfMonth()", "aggregate": "sum", "value_field": "Story Points"},
        {"jql": "issuetype in (Story, Task)", "aggregate": "sum", "value_field": "Story Points"},
        {"jql": "project = SHOP AND status = Done", "window": "30d"},  # a done count, whatever the window
    ],
)
def test_counting_finished_work_over_the_cycle_is_task_shaped_whatever_the_title(metric: dict) -> None:
    found = _task_shaped(metric=metric)
    assert [f.where for f in found] == ["shop/O1/KR1"]
    assert "output, not outcome" in found[0].message
    assert "measure the change the work should cause" in found[0].message


@pytest.mark.parametrize(
    "metric",
    [
        {"jql": "project = OPS AND issuetype = Incident"},  # fewer incidents: an outcome
        {"jql": "project = SHOP AND issuetype = Story", "window": "30d"},  # not accumulated over the cycle
        {"jql": "project = SHOP AND NOT issuetype = Story"},
        {"jql": "project = SHOP AND issuetype != Task"},
        {"jql": "project = SHOP AND issuetype = Story", "aggregate": "mean", "value_field": "Story Points"},
        {"jql": "issuetype = Story", "aggregate": "ratio", "numerator_jql": "issuetype = Story AND labels = a11y"},
        {"jql": "project = SHOP AND issuetype = Storyboard"},
    ],
)
def test_other_counts_and_sums_are_not_task_shaped(metric: dict) -> None:
    assert _task_shaped(metric=metric) == []


def test_a_task_title_over_a_finished_work_count_gives_both_findings() -> None:
    found = _task_shaped("Ship 3 new features", {"jql": "issuetype = Story AND statusCategory = Done"})
    assert [f.where for f in found] == ["shop/O1/KR1", "shop/O1/KR1"]
    assert "delivery verb 'ship'" in found[0].message and "counts finished work" in found[1].message


@given(st.sampled_from(CHINESE_DELIVERY_VERBS), st.text(max_size=30))
def test_any_title_starting_with_a_chinese_delivery_verb_is_flagged(verb: str, rest: str) -> None:
    assert delivery_verb(verb + rest) == verb


_FIRST_WORDS = {verb.split()[0] for verb in DELIVERY_VERBS}


@given(st.text(alphabet=string.ascii_letters, min_size=1, max_size=12), st.text(max_size=30))
def test_an_english_title_whose_first_word_is_no_delivery_verb_is_not_flagged_by_the_verb_rule(
    first: str, rest: str
) -> None:
    if first.lower() in _FIRST_WORDS:  # a delivery verb, or the first word of one ("roll" of "roll out")
        first += "s"
    assert delivery_verb(f"{first} {rest}") is None
