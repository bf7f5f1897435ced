"""Lint's stage-mismatch rule: revenue or scale KRs in a set whose stage is for learning."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.errors import ConfigError
from mapping.lint import LintFinding, lint
from mapping.loader import load_config_document
from mapping.stage import CHINESE_REVENUE_TERMS, LEARNING_STAGES, REVENUE_WORDS, revenue_term

STAGES = ("prototype", "early-users", "validation", "pmf", "growth", "scale")


def _config(stage: str | None, title: str, metric: dict | None = None):
    kr = {"id": "KR1", "title": title, "metric": "m", "baseline": 0, "target": 10}
    okr_set = {
        "id": "app",
        "name": "App",
        "cycle": "Q1",
        "objectives": [
            {"id": "O1", "title": "Learn", "key_results": [kr, {"id": "KR2", "title": "Later", "unmeasured": "x"}]}
        ],
        **({} if stage is None else {"stage": stage}),
    }
    document = {
        "version": 1,
        "cycles": [{"id": "Q1", "start": "2027-01-01", "end": "2027-03-31"}],
        "metrics": {"m": {"description": "weekly active", "jql": "project = APP", **(metric or {})}},
        "okr_sets": [okr_set],
    }
    return load_config_document(document)


def _mismatches(stage: str | None, title: str, metric: dict | None = None) -> list[LintFinding]:
    return [f for f in lint(_config(stage, title, metric)) if f.rule == "stage-mismatch"]


@pytest.mark.parametrize(
    "title",
    [
        "Monthly revenue from 10k to 20k",
        "ARR up to 1M",
        "MRR doubled",
        "Sales in the new market",
        "GMV of the marketplace up",
        "Market share in Germany to 5%",
        "Cost per acquisition below 20",
        "Scale to 10 regions",
        "月收入从10万到20万",
        "营收翻倍",
        "销售额增长30%",
        "扩大规模到十个城市",
        "市场份额达到5%",
        "GMV增长",
    ],
)
def test_a_revenue_or_scale_title_in_a_validation_set_is_flagged(title: str) -> None:
    [finding] = _mismatches("validation", title)
    assert finding.where == "app/O1/KR1"
    assert "its title speaks of" in finding.message
    assert "a validation set should measure learning: activation, key-feature use, benchmark customers" in (
        finding.message
    )


@pytest.mark.parametrize(
    "title",
    [
        "Activation of new sign-ups from 20% to 40%",
        "Benchmark customers using the planner weekly: 5",
        "Key-feature use: 3 exports per active team",
        "Wholesale partners interviewed",  # 'sale' inside a word is not the word
        "Escalations per week down",  # 'scale' inside a word is not the word
        "Sales-ready leads",  # 'sales' is a whole word here: flagged below
    ][:-1],
)
def test_learning_titles_are_not_flagged(title: str) -> None:
    assert _mismatches("validation", title) == []


def test_a_whole_word_next_to_punctuation_counts() -> None:
    assert revenue_term("Sales-ready leads") == "sales"
    assert revenue_term("(ARR)") == "ARR"
    assert revenue_term("market   share") == "market share"
    assert revenue_term("the share of the market") is None


@pytest.mark.parametrize("stage", STAGES)
def test_only_prototype_early_users_and_validation_sets_are_checked(stage: str) -> None:
    found = _mismatches(stage, "Monthly revenue up")
    assert bool(found) == (stage in LEARNING_STAGES)
    if found:
        assert f"a {stage} set should measure learning" in found[0].message


def test_a_set_without_a_stage_is_not_checked() -> None:
    assert _mismatches(None, "Monthly revenue up") == []


def test_the_metric_id_or_description_speaks_of_revenue() -> None:
    assert "its title speaks of 'GMV'" in _mismatches("validation", "GMV增长")[0].message
    [by_description] = _mismatches("prototype", "Teams using it", {"description": "Revenue from paying teams"})
    assert "its metric 'm' speaks of 'revenue'" in by_description.message


def test_a_sum_over_a_money_field_is_flagged_with_the_field() -> None:
    metric = {"aggregate": "sum", "value_field": "Order amount", "unit": "EUR"}
    [finding] = _mismatches("early-users", "Orders placed by pilot shops", metric)
    assert "adds up money (sum of value field 'Order amount')" in finding.message
    by_unit = {"aggregate": "sum", "value_field": "Story Points", "unit": "USD"}
    assert "unit 'USD'" in _mismatches("early-users", "Pilot deals", by_unit)[0].message
    in_yuan = {"aggregate": "sum", "value_field": "订单金额"}
    assert _mismatches("validation", "试点门店下单", in_yuan)


def test_a_mean_over_a_money_field_or_a_sum_of_points_is_not() -> None:
    assert _mismatches("validation", "Basket size", {"aggregate": "mean", "value_field": "Order amount"}) == []
    assert _mismatches("validation", "Effort", {"aggregate": "sum", "value_field": "Story Points"}) == []


def test_an_unknown_stage_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as raised:
        _config("seed", "Activation")
    [problem] = raised.value.problems
    assert problem.path == "okr_sets[0].stage"
    assert "'validation'" in problem.message and "'seed'" in problem.message


_FILLER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=20)


@given(before=_FILLER, term=st.sampled_from(REVENUE_WORDS), after=_FILLER, upper=st.booleans())
def test_any_revenue_word_as_a_whole_word_is_found(before: str, term: str, after: str, upper: bool) -> None:
    written = term.upper() if upper else term
    found = revenue_term(f"{before} {written}, {after}")
    assert found is not None and found in REVENUE_WORDS


@given(before=st.text(max_size=10), term=st.sampled_from(CHINESE_REVENUE_TERMS), after=st.text(max_size=10))
def test_any_chinese_term_is_found_anywhere(before: str, term: str, after: str) -> None:
    assert revenue_term(f"{before}{term}{after}") is not None


@given(word=st.sampled_from(REVENUE_WORDS).filter(lambda w: " " not in w), glued=st.sampled_from(["s", "x", "ing"]))
def test_a_revenue_word_glued_to_letters_is_not_the_word(word: str, glued: str) -> None:
    assert revenue_term(f"pre{word}{glued}") is None


@given(title=st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.-", max_size=40), stage=st.sampled_from(STAGES))
def test_a_finding_always_says_why_and_never_outside_learning_stages(title: str, stage: str) -> None:
    found = _mismatches(stage, title or "x")
    if stage not in LEARNING_STAGES:
        assert found == []
    for finding in found:
        assert "speaks of" in finding.message and "measure learning" in finding.message
