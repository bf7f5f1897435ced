"""KR kind keep: a value held within a band (keep: {above: X} or {below: X}) instead of a baseline and a
target; on track while it holds, off track when it does not, score 1 or 0, done or missed at the end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mapping.errors import ConfigError
from mapping.loader import load_config_document
from mapping.measurements import Measurement
from mapping.models import Keep, KeyResult
from okr.evaluate import evaluate_report, evaluation_input
from okr.kinds import keep_grade, kr_kind
from okrsync.report import render_evaluation
from publish.kinds import keep_words

KR_PATH = "okr_sets[0].objectives[0].key_results[0]"
IN_CYCLE = datetime(2026, 11, 15, tzinfo=UTC)


def _config(kr: dict[str, Any], others: list[dict[str, Any]] | None = None) -> Any:
    return load_config_document(
        {
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "metrics": {"pay_success": {"source": "push", "unit": "%", "description": "Payment success"}},
            "okr_sets": [
                {
                    "id": "shop",
                    "name": "Shop",
                    "cycle": "Q4",
                    "objectives": [
                        {
                            "id": "O1",
                            "title": "Payments just work",
                            "key_results": [
                                {"id": "O1.KR2", "title": "Payment success stays at or above 97 %", **kr},
                                *(others or []),
                            ],
                        }
                    ],
                }
            ],
        }
    )


def _evaluate(config: Any, value: float, at: datetime = IN_CYCLE) -> dict[str, Any]:
    pushed = [Measurement(metric="pay_success", value=value, at=datetime(2026, 11, 1, tzinfo=UTC))]
    report = evaluate_report(config, evaluation_input(at, config, [], pushed))
    return report.to_dict()["okr_sets"][0]


KEEP = {"metric": "pay_success", "keep": {"above": 97}}


def test_a_kr_with_a_band_is_of_kind_keep() -> None:
    kr = KeyResult.model_validate({"id": "KR", "title": "t", **KEEP})
    assert kr_kind(kr, None) == "keep" and kr.keep == Keep(above=97)
    assert kr_kind(KeyResult.model_validate({"id": "KR", "title": "t", "kind": "keep", **KEEP}), None) == "keep"


@pytest.mark.parametrize(
    ("kr", "words"),
    [
        ({**KEEP, "baseline": 95, "target": 98}, "give keep: {above: X} or {below: X}, or baseline and target"),
        ({**KEEP, "kind": "cap"}, "a KR with keep: is of kind keep (got kind: cap)"),
        ({"metric": "pay_success", "keep": {"above": 97, "below": 99}}, "keep takes one bound"),
        ({"metric": "pay_success", "keep": {}}, "keep takes one bound"),
        ({"metric": "pay_success", "keep": {"over": 97}}, "unknown key"),
    ],
)
def test_a_band_that_contradicts_itself_or_the_kr_is_refused_with_its_path(kr: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _config(kr)
    [problem] = caught.value.problems
    assert problem.path.startswith(KR_PATH) and words in problem.message


def test_the_grade_is_one_while_the_band_holds_and_zero_outside_it() -> None:
    above, below = Keep(above=97), Keep(below=2)
    assert (keep_grade(97.0, above, False).progress, keep_grade(97.0, above, False).health) == (1.0, "on_track")
    assert (keep_grade(96.9, above, False).score, keep_grade(96.9, above, False).health) == (0.0, "off_track")
    assert keep_grade(2.0, below, False).health == "on_track" and keep_grade(2.5, below, False).health == "off_track"
    assert keep_grade(None, above, False).health == "not_measured"
    assert (keep_grade(98, above, True).health, keep_grade(96, above, True).health) == ("done", "missed")


def test_evaluate_json_says_kind_keep_with_its_band() -> None:
    held = _evaluate(_config(KEEP), 97.4)["objectives"][0]
    [kr] = held["key_results"]
    assert (kr["kind"], kr["keep"], kr["current"], kr["score"], kr["health"]) == (
        "keep",
        {"above": 97.0},
        97.4,
        1.0,
        "on_track",
    )
    assert (kr["baseline"], kr["target"], kr["progress"]) == (None, None, 1.0)
    assert held["health"] == "on_track"  # never done while the cycle is open: the band can still break
    broken = _evaluate(_config(KEEP), 96.2)["objectives"][0]["key_results"][0]
    assert (broken["score"], broken["health"]) == (0.0, "off_track")


def test_a_keep_counts_in_its_objective_like_any_kr() -> None:
    other = {"id": "O1.KR3", "title": "Refund rate under 1%", "metric": "pay_success", "keep": {"below": 1}}
    objective = _evaluate(_config(KEEP, [other]), 97.4)["objectives"][0]
    assert (objective["score"], objective["measured"]) == (0.5, 2)


def test_after_the_cycle_a_keep_is_done_or_missed() -> None:
    after = datetime(2027, 1, 2, tzinfo=UTC)
    assert _evaluate(_config(KEEP), 97.4, after)["objectives"][0]["key_results"][0]["health"] == "done"
    assert _evaluate(_config(KEEP), 90.0, after)["objectives"][0]["key_results"][0]["health"] == "missed"


def test_the_words_say_the_band_and_whether_it_holds() -> None:
    assert keep_words({"above": 97.0}, 97.4) == "keep ≥ 97: holds (now 97.4)"
    assert keep_words({"below": 2.0}, 3.0) == "keep ≤ 2: out of band (now 3)"
    assert keep_words({"above": 97.0}, None) == "keep ≥ 97: not measured yet"
    config = _config(KEEP)
    pushed = [Measurement(metric="pay_success", value=97.4, at=datetime(2026, 11, 1, tzinfo=UTC))]
    text = render_evaluation(evaluate_report(config, evaluation_input(IN_CYCLE, config, [], pushed)), config)
    assert "keep ≥ 97: holds (now 97.4)" in text
