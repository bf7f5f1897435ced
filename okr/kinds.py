"""A KR's kind and its grade: progress, score, health and the cap's forecast (pure).

    kr_kind(kr, metric)          # level | accumulate | cap, from the metric unless the KR says kind:; keep
    grade(kind, current, baseline, target, expected, final, bands, keep)

``level`` and ``accumulate`` read (c − b) / (t − b). A ``cap`` is a count or sum over the cycle that
must stay at or below its target: it is read on its forecast, the current value plus the target's
share of what is left of the cycle, and is never done while the cycle is open. A ``keep`` holds a
value within a band (``keep: {above: X}`` or ``{below: X}``): on track with progress 1 while it holds
at the instant, off track with progress 0 when it does not. At the cycle's close (``final``) every
kind is done (progress ≥ 1) or missed; a keep's closed grade is the share of its recorded days on
which it held (``okr.keep``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mapping.models import HealthBands, Keep, KeyResult, Kind, Metric
from okr import scoring

_CYCLE_AGGREGATES = ("count", "sum")


def kr_kind(kr: KeyResult, metric: Metric | None) -> Kind:
    """The KR's ``kind:``, else: a count or sum over the cycle that should grow is ``accumulate``, one
    that should come down is ``cap``; everything else is ``level``."""
    if kr.keep is not None:
        return "keep"
    if kr.kind is not None:
        return kr.kind
    if metric is None or kr.baseline is None or kr.target is None:
        return "level"
    if metric.source != "jira" or metric.effective_aggregate not in _CYCLE_AGGREGATES or metric.window != "cycle":
        return "level"
    if kr.target > kr.baseline:
        return "accumulate"
    return "cap" if kr.target < kr.baseline else "level"


@dataclass(frozen=True)
class Grade:
    """How far a KR is: raw progress (None: not measured), health, and for a cap its forecast and
    whether its target is already exceeded."""

    progress: float | None
    health: str
    forecast: float | None = None
    target_missed: bool = False

    @property
    def score(self) -> float | None:
        return scoring.score(self.progress)


def grade(
    kind: Kind,
    current: float | None,
    baseline: float | None,
    target: float | None,
    expected: float,
    final: bool,
    bands: HealthBands,
    keep: Keep | None = None,
) -> Grade:
    """The KR's grade at ``expected`` progress of its cycle; ``final``: the cycle has closed."""
    if kind == "keep":
        return keep_grade(current, keep, final)
    if kind == "cap":
        return _cap_grade(current, baseline, target, expected, final, bands)
    raw = scoring.progress(current, baseline, target)
    return Grade(raw, scoring.final_health(raw) if final else scoring.health(raw, expected, bands))


def _cap_grade(
    current: float | None,
    baseline: float | None,
    target: float | None,
    expected: float,
    final: bool,
    bands: HealthBands,
) -> Grade:
    if current is None or baseline is None or target is None or target == baseline:
        return Grade(None, "not_measured")
    forecast = scoring.cap_forecast(current, target, 1.0 if final else expected)
    raw = scoring.progress(forecast, baseline, target)
    missed = current > target
    if final:
        health = scoring.final_health(raw)
    else:
        health = "off_track" if missed else scoring.cap_health(current, target, expected, bands)
    return Grade(raw, health, forecast, missed)


def keep_grade(current: float | None, keep: Keep | None, final: bool) -> Grade:
    """A keep reads 1 while its value is within the band and 0 outside it: on track or off track while
    the cycle is open, done or missed at its end (until the close grades the days it held)."""
    if current is None or keep is None:
        return Grade(None, "not_measured")
    held = keep.holds(current)
    if final:
        return Grade(1.0 if held else 0.0, "done" if held else "missed")
    return Grade(1.0 if held else 0.0, "on_track" if held else "off_track")
