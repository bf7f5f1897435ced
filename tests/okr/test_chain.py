"""The causal chain: a leading KR drives others; flagged leading_without_lagging when it has progressed
at least 0.5 and a KR it drives moved less than 0.1 over the last lag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mapping.errors import ConfigError
from mapping.loader import load_config_document
from mapping.measurements import Measurement
from okr.chain import FLAG, leading_without_lagging, with_chain_flags
from okr.evaluate import evaluate_report, evaluation_input
from publish.confluence.okr_page import PageContext, okr_set_page

AT = datetime(2026, 11, 15, tzinfo=UTC)
LEAD, LAG = ("shop", "KR1"), ("shop", "KR2")


def _document(drives: list[str]) -> dict[str, Any]:
    kr = {"baseline": 0, "target": 10}
    return {
        "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "metrics": {"speed": {"source": "push"}, "conversion": {"source": "push"}},
        "okr_sets": [
            {
                "id": "shop",
                "name": "Shop",
                "cycle": "Q4",
                "objectives": [
                    {
                        "id": "O1",
                        "title": "Checkout converts",
                        "key_results": [
                            {"id": "KR1", "title": "Faster pages", "metric": "speed", "drives": drives, **kr},
                            {"id": "KR2", "title": "Conversion up", "metric": "conversion", **kr},
                        ],
                    }
                ],
            }
        ],
    }


def _report(speed: float, conversion: float) -> Any:
    config = load_config_document(_document(["shop/KR2"]))
    pushed = [
        Measurement(metric="speed", value=speed, at=AT - timedelta(days=1)),
        Measurement(metric="conversion", value=conversion, at=AT - timedelta(days=1)),
    ]
    return config, evaluate_report(config, evaluation_input(AT, config, [], pushed))


def test_the_flag_needs_the_leading_progress_and_a_driven_kr_that_did_not_move() -> None:
    assert leading_without_lagging(0.6, 0.25, 0.2) is True
    assert leading_without_lagging(0.6, 0.3, 0.2) is False  # moved 0.1
    assert leading_without_lagging(0.4, 0.2, 0.2) is False  # not led far enough
    assert leading_without_lagging(0.6, 0.2, None) is False  # no reading lag ago: too early to say


def test_the_leading_kr_is_flagged_and_unflagged_as_the_driven_one_moves() -> None:
    config, report = _report(speed=6, conversion=2)
    flagged = with_chain_flags(report, config, {(LEAD, LAG): 0.15})
    assert FLAG in flagged.find(*LEAD).flags and FLAG not in flagged.find(*LAG).flags
    config, moved = _report(speed=6, conversion=4)
    assert FLAG not in with_chain_flags(moved, config, {(LEAD, LAG): 0.15}).find(*LEAD).flags
    assert FLAG not in with_chain_flags(flagged, config, {}).find(*LEAD).flags  # a stale flag goes


def test_the_page_shows_the_chain_and_the_flag() -> None:
    config, report = _report(speed=6, conversion=2)
    report = with_chain_flags(report, config, {(LEAD, LAG): 0.2})
    regions = dict(okr_set_page(config, config.okr_sets[0], report.okr_sets[0], PageContext(at=AT, tz=UTC)).regions)
    assert (
        "Leading: drives shop/KR2" in regions["objective-O1"] and "LEADING WITHOUT LAGGING" in regions["objective-O1"]
    )


@pytest.mark.parametrize(
    ("drives", "words"),
    [(["shop/KR9"], "no KR 'shop/KR9'"), (["shop/KR1"], "a KR cannot drive itself"), (["KR2"], "match")],
)
def test_drives_names_another_existing_kr(drives: list[str], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_document(_document(drives))
    [problem] = caught.value.problems
    assert problem.path.startswith("okr_sets[0].objectives[0].key_results[0].drives") and words in problem.message
