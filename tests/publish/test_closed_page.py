"""The OKR page of a closed cycle: "Final — closed DATE" in the summary, a KR's late correction."""

from __future__ import annotations

from dataclasses import replace

from okr.report import SetReport
from publish.confluence.okr_page import okr_set_page
from tests.publish.sample import context, evaluated


def _regions(result: SetReport) -> dict[str, str]:
    cfg, _, _ = evaluated()
    return dict(okr_set_page(cfg, cfg.okr_sets[0], result, context()).regions)


def test_a_closed_set_says_final_and_shows_the_late_correction() -> None:
    _, _, report = evaluated()
    result = SetReport.from_dict(report["okr_sets"][0])
    objective = result.objectives[0]
    kr = objective.key_results[0]
    corrected = replace(
        kr,
        flags=(*kr.flags, "late_correction"),
        late_correction={"current": 12.5, "score": 0.9, "health": "on_track"},
    )
    closed = replace(
        result,
        closed_at="2027-01-04T06:00:00+00:00",
        objectives=(replace(objective, key_results=(corrected, *objective.key_results[1:])), *result.objectives[1:]),
    )
    regions = _regions(closed)
    assert "<strong>Final — closed 4 Jan 2027</strong>: the results below are frozen" in regions["summary"]
    objective_region = regions[f"objective-{objective.id}"]
    assert "late correction: now reads 12.5" in objective_region and "LATE CORRECTION" in objective_region
    assert "Final — closed" not in "".join(_regions(result).values())  # open: as before
    assert "late correction" not in "".join(_regions(result).values())
