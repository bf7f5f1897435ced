"""A history query's rows as readings (pure): each graded as its KR would have been at the row's instant,
a KPI's rows with their state, nothing outside the KR's cycle or after now."""

from __future__ import annotations

from datetime import UTC, datetime

from mapping.loader import load_config_text
from okr.keep import held_share
from okr.row_readings import ROW, is_row, kpi_row_readings, kr_row_readings

CONFIG = """
version: 1
timezone: UTC
cycles:
  - {id: q4, start: 2026-10-01, end: 2026-12-30}
metrics:
  pay: {description: Payment success, source: sql, connection: dwh, query: "SELECT day, rate FROM orders"}
okr_sets:
  - id: shop
    name: Shop
    cycle: q4
    kpis:
      - {metric: pay, keep: {above: 97}, warn: 0.5}
    objectives:
      - id: O1
        title: Payments work
        key_results:
          - {id: KR1, title: Payment success from 90 to 99, metric: pay, baseline: 90, target: 99}
          - {id: KR2, title: Payment success stays at or above 97, metric: pay, keep: {above: 97}}
"""
ROWS = [
    ("2026-09-30T00:00:00+00:00", 91.0),  # before the cycle
    ("2026-10-01T00:00:00+00:00", 92.7),
    ("2026-11-15T00:00:00+00:00", 96.0),
    ("2026-11-16T00:00:00+00:00", 97.3),
    ("2026-12-10T00:00:00+00:00", 99.0),  # after now
]
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _krs():  # type: ignore[no-untyped-def]
    config = load_config_text(CONFIG)
    okr_set = config.okr_sets[0]
    return config, okr_set, okr_set.objectives[0].key_results


def test_a_level_krs_rows_are_graded_against_what_was_expected_by_their_day() -> None:
    config, okr_set, (level, _) = _krs()
    readings = kr_row_readings(config, okr_set, level, ROWS, NOW)
    assert [(r.at[:10], r.value, r.progress) for r in readings] == [
        ("2026-10-01", 92.7, 0.3),
        ("2026-11-15", 96.0, 0.6667),
        ("2026-11-16", 97.3, 0.8111),
    ]
    # on the cycle's first day nothing was expected yet; by mid-November about half of it
    assert readings[0].health == "on_track" and readings[1].health == "on_track"
    assert all(is_row(r) and r.trigger == {"kind": ROW, "metric": "pay"} and r.count == 1 for r in readings)


def test_a_keep_krs_rows_hold_or_not_and_its_days_held_read_them() -> None:
    config, okr_set, (_, keep) = _krs()
    readings = kr_row_readings(config, okr_set, keep, ROWS, NOW)
    assert [(r.health, r.score) for r in readings] == [("off_track", 0.0), ("off_track", 0.0), ("on_track", 1.0)]
    assert keep.keep is not None
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
    assert held_share(readings, keep.keep, start, end, UTC) == 1 / 3


def test_a_kpis_rows_carry_their_state_up_to_now() -> None:
    _, okr_set, _ = _krs()
    points = kpi_row_readings(okr_set.kpis[0], ROWS, NOW)
    assert [(p["at"][:10], p["s"]) for p in points] == [
        ("2026-09-30", "breached"),
        ("2026-10-01", "breached"),
        ("2026-11-15", "breached"),
        ("2026-11-16", "warning"),
    ]
    assert {p["src"] for p in points} == {ROW}
