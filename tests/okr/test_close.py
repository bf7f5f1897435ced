"""A cycle's close: evaluated at or after its end instant, every number is the one at the end; final."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.loader import load_config_document, load_config_file
from mapping.measurements import Measurement
from mapping.models import Cycle
from okr.evaluate import evaluate_report, evaluation_input
from okr.live import IndexedMirror
from okr.report import Report
from okr.timeframe import is_closed, window_bounds
from okrsync.offline import read_field_names, read_issues, read_measurements
from okrsync.report import render_evaluation

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
END = datetime(2027, 1, 1, tzinfo=UTC)  # 24:00 of 2026-12-31, the end of the example's 2026-Q4
Q4 = Cycle(id="Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))


def _config(krs: list[dict[str, Any]], metrics: dict[str, Any]) -> Any:
    return load_config_document(
        {
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "metrics": metrics,
            "okr_sets": [
                {"id": "s", "name": "S", "cycle": "Q4", "objectives": [{"id": "O1", "title": "t", "key_results": krs}]}
            ],
        }
    )


def _doc(key: str, created: str) -> dict[str, Any]:
    return {"key": key, "id": key, "project": "OPS", "issuetype": "Incident", "labels": [], "created": created}


def _report(config: Any, at: datetime, documents: Sequence[Any] = (), measurements: Sequence[Any] = ()) -> Report:
    return evaluate_report(config, evaluation_input(at, config, list(documents), list(measurements)))


def _example(at: datetime) -> Report:
    config = load_config_file(EXAMPLES / "okrs.yaml")
    documents = read_issues(EXAMPLES / "issues.jsonl")
    measurements = read_measurements(EXAMPLES / "measurements.jsonl")
    return evaluate_report(
        config, evaluation_input(at, config, documents, measurements, read_field_names(EXAMPLES / "fields.json"))
    )


def test_windows_stop_at_the_end_of_the_cycle() -> None:
    after = END + timedelta(days=20)
    assert window_bounds("cycle", Q4, after, UTC) == (datetime(2026, 10, 1, tzinfo=UTC), END)
    assert window_bounds("30d", Q4, after, UTC) == (END - timedelta(days=30), END)
    inside = datetime(2026, 12, 1, tzinfo=UTC)
    assert window_bounds("30d", Q4, inside, UTC) == (inside - timedelta(days=30), inside)


def test_the_end_instant_closes_the_cycle() -> None:
    assert not is_closed(Q4, END - timedelta(microseconds=1), UTC)
    assert is_closed(Q4, END, UTC) and is_closed(Q4, END + timedelta(days=400), UTC)


def test_a_rolling_count_after_the_close_is_the_count_at_the_end() -> None:
    config = _config(
        [{"id": "KR1", "title": "k", "metric": "m", "baseline": 0, "target": 10}],
        {"m": {"jql": "project = OPS", "window": "30d"}},
    )
    documents = [_doc("A", "2026-12-10T00:00:00.000Z"), _doc("B", "2027-01-05T00:00:00.000Z")]
    kr = _report(config, END + timedelta(days=10), documents).okr_sets[0].objectives[0].key_results[0]
    assert (kr.current, kr.health) == (1, "missed")  # A; B came after the end


def test_a_push_after_the_close_does_not_count() -> None:
    config = _config(
        [{"id": "KR1", "title": "k", "metric": "m", "baseline": 90, "target": 95}],
        {"m": {"source": "push", "stale_after": "8d"}},
    )
    pushes = [
        Measurement(metric="m", value=93, at=datetime(2026, 12, 28, tzinfo=UTC)),
        Measurement(metric="m", value=96, at=datetime(2027, 1, 3, tzinfo=UTC)),
    ]
    report = _report(config, END + timedelta(days=5), measurements=pushes)
    kr = report.okr_sets[0].objectives[0].key_results[0]
    assert (kr.current, kr.progress, kr.health, kr.flags) == (93, 0.6, "missed", ())


def test_the_close_is_final_done_or_missed() -> None:
    config = _config(
        [
            {"id": "KR1", "title": "reached", "metric": "m", "baseline": 0, "target": 2},
            {"id": "KR2", "title": "short", "metric": "m", "baseline": 0, "target": 4},
            {"id": "KR3", "title": "not measured", "unmeasured": "no data yet"},
        ],
        {"m": {"jql": "project = OPS"}},
    )
    documents = [_doc("A", "2026-10-10T00:00:00.000Z"), _doc("B", "2026-11-10T00:00:00.000Z")]
    okr_set = _report(config, END, documents).okr_sets[0]
    assert (okr_set.final, okr_set.expected) == (True, 1.0)
    [objective] = okr_set.objectives
    assert [kr.health for kr in objective.key_results] == ["done", "missed", "not_measured"]
    assert [kr.kind for kr in objective.key_results] == ["accumulate", "accumulate", "level"]
    assert (objective.score, objective.health) == (0.75, "missed")
    before = _report(config, END - timedelta(seconds=1), documents).okr_sets[0]
    assert before.final is False and before.objectives[0].health != "missed"


def test_an_objective_whose_krs_all_reached_their_targets_is_done_at_the_close() -> None:
    config = _config(
        [{"id": "KR1", "title": "k", "metric": "m", "baseline": 6, "target": 2}], {"m": {"jql": "project = OPS"}}
    )
    okr_set = _report(config, END + timedelta(days=1), [_doc("A", "2026-10-10T00:00:00.000Z")]).okr_sets[0]
    [objective] = okr_set.objectives
    assert (objective.key_results[0].kind, objective.key_results[0].health, objective.health) == ("cap", "done", "done")
    assert objective.key_results[0].forecast == 1


def test_the_example_after_its_quarter_reads_final() -> None:
    report = _example(datetime(2027, 1, 15, 12, tzinfo=UTC))
    assert all(s.final for s in report.okr_sets)
    healths = {e.kr.health for e in report.key_results()}
    assert healths <= {"done", "missed", "not_measured"}
    sev1 = report.find("company-q4", "O3.KR2")
    assert sev1 is not None and (sev1.health, sev1.progress, sev1.flags) == ("missed", 0.5, ("target_missed",))
    text = render_evaluation(report)
    assert "company-q4  (cycle closed: final results at its end)" in text
    assert "cap: 4 of 2 allowed used at the close — target missed" in text
    assert "✗ missed" in text


def _without_at(report: Report) -> dict[str, Any]:
    document = report.to_dict()
    document.pop("at")
    document.pop("problem_programs")  # problem programs have no cycle: they move on with time
    return document


_AT_THE_END = _without_at(_example(END))


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=0, max_value=3 * 365 * 24 * 3600))
def test_at_or_after_the_end_the_result_does_not_depend_on_the_instant(seconds: int) -> None:
    assert _without_at(_example(END + timedelta(seconds=seconds))) == _AT_THE_END


def test_an_objective_carried_from_before_the_close_is_final_too() -> None:
    config = load_config_document(
        {
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "metrics": {"m": {"jql": "project = OPS"}},
            "okr_sets": [
                {
                    "id": "s",
                    "name": "S",
                    "cycle": "Q4",
                    "objectives": [
                        {
                            "id": "O1",
                            "title": "t",
                            "key_results": [{"id": "KR1", "title": "k", "metric": "m", "baseline": 0, "target": 1}],
                        },
                        {
                            "id": "O2",
                            "title": "t",
                            "key_results": [{"id": "KR2", "title": "k", "metric": "m", "baseline": 0, "target": 4}],
                        },
                    ],
                }
            ],
        }
    )
    documents = [_doc("A", "2026-10-10T00:00:00.000Z")]
    before = _report(config, END - timedelta(minutes=1), documents)  # expected progress 1.0 already, not final
    assert (before.okr_sets[0].expected, before.okr_sets[0].final) == (1.0, False)
    after = evaluation_input(END + timedelta(days=1), config, documents)
    carried = evaluate_report(config, after, {("s", "KR1")}, before, config)
    full = evaluate_report(config, after)
    assert carried.okr_sets[0].final and [o.health for o in carried.okr_sets[0].objectives] == ["done", "missed"]
    assert [o.health for o in carried.okr_sets[0].objectives] == [o.health for o in full.okr_sets[0].objectives]


def test_a_kept_mirror_reads_a_closed_cycle_as_a_pass_does() -> None:
    """The long-lived mirror moves its kept queries to the end instant and back: the same numbers."""
    config = load_config_file(EXAMPLES / "okrs.yaml")
    fields = read_field_names(EXAMPLES / "fields.json")
    documents = read_issues(EXAMPLES / "issues.jsonl")
    measurements = read_measurements(EXAMPLES / "measurements.jsonl")
    live = IndexedMirror(config.zone, fields, documents)
    for at in (datetime(2026, 12, 20, tzinfo=UTC), END + timedelta(days=3), datetime(2026, 11, 1, tzinfo=UTC), END):
        kept = evaluate_report(config, evaluation_input(at, config, live.documents(), measurements, fields, live=live))
        passed = evaluate_report(config, evaluation_input(at, config, documents, measurements, fields))
        assert kept.okr_sets == passed.okr_sets
