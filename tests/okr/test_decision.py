"""A validation KR's keep-or-stop decision: its state by the day and the value, the flag, the report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.loader import load_config_document
from mapping.measurements import Measurement
from okr.decision import DUE_WITHIN_DAYS, Decision, decision_state
from okr.evaluate import evaluate_report, evaluation_input
from okr.report import KeyResultReport, Report

DUE = date(2027, 1, 15)


def _config(**decision: object):
    kr = {"id": "KR1", "title": "Activation", "metric": "activation", "baseline": 10, "target": 40, **decision}
    return load_config_document(
        {
            "cycles": [{"id": "Q1", "start": "2027-01-01", "end": "2027-03-31"}],
            "metrics": {"activation": {"description": "activated share", "source": "push", "unit": "%"}},
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
    )


def _result(at: datetime, value: float | None = 22, **decision: object) -> KeyResultReport:
    config = _config(**({"decide_by": "2027-01-15", "kill_below": 30} | decision))
    reading = Measurement(metric="activation", value=value or 0, at=datetime(2027, 1, 2, tzinfo=UTC))
    pushed = [] if value is None else [reading]
    found = evaluate_report(config, evaluation_input(at, config, [], pushed)).find("app", "KR1")
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("today", "current", "state"),
    [
        (date(2026, 12, 31), 22, "pending"),  # 15 days before
        (date(2027, 1, 1), 22, "due"),  # 14 days before
        (DUE, 22, "due"),  # the day itself
        (date(2027, 1, 16), 22, "kill"),
        (date(2027, 1, 16), 30, "keep"),  # at kill_below: keep
        (date(2027, 1, 16), 31, "keep"),
        (date(2027, 1, 16), None, "overdue"),
    ],
)
def test_the_states(today: date, current: float | None, state: str) -> None:
    assert decision_state(DUE, 30, current, today) == state


def test_without_kill_below_a_passed_decision_is_overdue() -> None:
    assert decision_state(DUE, None, 50, date(2027, 2, 1)) == "overdue"


@given(
    offset=st.integers(min_value=-400, max_value=400),
    kill_below=st.floats(min_value=-1e6, max_value=1e6),
    current=st.none() | st.floats(min_value=-1e6, max_value=1e6),
)
def test_the_state_follows_the_day_and_the_value(offset: int, kill_below: float, current: float | None) -> None:
    today = DUE + timedelta(days=offset)
    state = decision_state(DUE, kill_below, current, today)
    if offset < -DUE_WITHIN_DAYS:
        assert state == "pending"
    elif offset <= 0:
        assert state == "due"
    elif current is None:
        assert state == "overdue"
    else:
        assert state == ("kill" if current < kill_below else "keep")


def test_a_due_decision_is_on_the_result_and_flagged() -> None:
    result = _result(datetime(2027, 1, 10, 12, tzinfo=UTC))
    assert result.decision == Decision(DUE, 30, "due")
    assert "decision_due" in result.flags
    assert result.to_dict()["decision"] == {"due": "2027-01-15", "kill_below": 30, "state": "due"}


def test_past_the_date_the_value_decides_and_the_flag_goes() -> None:
    low = _result(datetime(2027, 1, 16, tzinfo=UTC), 22)
    high = _result(datetime(2027, 1, 16, tzinfo=UTC), 35)
    unread = _result(datetime(2027, 1, 16, tzinfo=UTC), None)
    assert (low.decision, high.decision, unread.decision) == (
        Decision(DUE, 30, "kill"),
        Decision(DUE, 30, "keep"),
        Decision(DUE, 30, "overdue"),
    )
    assert not any("decision_due" in r.flags for r in (low, high, unread))


def test_a_kr_without_decide_by_has_no_decision() -> None:
    config = _config()
    result = evaluate_report(config, evaluation_input(datetime(2027, 1, 10, tzinfo=UTC), config, [])).find("app", "KR1")
    assert result is not None and result.decision is None
    assert "decision" not in result.to_dict()


def test_the_report_round_trips_and_an_older_one_without_decisions_is_read() -> None:
    config = _config(decide_by="2027-01-15")
    report = evaluate_report(config, evaluation_input(datetime(2027, 1, 10, tzinfo=UTC), config, []))
    document = report.to_dict()
    assert Report.from_dict(document) == report
    kr = document["okr_sets"][0]["objectives"][0]["key_results"][0]
    assert kr["decision"] == {"due": "2027-01-15", "kill_below": None, "state": "due"}
    del kr["decision"]
    assert Report.from_dict(document).find("app", "KR1").decision is None  # type: ignore[union-attr]


def test_an_incremental_evaluation_reads_the_decision_of_today() -> None:
    config = _config(decide_by="2027-01-15", kill_below=30)
    before = evaluate_report(config, evaluation_input(datetime(2026, 12, 20, tzinfo=UTC), config, []))
    after = evaluate_report(
        config, evaluation_input(datetime(2027, 1, 10, tzinfo=UTC), config, []), {("app", "other")}, before
    )
    assert after.find("app", "KR1").decision.state == "due"  # type: ignore[union-attr]
