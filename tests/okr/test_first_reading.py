"""An unmeasured KR's first_reading_due: flagged reading_overdue once the date has passed, said in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mapping.errors import ConfigError
from mapping.loader import load_config_document
from okr.evaluate import evaluate_report, evaluation_input
from okr.report import KeyResultReport, Report
from okrsync.admin.views import kr_row
from okrsync.report import render_evaluation
from publish.confluence.formatting import flag_status
from publish.confluence.okr_page import PageContext, okr_set_page


def _document(timezone: str = "UTC", **survey: object) -> dict:
    return {
        "version": 1,
        "timezone": timezone,
        "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "metrics": {"sev1": {"description": "SEV1s", "source": "jira", "jql": "project = OPS"}},
        "okr_sets": [
            {
                "id": "shop",
                "name": "Shop",
                "cycle": "Q4",
                "objectives": [
                    {
                        "id": "O1",
                        "title": "Dependable checkout",
                        "key_results": [
                            {"id": "KR1", "title": "SEV1s down", "metric": "sev1", "baseline": 6, "target": 2},
                            {"id": "KR2", "title": "Repeat purchases", **survey},
                        ],
                    }
                ],
            }
        ],
    }


def _config(timezone: str = "UTC"):
    return load_config_document(_document(timezone, unmeasured="no survey yet", first_reading_due="2026-11-01"))


def _survey(report: Report) -> KeyResultReport:
    found = report.find("shop", "KR2")
    assert found is not None
    return found


def _evaluated(at: datetime, timezone: str = "UTC") -> Report:
    config = _config(timezone)
    return evaluate_report(config, evaluation_input(at, config, []))


@pytest.mark.parametrize(
    ("at", "overdue"),
    [
        (datetime(2026, 10, 20, 12, tzinfo=UTC), False),
        (datetime(2026, 11, 1, 0, tzinfo=UTC), False),
        (datetime(2026, 11, 1, 23, 59, tzinfo=UTC), False),  # due on 1 Nov: still in time that day
        (datetime(2026, 11, 2, 0, tzinfo=UTC), True),
        (datetime(2026, 12, 15, 12, tzinfo=UTC), True),
    ],
)
def test_an_unmeasured_kr_is_reading_overdue_only_after_its_due_date(at: datetime, overdue: bool) -> None:
    result = _survey(_evaluated(at))
    assert ("reading_overdue" in result.flags) is overdue
    assert result.health == "not_measured" and result.score is None


def test_the_due_date_is_read_in_the_configured_zone() -> None:
    at = datetime(2026, 11, 1, 17, tzinfo=UTC)  # 2 Nov, 01:00 in Shanghai
    assert "reading_overdue" not in _survey(_evaluated(at)).flags
    assert "reading_overdue" in _survey(_evaluated(at, "Asia/Shanghai")).flags


def test_an_unmeasured_kr_without_a_due_date_is_never_overdue() -> None:
    config = load_config_document(_document(unmeasured="no survey yet"))
    report = evaluate_report(config, evaluation_input(datetime(2026, 12, 30, tzinfo=UTC), config, []))
    assert _survey(report).flags == ()


def test_a_due_date_without_an_unmeasured_reason_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config_document(_document(first_reading_due="2026-11-01"), "okrs.yaml")
    (problem,) = [str(p) for p in raised.value.problems]
    assert problem.startswith("okr_sets[0].objectives[0].key_results[1]: ")
    assert "first_reading_due" in problem and "'unmeasured' reason" in problem


def test_an_incremental_evaluation_flags_a_reading_that_fell_due_since() -> None:
    config = _config()
    before = evaluate_report(config, evaluation_input(datetime(2026, 10, 20, tzinfo=UTC), config, []))
    later = evaluation_input(datetime(2026, 11, 5, tzinfo=UTC), config, [])
    again = evaluate_report(config, later, only={("shop", "KR2")}, previous=before, previous_config=config)
    assert "reading_overdue" not in _survey(before).flags
    assert "reading_overdue" in _survey(again).flags
    # The touched KR reads as a full evaluation reads it; the untouched ones are carried as they were
    # (a cap's forecast moves with the expected progress: the scheduled recomputation brings it up to date).
    assert _survey(again) == _survey(evaluate_report(config, later))


def test_the_flag_is_said_in_words_where_results_are_shown() -> None:
    config = _config()
    at = datetime(2026, 11, 5, tzinfo=UTC)
    report = _evaluated(at)
    words = "first reading was due on 1 Nov 2026"
    assert words in render_evaluation(report, config)
    assert "reading_overdue" in render_evaluation(report)
    okr_set = config.okr_sets[0]
    assert kr_row(okr_set, okr_set.objectives[0].key_results[1], _survey(report))["reading_due"] == words
    assert kr_row(okr_set, okr_set.objectives[0].key_results[0], report.find("shop", "KR1"))["reading_due"] is None
    set_report = report.okr_set("shop")
    assert set_report is not None
    page = okr_set_page(config, okr_set, set_report, PageContext(at=at, tz=UTC))
    markup = dict(page.regions)
    assert f"no survey yet ({words})" in markup["objective-O1"] and f"no survey yet ({words})" in markup["notes"]
    assert flag_status("reading_overdue").title == "READING OVERDUE"
    assert "READING OVERDUE" in markup["objective-O1"]
