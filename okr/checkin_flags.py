"""The latest check-in of each KR put into an evaluation report, with the flags it raises (pure).

    report = with_checkins(report, config, latest, now)   # latest: (set, KR) → its newest CheckIn

- ``no_checkin``: no check-in in the last ``checkin_every`` (the KR's, else its set's, default 7 days),
  once the cycle has run that long; never after the cycle has ended.
- ``confidence_disagrees``: the latest check-in's confidence is 0.7 or more while the KR is off track,
  or 0.3 or less while it is on track or done.

Both are worked out again on every report from what is stored, so a KR whose result was carried over
from an earlier evaluation still gets today's flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, time, timedelta

from mapping.models import KeyResult, OkrConfig, OkrSet, days
from okr.checkins import CheckIn
from okr.report import KeyResultReport, Report, SetReport

NO_CHECKIN = "no_checkin"
CONFIDENCE_DISAGREES = "confidence_disagrees"
CHECKIN_FLAGS = (NO_CHECKIN, CONFIDENCE_DISAGREES)
CONFIDENT = 0.7  # at or above: the people think the KR will make it
DOUBTFUL = 0.3  # at or below: they think it will not


def with_checkins(
    report: Report, config: OkrConfig, latest: Mapping[tuple[str, str], CheckIn], now: datetime
) -> Report:
    """Every KR of ``report`` with its latest check-in (or none) and the check-in flags of ``now``."""
    sets = {s.id: s for s in config.okr_sets}
    return replace(
        report,
        okr_sets=tuple(
            _set_with_checkins(result, sets[result.id], config, latest, now) if result.id in sets else result
            for result in report.okr_sets
        ),
    )


def _set_with_checkins(
    result: SetReport, okr_set: OkrSet, config: OkrConfig, latest: Mapping[tuple[str, str], CheckIn], now: datetime
) -> SetReport:
    krs = {kr.id: kr for objective in okr_set.objectives for kr in objective.key_results}
    start = datetime.combine(config.cycle(okr_set.cycle).start, time(), config.zone)
    objectives = []
    for objective in result.objectives:
        key_results = tuple(
            _kr_with_checkin(kr, krs.get(kr.id), okr_set, latest.get((result.id, kr.id)), start, result.final, now)
            for kr in objective.key_results
        )
        objectives.append(replace(objective, key_results=key_results))
    return replace(result, objectives=tuple(objectives))


def _kr_with_checkin(
    result: KeyResultReport,
    kr: KeyResult | None,
    okr_set: OkrSet,
    checkin: CheckIn | None,
    cycle_start: datetime,
    final: bool,
    now: datetime,
) -> KeyResultReport:
    flags = [f for f in result.flags if f not in CHECKIN_FLAGS]
    if kr is not None and not final:
        every = timedelta(days=days(kr.checkin_every or okr_set.checkin_every))
        flags += checkin_flags(checkin, result.health, every, cycle_start, now)
    return replace(result, checkin=checkin, flags=tuple(flags))


def checkin_flags(
    checkin: CheckIn | None, health: str, every: timedelta, cycle_start: datetime, now: datetime
) -> list[str]:
    """The check-in flags of a KR in a running cycle."""
    flags = []
    missing = checkin is None or now - checkin.at > every
    if missing and now - cycle_start >= every:
        flags.append(NO_CHECKIN)
    if checkin is not None and disagrees(checkin.confidence, health):
        flags.append(CONFIDENCE_DISAGREES)
    return flags


def disagrees(confidence: float, health: str) -> bool:
    """The people's confidence says the opposite of the KR's health."""
    if confidence >= CONFIDENT:
        return health == "off_track"
    return confidence <= DOUBTFUL and health in ("on_track", "done")
