"""The causal chain between KRs: a leading KR ``drives`` lagging ones (pure).

    report = with_chain_flags(report, config, lagged)   # lagged: (leading, driven) → the driven KR's
                                                        # progress ``lag`` ago (the leading KR's lag)

A leading KR is flagged ``leading_without_lagging`` when it has progressed at least 0.5 and a KR it
drives moved less than 0.1 over the last ``lag`` (default 28 days): the work moved, the outcome it
was meant to move did not. Without a reading of the driven KR ``lag`` ago (the chain is younger than
that) nothing is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mapping.models import OkrConfig
from okr.report import KeyResultReport, Report

LEADING_PROGRESS = 0.5
LAGGING_MOVE = 0.1
FLAG = "leading_without_lagging"
_PRECISION = 9

Ref = tuple[str, str]


def driven_refs(config: OkrConfig) -> dict[Ref, list[Ref]]:
    """Each leading KR (set, kr) → the KRs it drives, as (set, kr)."""
    chains: dict[Ref, list[Ref]] = {}
    for okr_set in config.okr_sets:
        for kr in (kr for objective in okr_set.objectives for kr in objective.key_results if kr.drives):
            chains[(okr_set.id, kr.id)] = [tuple(ref.split("/", 1)) for ref in kr.drives]  # type: ignore[misc]
    return chains


def leading_without_lagging(leading: float | None, driven_now: float | None, driven_before: float | None) -> bool:
    if leading is None or driven_now is None or driven_before is None or leading < LEADING_PROGRESS:
        return False
    return round(driven_now - driven_before, _PRECISION) < LAGGING_MOVE


def with_chain_flags(report: Report, config: OkrConfig, lagged: Mapping[tuple[Ref, Ref], float | None]) -> Report:
    """``report`` with ``leading_without_lagging`` on each leading KR whose driven KRs did not follow
    (and without it on every other KR)."""
    chains = driven_refs(config)
    if not chains and not any(FLAG in e.kr.flags for e in report.key_results()):
        return report
    progress = {entry.ref: entry.kr.progress for entry in report.key_results()}
    flagged = {
        ref
        for ref, driven in chains.items()
        if any(leading_without_lagging(progress.get(ref), progress.get(d), lagged.get((ref, d))) for d in driven)
    }
    sets = []
    for okr_set in report.okr_sets:
        objectives = tuple(
            replace(o, key_results=tuple(_flagged(kr, (okr_set.id, kr.id) in flagged) for kr in o.key_results))
            for o in okr_set.objectives
        )
        sets.append(replace(okr_set, objectives=objectives))
    return replace(report, okr_sets=tuple(sets))


def _flagged(kr: KeyResultReport, flag: bool) -> KeyResultReport:
    flags = tuple(f for f in kr.flags if f != FLAG) + ((FLAG,) if flag else ())
    return kr if flags == kr.flags else replace(kr, flags=flags)
