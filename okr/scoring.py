"""Progress, score, health and flags. Plain numbers in, plain numbers out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mapping.models import HealthBands
from okr.timeframe import clamp

OUTPUT_WITHOUT_OUTCOME_DELIVERY = 0.8
OUTPUT_WITHOUT_OUTCOME_GAP = 0.5
_PRECISION = 9  # compare band edges on rounded gaps, so 0.5 − 0.4 counts as 0.1


def progress(current: float | None, baseline: float | None, target: float | None) -> float | None:
    """(c − b) / (t − b): works for decreasing KRs; negative is a regression, above 1 exceeded."""
    if current is None or baseline is None or target is None or target == baseline:
        return None
    return (current - baseline) / (target - baseline)


def score(raw_progress: float | None) -> float | None:
    return None if raw_progress is None else round(clamp(raw_progress, 0.0, 1.0), 2)


def health(raw_progress: float | None, expected: float, bands: HealthBands) -> str:
    if raw_progress is None:
        return "not_measured"
    if raw_progress >= 1:
        return "done"
    gap = round(expected - raw_progress, _PRECISION)
    if gap <= bands.on_track:
        return "on_track"
    if gap <= bands.at_risk:
        return "at_risk"
    return "off_track"


def final_health(raw_progress: float | None) -> str:
    """Health once the cycle has closed: the target was reached or it was missed."""
    if raw_progress is None:
        return "not_measured"
    return "done" if raw_progress >= 1 else "missed"


def cap_forecast(current: float, target: float, expected: float) -> float:
    """What a cap's count will be at the close if the rest of the cycle uses the allowance at the
    target's pace: c + (1 − e) × t."""
    return current + (1 - expected) * target


def cap_health(current: float, target: float, expected: float, bands: HealthBands) -> str:
    """A cap still within its target, by the gap between the share of the allowance used and the
    share of the cycle gone: c / t − e (nothing allowed and nothing used: −e). Never done while open."""
    gap = round((current / target if target else 0.0) - expected, _PRECISION)
    if gap <= bands.on_track:
        return "on_track"
    if gap <= bands.at_risk:
        return "at_risk"
    return "off_track"


def delivery(done: int, total: int) -> float | None:
    return done / total if total else None


def output_without_outcome(delivered: float | None, raw_progress: float | None) -> bool:
    """Epics got done but the metric did not move."""
    if delivered is None or raw_progress is None or delivered < OUTPUT_WITHOUT_OUTCOME_DELIVERY:
        return False
    return round(delivered - raw_progress, _PRECISION) >= OUTPUT_WITHOUT_OUTCOME_GAP


@dataclass(frozen=True)
class WeightedScore:
    score: float | None
    weight: float


def objective_score(results: Sequence[WeightedScore]) -> float | None:
    """Weighted mean of the measured KRs' scores; None when none is measured."""
    measured = [r for r in results if r.score is not None]
    weight = sum(r.weight for r in measured)
    if not measured or weight == 0:
        return None
    return round(sum(r.score * r.weight for r in measured if r.score is not None) / weight, 2)
