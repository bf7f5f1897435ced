"""A validation KR's decision in words: the Confluence KR row, the admin pages, the Jira property, the text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.loader import load_config_document
from mapping.measurements import Measurement
from okr.decision import Decision
from okr.evaluate import evaluate_report, evaluation_input
from okr.report import KeyResultReport, Report
from okrsync.admin.views import kr_row
from okrsync.report import render_evaluation
from publish.confluence.okr_page import PageContext, okr_set_page
from publish.decision import decision_words
from publish.jira import kr_statuses

DUE_WORDS = "decide by 15 Jan 2027: keep going if ≥ 30 %, else stop (now 22 %)"


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
                    "objectives": [
                        {
                            "id": "O1",
                            "title": "Learn",
                            "key_results": [kr, {"id": "KR2", "title": "Interviews", "unmeasured": "later"}],
                        }
                    ],
                }
            ],
        }
    )


AT = datetime(2027, 1, 10, 12, tzinfo=UTC)


def _report(config, at: datetime = AT, value: float = 22) -> Report:
    pushed = [Measurement(metric="activation", value=value, at=datetime(2027, 1, 2, tzinfo=UTC))]
    return evaluate_report(config, evaluation_input(at, config, [], pushed))


def _kr(current: float | None, state: str, kill_below: float | None = 30) -> KeyResultReport:
    return KeyResultReport(
        "KR1", "m", "v1", current, 10, 40, "level", None, None, None, "on_track", (), None, "local", 1,
        decision=Decision(date(2027, 1, 15), kill_below, state),  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("current", "state", "kill_below", "words"),
    [
        (22, "due", 30, DUE_WORDS),
        (22, "pending", 30, DUE_WORDS),
        (None, "due", 30, "decide by 15 Jan 2027: keep going if ≥ 30 %, else stop (not measured yet)"),
        (22, "kill", 30, "decision was due on 15 Jan 2027: stop, 22 % is below 30 %"),
        (30, "keep", 30, "decision was due on 15 Jan 2027: keep going, 30 % reached 30 %"),
        (None, "overdue", 30, "decision was due on 15 Jan 2027: keep going if ≥ 30 %, else stop (not measured yet)"),
        (22, "overdue", None, "decision was due on 15 Jan 2027: keep going or stop (now 22 %)"),
        (22, "due", None, "decide by 15 Jan 2027: keep going or stop (now 22 %)"),
    ],
)
def test_the_words_of_each_state(current: float | None, state: str, kill_below: float | None, words: str) -> None:
    assert decision_words(_kr(current, state, kill_below), "%") == words


def test_without_a_unit_the_numbers_stand_alone() -> None:
    assert decision_words(_kr(22, "due")) == "decide by 15 Jan 2027: keep going if ≥ 30, else stop (now 22)"


@given(
    current=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    kill_below=st.none() | st.floats(min_value=-1e15, max_value=1e15),
    state=st.sampled_from(["pending", "due", "overdue", "kill", "keep"]),
)
def test_words_never_fail_and_name_the_date(current: float | None, kill_below: float | None, state: str) -> None:
    words = decision_words(_kr(current, state, kill_below), "%")
    assert words is not None and "15 Jan 2027" in words


def test_the_confluence_kr_row_shows_the_decision_due() -> None:
    config = _config(decide_by="2027-01-15", kill_below=30)
    report = _report(config)
    set_report = report.okr_set("app")
    assert set_report is not None
    page = okr_set_page(config, config.okr_sets[0], set_report, PageContext(at=AT, tz=UTC))
    row = dict(page.regions)["objective-O1"]
    assert f"<strong>Decision:</strong> {DUE_WORDS}" in row
    assert "DECISION DUE" in row


def test_a_page_without_decisions_says_nothing_of_them() -> None:
    config = _config()
    set_report = _report(config).okr_set("app")
    assert set_report is not None
    page = okr_set_page(config, config.okr_sets[0], set_report, PageContext(at=AT, tz=UTC))
    assert "Decision" not in dict(page.regions)["objective-O1"]


def test_the_admin_row_and_the_jira_property_carry_it() -> None:
    config = _config(decide_by="2027-01-15", kill_below=30)
    report = _report(config)
    okr_set = config.okr_sets[0]
    row = kr_row(okr_set, okr_set.objectives[0].key_results[0], report.find("app", "KR1"), report.okr_set("app"))
    assert row["decision"] == "decide by 15 Jan 2027: keep going if ≥ 30, else stop (now 22)"
    assert kr_row(okr_set, okr_set.objectives[0].key_results[1], report.find("app", "KR2"))["decision"] is None
    statuses = kr_statuses(config, report)
    assert statuses[("app", "KR1")]["decision"] == {
        "due": "2027-01-15",
        "kill_below": 30,
        "state": "due",
        "words": DUE_WORDS,
    }
    assert "decision" not in statuses[("app", "KR2")]


def test_the_evaluate_text_says_it() -> None:
    config = _config(decide_by="2027-01-15", kill_below=30)
    text = render_evaluation(_report(config, datetime(2027, 1, 20, tzinfo=UTC), 35), config)
    assert "decision was due on 15 Jan 2027: keep going, 35 % reached 30 %" in text
    assert DUE_WORDS in render_evaluation(_report(config), config)
    assert "decision_due" in render_evaluation(_report(config), config)
