"""At its cycle's close a keep KR is graded on the share of its recorded days on which the band held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mapping.models import Keep
from okr.history import Reading
from okr.keep import graded_by_days, held_share
from okr.report import KeyResultReport, ObjectiveReport, Report, SetReport

START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


def _reading(at: datetime, value: float | None) -> Reading:
    return Reading(at.isoformat(), value, None, None, None, "on_track", (), None, 1, None, {})


def test_the_share_of_days_on_which_every_reading_held() -> None:
    day = datetime(2026, 11, 1, 9, tzinfo=UTC)
    readings = [
        _reading(day, 98),
        _reading(day + timedelta(hours=3), 96),  # a breach the same day: the day did not hold
        _reading(day + timedelta(days=1), 97),
        _reading(day + timedelta(days=2), 99),
        _reading(day + timedelta(days=3), None),  # no value: not a recorded day
        _reading(datetime(2026, 9, 30, tzinfo=UTC), 10),  # before the cycle
    ]
    assert held_share(readings, Keep(above=97), START, END, UTC) == 2 / 3
    assert held_share(readings, Keep(below=100), START, END, UTC) == 1.0
    assert held_share([], Keep(above=97), START, END, UTC) is None


def _report(kind: str) -> Report:
    kr = KeyResultReport(
        "O1.KR2",
        "pay",
        "v-1",
        97.4,
        None,
        None,
        kind,
        1.0,
        None,
        1.0,
        "done",
        (),
        None,
        "local",
        1,  # type: ignore[arg-type]
    )
    objective = ObjectiveReport("O1", 1.0, "done", 1, 1, (kr,))
    return Report("2027-01-01T00:00:00+00:00", (SetReport("shop", 1.0, True, (objective,)),), (), ())


def test_a_keep_is_graded_on_its_share_and_done_only_when_it_held_every_day() -> None:
    [entry] = graded_by_days(_report("keep"), {("shop", "O1.KR2"): 0.9}).key_results()
    assert (entry.kr.progress, entry.kr.score, entry.kr.health) == (0.9, 0.9, "missed")
    [whole] = graded_by_days(_report("keep"), {("shop", "O1.KR2"): 1.0}).key_results()
    assert (whole.kr.score, whole.kr.health) == (1.0, "done")
    [level] = graded_by_days(_report("level"), {("shop", "O1.KR2"): 0.5}).key_results()
    assert level.kr.score == 1.0  # only keeps
