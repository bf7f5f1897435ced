"""When a set's rituals are due and which period a run belongs to (pure): ISO weeks across the turn of
the year, the weekly day and the day of the month, the set's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mapping.loader import load_config_document
from mapping.models import Cadence
from okr.cadence import due_text, is_due, local_date, period, set_zone
from tests.mapping.test_cadence_config import example


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 12, 28), "2026-W53"),  # a Monday: 2026 has 53 ISO weeks
        (date(2027, 1, 1), "2026-W53"),  # a Friday of ISO year 2026
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(2025, 12, 29), "2026-W01"),  # a Monday of ISO year 2026, in calendar 2025
        (date(2026, 3, 2), "2026-W10"),
    ],
)
def test_the_week_is_the_iso_year_and_week(day: date, week: str) -> None:
    assert period("weekly", day) == week


def test_the_month_is_the_calendar_month() -> None:
    assert period("monthly", date(2027, 1, 1)) == "2027-01" and period("monthly", date(2026, 12, 31)) == "2026-12"


def test_due_from_the_day_on_for_the_rest_of_the_week_or_month() -> None:
    friday = Cadence(weekly="friday", monthly=15)
    assert [is_due("weekly", friday, date(2026, 12, d)) for d in (10, 11, 12, 13, 14)] == [
        False,  # Thursday
        True,  # Friday
        True,
        True,  # Sunday: still that ISO week
        False,  # Monday: a new week, not due until Friday
    ]
    assert [is_due("monthly", friday, date(2026, 12, d)) for d in (14, 15, 31)] == [False, True, True]
    assert is_due("weekly", Cadence(), date(2026, 12, 7)) and is_due("monthly", Cadence(), date(2026, 12, 1))
    assert due_text("weekly", friday) == "on friday" and due_text("monthly", friday) == "on day 15 of the month"


def test_the_days_are_read_in_the_sets_zone_else_the_configurations() -> None:
    config = load_config_document(example({"cadence": {"timezone": "Asia/Shanghai"}}))
    late_sunday = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # already Monday 01:00 in Shanghai
    assert local_date(late_sunday, set_zone(config, config.okr_sets[0])) == date(2026, 12, 7)
    plain = load_config_document(example())
    assert local_date(late_sunday, set_zone(plain, plain.okr_sets[0])) == date(2026, 12, 6)
