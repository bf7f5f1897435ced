"""The typed evaluation report: its JSON document, the KR iterator and the lookups."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mapping.loader import load_config_file
from okr.evaluate import evaluate_config, evaluate_report, evaluation_input
from okr.report import Report, stored_report
from okrsync.offline import read_field_names, read_issues, read_measurements

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AT = datetime(2026, 11, 15, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def report() -> Report:
    config = load_config_file(EXAMPLES / "okrs.yaml")
    given = evaluation_input(
        AT,
        config,
        read_issues(EXAMPLES / "issues.jsonl"),
        read_measurements(EXAMPLES / "measurements.jsonl"),
        read_field_names(EXAMPLES / "fields.json"),
    )
    return evaluate_report(config, given)


def test_the_json_document_goes_through_from_dict_and_back_unchanged(report: Report) -> None:
    document = json.loads(json.dumps(report.to_dict()))
    assert Report.from_dict(document) == report
    assert json.dumps(Report.from_dict(document).to_dict()) == json.dumps(document)


def test_evaluate_config_is_the_typed_report_as_a_document(report: Report) -> None:
    config = load_config_file(EXAMPLES / "okrs.yaml")
    given = evaluation_input(
        AT,
        config,
        read_issues(EXAMPLES / "issues.jsonl"),
        read_measurements(EXAMPLES / "measurements.jsonl"),
        read_field_names(EXAMPLES / "fields.json"),
    )
    assert evaluate_config(config, given) == report.to_dict()


def test_key_results_walks_every_kr_in_report_order(report: Report) -> None:
    walked = [(e.okr_set.id, e.objective.id, e.kr.id) for e in report.key_results()]
    by_hand = [(s.id, o.id, kr.id) for s in report.okr_sets for o in s.objectives for kr in o.key_results]
    assert walked == by_hand and len(walked) > 3
    assert all(e.ref == (e.okr_set.id, e.kr.id) for e in report.key_results())


def test_lookups_find_a_set_and_a_kr_or_say_none(report: Report) -> None:
    assert report.okr_set("shop-q4") is report.okr_sets[1]
    assert report.okr_set("nope") is None
    kr = report.find("shop-q4", "O1.KR2")
    assert kr is not None and kr.id == "O1.KR2"
    assert report.find("shop-q4", "nope") is None and report.find("nope", "O1.KR2") is None


def test_a_stored_document_that_is_not_a_whole_report_reads_as_none(report: Report) -> None:
    document = report.to_dict()
    del document["okr_sets"][0]["objectives"][0]["key_results"][0]["count"]
    with pytest.raises(ValueError, match="not a whole evaluation report"):
        Report.from_dict(document)
    assert stored_report(document) is None
    assert stored_report([1, 2]) is None
    assert stored_report(report.to_dict()) == report
