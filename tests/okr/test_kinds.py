"""KR kinds: level, accumulate and cap, from the metric or the KR's ``kind:``; caps read on their forecast."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.errors import ConfigError
from mapping.loader import load_config_document, load_config_file
from mapping.models import HealthBands, KeyResult, Metric
from okr.evaluate import evaluate_report, evaluation_input
from okr.kinds import grade, kr_kind
from okr.report import Report
from okr.scoring import progress
from okrsync.admin.views import kr_row
from okrsync.offline import read_field_names, read_issues, read_measurements
from okrsync.report import render_evaluation
from publish.confluence.okr_page import PageContext, okr_set_page
from publish.jira import kr_statuses

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BANDS = HealthBands()
KR_PATH = "okr_sets[0].objectives[0].key_results[0]"


def _kr(**fields: Any) -> KeyResult:
    return KeyResult.model_validate({"id": "KR1", "title": "k", "metric": "m", **fields})


def _metric(**fields: Any) -> Metric:
    return Metric.model_validate({"jql": "project = OPS", **fields})


def _config(kr: dict[str, Any], metric: dict[str, Any] | None = None) -> Any:
    return load_config_document(
        {
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "metrics": {"m": {"jql": "project = OPS", **(metric or {})}},
            "okr_sets": [
                {
                    "id": "s",
                    "name": "S",
                    "cycle": "Q4",
                    "objectives": [
                        {"id": "O1", "title": "t", "key_results": [{"id": "KR1", "title": "k", "metric": "m", **kr}]}
                    ],
                }
            ],
        }
    )


# --- which kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "baseline", "target", "kind"),
    [
        ({"aggregate": "count", "window": "cycle"}, 0, 10, "accumulate"),
        ({"aggregate": "count", "window": "cycle"}, 6, 2, "cap"),
        ({"aggregate": "count"}, 6, 2, "cap"),  # the window is the cycle by default
        ({"aggregate": "sum", "value_field": "Story Points", "window": "cycle"}, 0, 80, "accumulate"),
        ({"aggregate": "sum", "value_field": "Story Points", "window": "cycle"}, 50, 20, "cap"),
        ({"aggregate": "count", "window": "30d"}, 6, 2, "level"),
        ({"aggregate": "sum", "value_field": "Story Points", "window": "14d"}, 0, 80, "level"),
        ({"aggregate": "ratio", "numerator_jql": "labels = x"}, 40, 15, "level"),
        ({"aggregate": "mean", "value_field": "Story Points"}, 8, 5, "level"),
        ({"aggregate": "median", "value_field": "Story Points"}, 8, 5, "level"),
        ({"aggregate": "p90", "value_field": "Story Points"}, 8, 5, "level"),
        ({"aggregate": "duration_median", "duration": {"from": "created", "to": "resolutiondate"}}, 12, 4, "level"),
        ({"aggregate": "duration_p90", "duration": {"from": "created", "to": "resolutiondate"}}, 12, 4, "level"),
        ({"source": "push", "jql": None}, 93, 97, "level"),
        ({"aggregate": "count"}, 5, 5, "level"),
    ],
)
def test_the_kind_follows_from_the_metric(metric: dict[str, Any], baseline: float, target: float, kind: str) -> None:
    assert kr_kind(_kr(baseline=baseline, target=target), _metric(**metric)) == kind


def test_a_problems_metric_and_a_kr_without_a_metric_are_levels() -> None:
    problems = Metric.model_validate({"source": "problems", "program": "p", "measure": "problems_in_window"})
    assert kr_kind(_kr(baseline=10, target=2), problems) == "level"
    assert kr_kind(KeyResult.model_validate({"id": "KR1", "title": "k", "unmeasured": "no data yet"}), None) == "level"


def test_an_explicit_kind_wins() -> None:
    count = _metric(aggregate="count")
    assert kr_kind(_kr(baseline=6, target=2, kind="level"), count) == "level"
    assert kr_kind(_kr(baseline=50, target=20, kind="cap"), _metric(aggregate="count", window="30d")) == "cap"


def test_kind_keep_without_its_band_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        _config({"baseline": 99, "target": 99.5, "kind": "keep"})
    [problem] = caught.value.problems
    assert problem.path == KR_PATH
    assert "kind: keep needs the band to hold: keep: {above: X} or keep: {below: X}" in problem.message


def test_an_unknown_kind_is_refused_with_its_path() -> None:
    with pytest.raises(ConfigError) as caught:
        _config({"baseline": 0, "target": 10, "kind": "budget"})
    assert [p.path for p in caught.value.problems] == [f"{KR_PATH}.kind"]


@pytest.mark.parametrize(
    ("kind", "baseline", "target", "words"),
    [
        ("cap", 2, 6, "kind: cap is a most-allowed count, so its target must be below its baseline"),
        ("accumulate", 10, 4, "kind: accumulate is a count that should grow, so its target must be above"),
    ],
)
def test_a_kind_that_contradicts_the_numbers_is_refused(kind: str, baseline: float, target: float, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _config({"baseline": baseline, "target": target, "kind": kind})
    [problem] = caught.value.problems
    assert problem.path == KR_PATH
    assert words in problem.message and f"baseline {baseline}, target {target}" in problem.message


def test_kinds_that_fit_the_numbers_load() -> None:
    assert _config({"baseline": 6, "target": 2, "kind": "cap"}).okr_sets[0].objectives[0].key_results[0].kind == "cap"
    assert _config({"baseline": 0, "target": 9, "kind": "accumulate"}) is not None
    assert _config({"baseline": 6, "target": 2, "kind": "level"}) is not None


# --- grades -------------------------------------------------------------------------------------


def test_level_and_accumulate_keep_the_plain_formula() -> None:
    for kind in ("level", "accumulate"):
        graded = grade(kind, 5, 0, 10, 0.3, False, BANDS)  # type: ignore[arg-type]
        assert (graded.progress, graded.score, graded.health, graded.forecast) == (0.5, 0.5, "on_track", None)
        assert grade(kind, 10, 0, 10, 0.3, False, BANDS).health == "done"  # type: ignore[arg-type]


def test_a_cap_is_read_on_its_forecast() -> None:
    # 1 of 2 allowed used with a quarter of the cycle gone: 1 + 0.75 × 2 = 2.5 → (2.5 − 6) / (2 − 6)
    graded = grade("cap", 1, 6, 2, 0.25, False, BANDS)
    assert (graded.forecast, graded.progress, graded.score) == (2.5, 0.875, 0.88)
    assert not graded.target_missed


@pytest.mark.parametrize(
    ("current", "expected", "health"),
    [
        (1, 0.5, "on_track"),  # gap 0.5 − 0.5 = 0
        (1.2, 0.5, "on_track"),  # gap 0.6 − 0.5 = 0.1, the band's edge
        (1.5, 0.5, "at_risk"),  # gap 0.25
        (1.6, 0.5, "off_track"),  # gap 0.3
        (2, 0.5, "off_track"),  # gap 0.5: all of the allowance gone halfway through
        (0, 0.01, "on_track"),
    ],
)
def test_a_cap_within_its_target_is_graded_by_the_allowance_used(current: float, expected: float, health: str) -> None:
    assert grade("cap", current, 6, 2, expected, False, BANDS).health == health


def test_the_cap_bands_are_the_configured_ones() -> None:
    assert grade("cap", 1.5, 6, 2, 0.5, False, HealthBands(on_track=0.3, at_risk=0.4)).health == "on_track"


def test_a_cap_beyond_its_target_is_missed_and_off_track() -> None:
    graded = grade("cap", 3, 6, 2, 0.1, False, BANDS)
    assert (graded.target_missed, graded.health) == (True, "off_track")


def test_a_cap_of_nothing() -> None:
    clean = grade("cap", 0, 3, 0, 0.4, False, BANDS)  # gap = −e
    assert (clean.health, clean.target_missed, clean.forecast) == ("on_track", False, 0)
    broken = grade("cap", 1, 3, 0, 0.4, False, BANDS)
    assert (broken.health, broken.target_missed) == ("off_track", True)


def test_a_cap_without_a_value_is_not_measured() -> None:
    graded = grade("cap", None, 6, 2, 0.4, False, BANDS)
    assert (graded.progress, graded.health, graded.forecast) == (None, "not_measured", None)


def test_at_the_close_a_cap_is_done_or_missed_on_the_plain_formula() -> None:
    kept = grade("cap", 2, 6, 2, 1.0, True, BANDS)
    assert (kept.forecast, kept.progress, kept.health) == (2, 1.0, "done")
    broken = grade("cap", 4, 6, 2, 1.0, True, BANDS)
    assert (broken.progress, broken.health, broken.target_missed) == (0.5, "missed", True)


def test_accumulate_is_done_once_reached_while_open() -> None:
    assert grade("accumulate", 12, 0, 10, 0.2, False, BANDS).health == "done"


# --- properties ---------------------------------------------------------------------------------

_counts = st.integers(min_value=0, max_value=1000).map(float)
_shares = st.floats(min_value=0, max_value=1, exclude_max=True, allow_nan=False)


@st.composite
def _caps(draw: st.DrawFn) -> tuple[float, float]:
    target = draw(st.integers(min_value=0, max_value=500))
    baseline = draw(st.integers(min_value=target + 1, max_value=1000))
    return float(baseline), float(target)


@given(_caps(), _counts, _shares)
def test_a_cap_is_never_done_while_the_cycle_is_open(cap: tuple[float, float], current: float, e: float) -> None:
    baseline, target = cap
    assert grade("cap", current, baseline, target, e, False, BANDS).health != "done"


@given(_caps(), _counts, _counts, st.floats(min_value=0, max_value=1, allow_nan=False), st.booleans())
def test_a_cap_never_grows_with_its_count(
    cap: tuple[float, float], one: float, other: float, e: float, final: bool
) -> None:
    baseline, target = cap
    low, high = sorted((one, other))
    fewer = grade("cap", low, baseline, target, 1.0 if final else e, final, BANDS)
    more = grade("cap", high, baseline, target, 1.0 if final else e, final, BANDS)
    assert fewer.progress is not None and more.progress is not None
    assert more.progress <= fewer.progress and (more.score or 0) <= (fewer.score or 0)


@given(_caps(), _counts, st.booleans())
def test_a_cap_at_the_end_of_its_cycle_is_the_plain_formula(
    cap: tuple[float, float], current: float, final: bool
) -> None:
    baseline, target = cap
    graded = grade("cap", current, baseline, target, 1.0, final, BANDS)
    assert graded.progress == progress(current, baseline, target) and graded.forecast == current


# --- the example's SEV1 cap ---------------------------------------------------------------------


def _example(at: datetime) -> Report:
    config = load_config_file(EXAMPLES / "okrs.yaml")
    documents = read_issues(EXAMPLES / "issues.jsonl")
    measurements = read_measurements(EXAMPLES / "measurements.jsonl")
    return evaluate_report(
        config, evaluation_input(at, config, documents, measurements, read_field_names(EXAMPLES / "fields.json"))
    )


def test_no_sev1_on_the_second_day_is_not_done() -> None:
    report = _example(datetime(2026, 10, 2, 12, tzinfo=UTC))
    kr = report.find("company-q4", "O3.KR2")
    assert kr is not None
    assert (kr.kind, kr.current, kr.health, kr.flags) == ("cap", 0, "on_track", ())
    objective = next(o for o in report.okr_sets[0].objectives if o.id == "O3")
    assert objective.health == "on_track"  # not done while its cap can still be broken
    assert "cap: 0 of 2 allowed used, 2% of the cycle gone" in render_evaluation(report)


def test_four_sev1s_by_mid_november_miss_a_cap_of_two() -> None:
    report = _example(datetime(2026, 11, 15, 12, tzinfo=UTC))
    kr = report.find("company-q4", "O3.KR2")
    assert kr is not None
    assert (kr.kind, kr.current, kr.health, kr.flags, kr.score) == ("cap", 4, "off_track", ("target_missed",), 0.25)
    assert "cap: 4 of 2 allowed used, 49% of the cycle gone — target missed" in render_evaluation(report)


def test_the_cap_is_said_in_words_in_the_property_and_on_the_page() -> None:
    config = load_config_file(EXAMPLES / "okrs.yaml")
    at = datetime(2026, 11, 15, 12, tzinfo=UTC)
    report = _example(at)
    words = "cap: 4 of 2 allowed used, 49% of the cycle gone — target missed"
    status = kr_statuses(config, report)[("company-q4", "O3.KR2")]
    assert (status["kind"], status["forecast"], status["kind_words"]) == ("cap", 5.0108, words)
    level = kr_statuses(config, report)[("company-q4", "O3.KR1")]
    assert level["kind"] == "level" and "forecast" not in level and "kind_words" not in level
    okr_set = next(s for s in config.okr_sets if s.id == "company-q4")
    set_report = report.okr_set("company-q4")
    assert set_report is not None
    page = dict(okr_set_page(config, okr_set, set_report, PageContext(at=at, tz=UTC)).regions)
    assert f"<em>{words}</em>" in page["objective-O3"]
    cap = next(kr for o in okr_set.objectives for kr in o.key_results if kr.id == "O3.KR2")
    assert kr_row(okr_set, cap, report.find("company-q4", "O3.KR2"), set_report)["kind_words"] == words


def test_the_other_example_krs_are_levels() -> None:
    report = _example(datetime(2026, 11, 15, 12, tzinfo=UTC))
    kinds = {entry.kr.id: entry.kr.kind for entry in report.key_results() if entry.okr_set.id == "shop-q4"}
    assert set(kinds.values()) == {"level"}
    assert all(entry.kr.forecast is None for entry in report.key_results() if entry.kr.kind != "cap")


def test_the_report_round_trips_with_kind_forecast_and_final() -> None:
    report = _example(datetime(2026, 11, 15, 12, tzinfo=UTC))
    document = report.to_dict()
    cap = document["okr_sets"][0]["objectives"][2]["key_results"][1]
    assert (cap["kind"], cap["forecast"], document["okr_sets"][0]["final"]) == ("cap", 5.0108, False)
    assert Report.from_dict(document) == report


def test_a_cap_touched_again_later_moves_on_with_the_cycle() -> None:
    """The same count read later is another forecast: an incremental evaluation gives the full one."""
    config = _config({"baseline": 6, "target": 2}, {"aggregate": "count"})
    documents = [{"key": "A", "id": "A", "project": "OPS", "created": "2026-10-10T00:00:00.000Z"}]
    earlier = evaluate_report(config, evaluation_input(datetime(2026, 10, 20, tzinfo=UTC), config, documents))
    later = evaluation_input(datetime(2026, 11, 20, tzinfo=UTC), config, documents)
    touched = evaluate_report(config, later, {("s", "KR1")}, earlier, config)
    assert touched == evaluate_report(config, later)
    assert touched.find("s", "KR1") != earlier.find("s", "KR1")
