"""KPIs on a set: health metrics with a band, read with the set, listed in evaluate --json and never
part of an objective's score."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mapping.errors import ConfigError
from mapping.loader import load_config_document
from mapping.measurements import Measurement
from mapping.models import Keep
from okr.evaluate import evaluate_report, evaluation_input
from okr.kpis import kpi_state
from okr.report import Report

AT = datetime(2026, 11, 15, tzinfo=UTC)


def _document(kpis: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "metrics": {
            "pay_success": {"source": "push", "unit": "%", "description": "Payment success"},
            "conversion": {"source": "push", "unit": "%", "description": "Checkout conversion"},
        },
        "okr_sets": [
            {
                "id": "shop",
                "name": "Shop",
                "cycle": "Q4",
                "kpis": kpis,
                "objectives": [
                    {
                        "id": "O1",
                        "title": "Checkout converts",
                        "key_results": [
                            {
                                "id": "KR1",
                                "title": "Conversion 2% → 4%",
                                "metric": "conversion",
                                "baseline": 2,
                                "target": 4,
                            }
                        ],
                    }
                ],
            }
        ],
    }


def _evaluate(kpis: list[dict[str, Any]], pay: float | None) -> Report:
    config = load_config_document(_document(kpis))
    pushed = [Measurement(metric="conversion", value=3, at=datetime(2026, 11, 1, tzinfo=UTC))]
    if pay is not None:
        pushed.append(Measurement(metric="pay_success", value=pay, at=datetime(2026, 11, 2, tzinfo=UTC)))
    return evaluate_report(config, evaluation_input(AT, config, [], pushed))


def test_a_kpi_is_listed_with_its_value_band_and_health() -> None:
    document = _evaluate([{"metric": "pay_success", "keep": {"above": 97}}], 97.4).to_dict()
    [okr_set] = document["okr_sets"]
    [kpi] = okr_set["kpis"]
    assert {k: kpi[k] for k in ("metric", "current", "healthy", "keep", "state")} == {
        "metric": "pay_success",
        "current": 97.4,
        "healthy": True,
        "keep": {"above": 97.0},
        "state": "healthy",
    }
    assert okr_set["objectives"][0]["score"] == 0.5  # the KR alone: the KPI is not in the score
    assert Report.from_dict(document).okr_sets[0].kpis[0].current == 97.4


def test_a_breached_kpi_changes_no_objective() -> None:
    healthy = _evaluate([{"metric": "pay_success", "keep": {"above": 97}}], 99.0).okr_sets[0]
    breached = _evaluate([{"metric": "pay_success", "keep": {"above": 97}}], 90.0).okr_sets[0]
    assert (breached.kpis[0].healthy, breached.kpis[0].state) == (False, "breached")
    assert breached.objectives == healthy.objectives


def test_an_unmeasured_kpi_says_so() -> None:
    [kpi] = _evaluate([{"metric": "pay_success", "keep": {"below": 1}}], None).okr_sets[0].kpis
    assert (kpi.current, kpi.healthy, kpi.state) == (None, None, "not_measured")


def test_the_warn_margin_reads_as_a_warning_inside_the_band() -> None:
    assert kpi_state(Keep(above=97), 0.5, 97.3) == "warning"
    assert kpi_state(Keep(above=97), 0.5, 97.6) == "healthy"
    assert kpi_state(Keep(above=97), 0.5, 96.9) == "breached"
    assert kpi_state(Keep(below=2), 0.5, 1.6) == "warning"
    assert kpi_state(Keep(below=2), None, 2.0) == "healthy"


@pytest.mark.parametrize(
    ("kpis", "path", "words"),
    [
        ([{"metric": "nps", "keep": {"above": 30}}], "okr_sets[0].kpis[0].metric", "unknown metric 'nps'"),
        (
            [{"metric": "pay_success", "keep": {"above": 97}}, {"metric": "pay_success", "keep": {"above": 96}}],
            "okr_sets[0].kpis[1].metric",
            "'pay_success' is already a KPI of this set",
        ),
        ([{"metric": "pay_success"}], "okr_sets[0].kpis[0].keep", "required"),
        ([{"metric": "pay_success", "keep": {"above": 97}, "warn": -1}], "okr_sets[0].kpis[0].warn", "0"),
    ],
)
def test_a_bad_kpi_is_refused_with_its_path(kpis: list[dict[str, Any]], path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_document(_document(kpis))
    [problem] = caught.value.problems
    assert problem.path == path and words in problem.message


def test_the_okr_page_shows_the_kpis_in_their_own_panel() -> None:
    from publish.confluence.okr_page import PageContext, okr_set_page

    kpis = [{"metric": "pay_success", "keep": {"above": 97}, "warn": 0.5}]
    config = load_config_document(_document(kpis))
    for pay, state in ((97.2, "WARNING"), (90.0, "OUT OF BAND"), (99.0, "HEALTHY")):
        result = _evaluate(kpis, pay).okr_sets[0]
        regions = dict(okr_set_page(config, config.okr_sets[0], result, PageContext(at=AT, tz=UTC)).regions)
        panel = regions["kpis"]
        assert "<h2>KPIs</h2>" in panel and "≥ 97 % (warning within 0.5)" in panel and f"{pay:g} %" in panel
        assert f'<ac:parameter ac:name="title">{state}</ac:parameter>' in panel
        assert "pay_success" not in regions["objective-O1"]  # never among the objectives


def test_a_set_without_kpis_has_no_kpi_panel() -> None:
    from publish.confluence.okr_page import PageContext, okr_set_page

    config = load_config_document(_document([]))
    result = _evaluate([], None).okr_sets[0]
    names = [name for name, _ in okr_set_page(config, config.okr_sets[0], result, PageContext(at=AT, tz=UTC)).regions]
    assert "kpis" not in names


def test_evaluate_as_text_lists_the_kpis_under_their_set() -> None:
    from okrsync.report import render_evaluation

    kpis = [{"metric": "pay_success", "keep": {"above": 97}, "warn": 0.5}]
    text = render_evaluation(_evaluate(kpis, 96.0), load_config_document(_document(kpis)))
    assert "  KPI pay_success  keep ≥ 97 (warning within 0.5)  now 96  out of band" in text


def test_a_sets_own_jira_issue_gets_a_property_write_with_the_kpis() -> None:
    from publish.jira import Write
    from publish.kpi_status import with_kpi_properties

    kpis = [{"metric": "pay_success", "keep": {"above": 97}}]
    document = _document(kpis)
    document["okr_sets"][0]["jira_issue"] = "okr-9"
    config = load_config_document(document)
    other = Write("property:SHOP-1", "property", "SHOP-1", {"key_results": []}, [])
    writes = with_kpi_properties([other], config, _evaluate(kpis, 98.0), AT)
    assert writes[0] == other
    [added] = writes[1:]
    assert (added.target, added.issue, added.payload["okr_set"]) == ("property:OKR-9", "OKR-9", "shop")
    assert added.payload["kpis"][0]["healthy"] is True and added.payload["as_of"] == AT.isoformat()


def test_a_breach_begins_at_the_first_reading_of_its_latest_unbroken_run() -> None:
    from okr.kpis import breach_evidence, breached_since

    def reading(day: int, value: float, state: str) -> dict[str, Any]:
        return {"at": datetime(2026, 11, day, 9, tzinfo=UTC).isoformat(), "v": value, "s": state}

    run = [
        reading(1, 96, "breached"),
        reading(2, 98, "healthy"),
        reading(3, 96.5, "breached"),
        reading(4, 95, "breached"),
    ]
    assert breached_since(run) == datetime(2026, 11, 3, 9, tzinfo=UTC)
    assert breached_since([*run, reading(5, 97.1, "warning")]) is None
    assert breached_since([]) is None
    assert breach_evidence(run, datetime(2026, 11, 3, 9, tzinfo=UTC)) == [
        "2026-11-03 09:00 UTC: 96.5",
        "2026-11-04 09:00 UTC: 95",
    ]


def test_an_escalation_to_an_unknown_program_is_refused_with_its_path() -> None:
    kpis = [{"metric": "pay_success", "keep": {"above": 97}, "escalate": {"program": "nope", "label": "kpi-breach"}}]
    with pytest.raises(ConfigError) as caught:
        load_config_document(_document(kpis))
    [problem] = caught.value.problems
    assert (
        problem.path == "okr_sets[0].kpis[0].escalate.program" and "unknown problem program 'nope'" in problem.message
    )


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        ({"escalate_after_weeks": 2}, "okr_sets[0].objectives[0].key_results[0]", "both escalate_after_weeks"),
        (
            {"escalate_after_weeks": 2, "escalate": {"program": "nope", "label": "x"}},
            "okr_sets[0].objectives[0].key_results[0].escalate.program",
            "unknown problem program 'nope'",
        ),
        ({"escalate_after_weeks": 0, "escalate": {"program": "nope", "label": "x"}}, "", "greater than or equal"),
    ],
)
def test_a_kr_escalation_is_whole_and_names_a_program(fields: dict[str, Any], path: str, words: str) -> None:
    document = _document([])
    document["okr_sets"][0]["objectives"][0]["key_results"][0].update(fields)
    with pytest.raises(ConfigError) as caught:
        load_config_document(document)
    assert any(p.path.startswith(path) and words in p.message for p in caught.value.problems)


def test_validate_online_asks_for_the_sets_jira_issue_too() -> None:
    from mapping.site_check import named_issue_keys

    document = _document([{"metric": "pay_success", "keep": {"above": 97}}])
    document["okr_sets"][0]["jira_issue"] = "okr-9"
    assert ("okr_sets[0].jira_issue", "OKR-9") in named_issue_keys(load_config_document(document))
