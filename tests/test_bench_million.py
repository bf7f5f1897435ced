"""bench/million.py's site and OKRs: the configuration it applies is valid, its filters are distinct, and
the burst's expected values are each label's count of bugs."""

from __future__ import annotations

import json

from bench.million import HOT_BUGS, HOT_KRS, config, expected_values, hot_label, query, scenario
from mapping.loader import load_config_document


def test_the_configuration_holds_every_kr_over_distinct_filters() -> None:
    loaded = load_config_document(json.loads(config(2000, 200)))
    results = [kr for s in loaded.okr_sets for o in s.objectives for kr in o.key_results]
    assert len(results) == 2000
    jql = {loaded.metrics[kr.metric].jql for kr in results if kr.metric}
    assert len(jql) == 200 + HOT_KRS
    assert len({query(n) for n in range(500)}) == 500


def test_the_issues_are_shared_among_the_projects() -> None:
    generated = scenario(1_000_003)["generate"]
    assert sum(entry["count"] for entry in generated) == 1_000_003 + HOT_BUGS


def test_the_expected_values_count_each_bugs_last_label() -> None:
    values = expected_values(1 + 2000)
    assert sum(values.values()) == HOT_BUGS
    last = {2 + n % HOT_BUGS: hot_label(n) for n in range(2001)}
    assert values["HOT3"] == sum(1 for label in last.values() if label == "hot3")
