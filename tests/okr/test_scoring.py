"""Every formula of docs/computation.md pinned on hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mapping.models import Cycle, HealthBands
from okr import aggregates, scoring
from okr.timeframe import cycle_bounds, expected_progress, window_bounds

BANDS = HealthBands()
Q4 = Cycle(id="Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))
UTC = UTC


@pytest.mark.parametrize(
    ("current", "baseline", "target", "expected"),
    [
        (4, 2, 10, 0.25),  # increasing
        (4, 6, 2, 0.5),  # decreasing: fewer incidents is progress
        (8, 6, 2, -0.5),  # regression is negative
        (1, 6, 2, 1.25),  # exceeded
        (12, 2, 10, 1.25),
        (None, 6, 2, None),  # no value
        (3, 5, 5, None),  # baseline equals target: cannot be computed
    ],
)
def test_progress(current, baseline, target, expected) -> None:
    assert scoring.progress(current, baseline, target) == expected


@pytest.mark.parametrize(
    ("raw", "score"), [(-0.5, 0.0), (0.0, 0.0), (0.333333, 0.33), (0.666, 0.67), (1.25, 1.0), (None, None)]
)
def test_score_is_clamped_and_rounded_to_two_decimals(raw, score) -> None:
    assert scoring.score(raw) == score


@pytest.mark.parametrize(
    ("raw", "expected", "health"),
    [
        (None, 0.5, "not_measured"),
        (1.0, 0.5, "done"),
        (1.3, 0.9, "done"),
        (0.5, 0.5, "on_track"),
        (0.4, 0.5, "on_track"),  # gap exactly 0.10
        (0.39, 0.5, "at_risk"),  # gap 0.11
        (0.25, 0.5, "at_risk"),  # gap exactly 0.25
        (0.24, 0.5, "off_track"),
        (-0.2, 0.1, "off_track"),
        (0.9, 0.2, "on_track"),  # ahead of plan
    ],
)
def test_health_bands_at_their_edges(raw, expected, health) -> None:
    assert scoring.health(raw, expected, BANDS) == health


def test_health_bands_are_configurable() -> None:
    strict = HealthBands(on_track=0.0, at_risk=0.05)
    assert scoring.health(0.49, 0.5, strict) == "at_risk"
    assert scoring.health(0.44, 0.5, strict) == "off_track"


def test_expected_progress_runs_from_start_midnight_to_end_midnight() -> None:
    start, end = cycle_bounds(Q4, UTC)
    assert start == datetime(2026, 10, 1, tzinfo=UTC) and end == datetime(2027, 1, 1, tzinfo=UTC)
    assert expected_progress(Q4, start, UTC) == 0.0
    assert expected_progress(Q4, end, UTC) == 1.0
    assert expected_progress(Q4, start + (end - start) / 2, UTC) == 0.5
    assert expected_progress(Q4, datetime(2026, 9, 1, tzinfo=UTC), UTC) == 0.0
    assert expected_progress(Q4, datetime(2027, 3, 1, tzinfo=UTC), UTC) == 1.0


def test_cycle_boundaries_follow_the_configured_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    start, end = cycle_bounds(Q4, shanghai)
    assert start.astimezone(UTC) == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_cycle_window_ends_at_the_evaluation_time_or_cycle_end() -> None:
    at = datetime(2026, 11, 15, 12, tzinfo=UTC)
    assert window_bounds("cycle", Q4, at, UTC) == (datetime(2026, 10, 1, tzinfo=UTC), at)
    late = datetime(2027, 2, 1, tzinfo=UTC)
    assert window_bounds("cycle", Q4, late, UTC)[1] == datetime(2027, 1, 1, tzinfo=UTC)


def test_rolling_window_is_n_days_ending_at_the_evaluation_time() -> None:
    at = datetime(2026, 11, 15, 12, tzinfo=UTC)
    assert window_bounds("30d", Q4, at, UTC) == (at - timedelta(days=30), at)


def test_p90_uses_the_nearest_rank() -> None:
    assert aggregates.p90([2, 3, 5, 8, 12, 20]) == 20  # ⌈5.4⌉ = 6th
    assert aggregates.p90(list(range(1, 11))) == 9  # ⌈9⌉ = 9th
    assert aggregates.p90(list(range(1, 12))) == 10  # ⌈9.9⌉ = 10th
    assert aggregates.p90([7]) == 7
    assert aggregates.p90([]) is None


def test_median_mean_sum_and_ratio() -> None:
    assert aggregates.median([10, 6, 8]) == 8
    assert aggregates.median([1, 2, 3, 10]) == 2.5
    assert aggregates.mean([1, 2, 6]) == 3
    assert aggregates.total([]) == 0
    assert aggregates.ratio_percent(3, 9) == pytest.approx(33.3333, abs=1e-4)
    assert aggregates.ratio_percent(0, 0) is None  # empty denominator → no value


@pytest.mark.parametrize(
    ("delivered", "raw", "flag"),
    [
        (1.0, 0.5, True),
        (0.8, 0.3, True),
        (0.8, 0.31, False),
        (0.79, 0.0, False),
        (1.0, None, False),
        (None, 0.0, False),
    ],
)
def test_output_without_outcome(delivered, raw, flag) -> None:
    assert scoring.output_without_outcome(delivered, raw) is flag


def test_delivery_is_done_over_total() -> None:
    assert scoring.delivery(3, 4) == 0.75
    assert scoring.delivery(0, 0) is None


def test_objective_score_is_the_weighted_mean_of_measured_krs_only() -> None:
    results = [scoring.WeightedScore(0.5, 1), scoring.WeightedScore(1.0, 3), scoring.WeightedScore(None, 1)]
    assert scoring.objective_score(results) == 0.88  # (0.5 + 3.0) / 4 = 0.875
    assert scoring.objective_score([scoring.WeightedScore(None, 1)]) is None
