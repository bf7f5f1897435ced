"""decide_by and kill_below on a KR: what the configuration accepts and its errors, with document paths."""

from __future__ import annotations

from datetime import date

import pytest

from mapping.errors import ConfigError
from mapping.loader import load_config_document


def _load(**kr_fields):
    kr = {"id": "KR1", "title": "Benchmark customers active weekly", "metric": "m", "baseline": 0, "target": 5}
    kr.update(kr_fields)
    kr = {k: v for k, v in kr.items() if v is not None}
    document = {
        "cycles": [{"id": "Q1", "start": "2027-01-01", "end": "2027-03-31"}],
        "metrics": {"m": {"description": "m", "source": "push"}},
        "okr_sets": [
            {
                "id": "app",
                "name": "App",
                "stage": "validation",
                "cycle": "Q1",
                "objectives": [{"id": "O1", "title": "Learn", "key_results": [kr]}],
            }
        ],
    }
    return load_config_document(document)


def _problems(**kr_fields) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        _load(**kr_fields)
    return [str(p) for p in raised.value.problems]


def test_both_are_read() -> None:
    kr = _load(decide_by="2027-01-15", kill_below=3).okr_sets[0].objectives[0].key_results[0]
    assert (kr.decide_by, kr.kill_below) == (date(2027, 1, 15), 3)


def test_decide_by_alone_is_allowed() -> None:
    kr = _load(decide_by="2027-01-15").okr_sets[0].objectives[0].key_results[0]
    assert (kr.decide_by, kr.kill_below) == (date(2027, 1, 15), None)


def test_kill_below_needs_a_metric() -> None:
    [problem] = _problems(metric=None, baseline=None, target=None, unmeasured="no data yet", kill_below=3)
    assert problem.startswith("okr_sets[0].objectives[0].key_results[0].kill_below: kill_below is compared with")
    assert "give the KR a metric" in problem


def test_kill_below_needs_decide_by() -> None:
    [problem] = _problems(kill_below=3)
    assert problem == (
        "okr_sets[0].objectives[0].key_results[0].kill_below: kill_below needs decide_by, the date the "
        "keep-or-stop decision is due (such as 2027-01-15) (got 3)"
    )


def test_a_bad_date_or_number_names_the_key() -> None:
    problems = _problems(decide_by="next month", kill_below="lots")
    assert problems[0].startswith("okr_sets[0].objectives[0].key_results[0].decide_by: a date such as 2026-10-01")
    assert problems[1].startswith("okr_sets[0].objectives[0].key_results[0].kill_below: ")
    assert len(problems) == 2


def test_kill_below_must_be_finite() -> None:
    [problem] = _problems(decide_by="2027-01-15", kill_below=float("inf"))
    assert "kill_below: a finite number" in problem
