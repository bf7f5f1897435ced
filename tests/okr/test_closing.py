"""A closed cycle's frozen results (okr/closing.py): freezing, the late correction, close_after, and
`okrsync evaluate --at` after a cycle's end giving the final readings offline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mapping.errors import ConfigError
from mapping.loader import load_config_document
from okr.closing import CloseRecord, close_instant, due_cycles, freeze, thawed, with_closes
from okr.evaluate import evaluate_report, evaluation_input
from okr.report import Report
from okrsync.cli import main
from publish.closed import closed_text, late_text
from publish.jira import kr_statuses

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
END = datetime(2027, 1, 1, tzinfo=UTC)  # 24:00 of 2026-12-31
CLOSED_AT = "2027-01-04T06:00:00+00:00"


def _config(close_after: str | None = None, krs: Sequence[dict[str, Any]] | None = None) -> Any:
    cycle: dict[str, Any] = {"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}
    if close_after is not None:
        cycle["close_after"] = close_after
    key_results = krs or [
        {"id": "KR1", "title": "incidents handled", "metric": "m", "baseline": 0, "target": 3, "weight": 3},
        {"id": "KR2", "title": "a second", "metric": "m", "baseline": 0, "target": 2},
    ]
    return load_config_document(
        {
            "cycles": [cycle],
            "metrics": {"m": {"jql": "project = OPS"}},
            "okr_sets": [
                {
                    "id": "s",
                    "name": "S",
                    "cycle": "Q4",
                    "objectives": [{"id": "O1", "title": "t", "key_results": list(key_results)}],
                }
            ],
        }
    )


def _doc(key: str, created: str) -> dict[str, Any]:
    return {"key": key, "id": key, "project": "OPS", "issuetype": "Incident", "labels": [], "created": created}


def _report(config: Any, documents: Sequence[dict[str, Any]], at: datetime = END + timedelta(days=5)) -> Report:
    return evaluate_report(config, evaluation_input(at, config, list(documents)))


TWO = [_doc("A", "2026-10-10T00:00:00.000Z"), _doc("B", "2026-11-10T00:00:00.000Z")]
BACK_DATED = _doc("C", "2026-12-20T00:00:00.000Z")  # created after the close, dated inside the cycle


def _closed(config: Any, documents: Sequence[dict[str, Any]], record: CloseRecord) -> Report:
    return with_closes(_report(config, documents), config, {"Q4": record})


def test_close_after_defaults_to_three_days_and_moves_the_close() -> None:
    assert _config().cycles[0].close_after == "3d"
    assert close_instant(_config().cycles[0], UTC) == END + timedelta(days=3)
    assert close_instant(_config("0d").cycles[0], UTC) == END
    assert due_cycles(_config(), [], END + timedelta(days=3) - timedelta(seconds=1)) == []
    assert due_cycles(_config(), [], END + timedelta(days=3)) == ["Q4"]
    assert due_cycles(_config(), ["Q4"], END + timedelta(days=30)) == []  # closed already


@pytest.mark.parametrize("bad", ["3 days", "3", "-1d", "1000d", "03d"])
def test_a_bad_close_after_is_refused_with_its_path(bad: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _config(bad)
    assert (
        "cycles[0].close_after: a cycle's close_after must be a number of days from 0d to 999d, such as 3d "
        f"(got {bad!r})" in str(raised.value)
    )


def test_the_frozen_grade_stays_when_a_back_dated_issue_arrives() -> None:
    config = _config()
    record = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    assert sorted(record.key_results) == ["s/KR1", "s/KR2"]
    okr_set = _closed(config, [*TWO, BACK_DATED], record).okr_sets[0]
    kr1, kr2 = okr_set.objectives[0].key_results
    assert (kr1.current, kr1.score, kr1.health) == (2, 0.67, "missed")  # the frozen result
    assert "late_correction" in kr1.flags
    assert kr1.late_correction is not None
    assert (kr1.late_correction["current"], kr1.late_correction["score"], kr1.late_correction["health"]) == (
        3,
        1.0,
        "done",
    )
    assert (kr2.current, kr2.health) == (2, "done")  # now reads 3: a correction too, the grade as frozen
    assert kr2.late_correction is not None and kr2.late_correction["current"] == 3
    assert (okr_set.objectives[0].score, okr_set.objectives[0].health) == (0.75, "missed")  # (3·0.67 + 1) / 4
    assert okr_set.closed_at == CLOSED_AT


def test_a_reading_equal_to_the_frozen_one_carries_no_correction() -> None:
    config = _config()
    record = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    closed = _closed(config, TWO, record)
    assert all(entry.kr.late_correction is None and not entry.kr.flags for entry in closed.key_results())
    assert [entry.kr for entry in closed.key_results()] == list(record.key_results.values())


def test_closing_again_freezes_the_reading_of_now_and_keeps_the_earlier_freeze() -> None:
    config = _config()
    first = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    later = _closed(config, [*TWO, BACK_DATED], first)
    again = first.again(later, config, "2027-01-10T09:00:00+00:00", "lead")
    assert again.history == ({"closed_at": CLOSED_AT, "by": "ops"},)
    kr1 = again.key_results["s/KR1"]
    assert (kr1.current, kr1.health, kr1.late_correction, kr1.flags) == (3, "done", None, ())
    okr_set = _closed(config, [*TWO, BACK_DATED], again).okr_sets[0]
    assert (okr_set.objectives[0].health, okr_set.closed_at) == ("done", "2027-01-10T09:00:00+00:00")


def test_thawed_gives_back_what_was_read_and_an_incremental_evaluation_agrees() -> None:
    config = _config()
    record = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    closed = _closed(config, [*TWO, BACK_DATED], record)
    assert thawed(closed).find("s", "KR1") == _report(config, [*TWO, BACK_DATED]).find("s", "KR1")
    given = evaluation_input(END + timedelta(days=6), config, TWO)  # the back-dated issue deleted again
    touched = evaluate_report(config, given, only={("s", "KR1")}, previous=thawed(closed), previous_config=config)
    kr1 = with_closes(touched, config, {"Q4": record}).find("s", "KR1")
    assert kr1 is not None and (kr1.current, kr1.late_correction) == (2, None)


def test_a_kr_added_after_the_close_reads_live_and_an_open_cycle_is_untouched() -> None:
    config = _config()
    record = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    grown = _config(
        krs=[
            {"id": "KR1", "title": "incidents handled", "metric": "m", "baseline": 0, "target": 3},
            {"id": "KR3", "title": "new", "metric": "m", "baseline": 0, "target": 9},
        ]
    )
    kr3 = with_closes(_report(grown, TWO), grown, {"Q4": record}).find("s", "KR3")
    assert kr3 is not None and (kr3.current, kr3.late_correction) == (2, None)
    open_report = _report(config, TWO, at=END - timedelta(days=10))
    assert with_closes(open_report, config, {"Q4": record}) == open_report  # not final: read live


def test_the_record_and_the_report_survive_json_and_old_reports_still_load() -> None:
    config = _config()
    record = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    assert CloseRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    closed = _closed(config, [*TWO, BACK_DATED], record)
    assert Report.from_dict(json.loads(json.dumps(closed.to_dict()))) == closed
    old = closed.to_dict()
    for okr_set in old["okr_sets"]:
        del okr_set["closed_at"]
        for objective in okr_set["objectives"]:
            for kr in objective["key_results"]:
                del kr["late_correction"]
    assert Report.from_dict(old).okr_sets[0].closed_at is None
    with pytest.raises(ValueError, match="not a whole close record"):
        CloseRecord.from_dict({"cycle": "Q4"})


def test_the_jira_status_carries_final_closed_at_and_the_correction() -> None:
    config = _config()
    record = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    status = kr_statuses(config, _closed(config, [*TWO, BACK_DATED], record))[("s", "KR1")]
    assert (status["final"], status["closed_at"], status["current"]) == (True, CLOSED_AT, 2)
    assert status["late_correction"] == {"current": 3, "score": 1.0, "health": "done"}
    before_close = kr_statuses(config, _report(config, TWO))[("s", "KR1")]
    assert before_close["final"] is True and "closed_at" not in before_close
    open_status = kr_statuses(config, _report(config, TWO, at=END - timedelta(days=10)))[("s", "KR1")]
    assert not {"final", "closed_at", "late_correction"} & set(open_status)  # open: the property as it was


def test_the_words_of_a_closed_set() -> None:
    config = _config()
    record = freeze(_report(config, TWO), config, "Q4", CLOSED_AT, "ops")
    kr1 = _closed(config, [*TWO, BACK_DATED], record).find("s", "KR1")
    assert kr1 is not None
    assert closed_text(CLOSED_AT, UTC) == "Final — closed 4 Jan 2027"
    assert closed_text(None, UTC) is None
    assert (late_text(kr1, "incidents") or "").startswith("late correction: now reads 3 incidents (score 1.00, done)")


def test_evaluate_at_after_the_end_gives_the_final_readings_offline() -> None:
    """No close record offline: the final reading is the evaluation at the end instant, whenever asked."""
    files = [
        "--config",
        str(EXAMPLES / "okrs.yaml"),
        "--issues",
        str(EXAMPLES / "issues.jsonl"),
        "--measurements",
        str(EXAMPLES / "measurements.jsonl"),
        "--fields",
        str(EXAMPLES / "fields.json"),
        "--json",
    ]
    readings = []
    for at in ("2027-01-01T00:00:00Z", "2027-01-04T12:00:00Z", "2027-06-30T00:00:00Z"):
        result = CliRunner().invoke(main, ["evaluate", *files, "--at", at])
        assert result.exit_code == 0, result.output
        readings.append(json.loads(result.output)["okr_sets"])
    assert readings[0] == readings[1] == readings[2]
    krs = [kr for s in readings[0] for o in s["objectives"] for kr in o["key_results"]]
    assert all(s["final"] and s["closed_at"] is None for s in readings[0])
    assert all(kr["late_correction"] is None and kr["health"] in {"done", "missed", "not_measured"} for kr in krs)
