"""A KR off track for ``escalate_after_weeks`` becomes a problem (``sync.escalation``): one Jira issue in
its escalation's problem program's project, with the source's label and the evidence (its readings
since it went off track), so the problem engine counts it. Claimed in
``okrsync:kr-escalation:<set>/<kr>``; its recovery is noted on the same issue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from mapping.models import KeyResult, OkrConfig, OkrSet
from okr.history import Reading
from okr.kpis import run_since
from okr.report import KeyResultReport, Report
from sync import keys
from sync.escalation import EscalationReport, Watched, watch
from sync.history import readings
from sync.kpi_breaches import page_words, problem_fields
from sync.runtime import Runtime

CLAIM_PREFIX = keys.KR_ESCALATION_PREFIX
EVIDENCE_KEPT = 10


def escalate_off_track_krs(runtime: Runtime, config: OkrConfig, report: Report, now: datetime) -> EscalationReport:
    """Open the problem issue of every KR off track for its ``escalate_after_weeks``; note recoveries."""
    done = EscalationReport()
    if runtime.jira is None:
        return done
    for okr_set in config.okr_sets:
        for kr in (kr for objective in okr_set.objectives for kr in objective.key_results if kr.escalate):
            result = report.find(okr_set.id, kr.id)
            if result is not None:
                watch(runtime, _watched(runtime, config, okr_set, kr, result), now, done)
    return done


def claim_key(set_id: str, kr_id: str) -> str:
    return f"{CLAIM_PREFIX}{set_id}/{kr_id}"


def _watched(runtime: Runtime, config: OkrConfig, okr_set: OkrSet, kr: KeyResult, result: KeyResultReport) -> Watched:
    out = result.health == "off_track"
    history = readings(runtime.redis, (okr_set.id, kr.id)) if out else []
    weeks = kr.escalate_after_weeks or 1
    return Watched(
        name=f"KR {okr_set.id}/{kr.id}",
        claim=claim_key(okr_set.id, kr.id),
        out=out,
        back=result.health in ("on_track", "at_risk", "done"),
        since=run_since([(r.instant, r.health == "off_track") for r in history]),
        after=timedelta(weeks=weeks),
        fields=partial(_fields, config, okr_set, kr, history),
        again=lambda since: f"KR {kr.id} {kr.title}: off track again since {since:%Y-%m-%d}.",
        recovered=f"KR {kr.id} {kr.title}: no longer off track ({result.health.replace('_', ' ')}).",
    )


def _fields(
    config: OkrConfig, okr_set: OkrSet, kr: KeyResult, history: list[Reading], since: datetime
) -> dict[str, Any]:
    lines = [
        f"* {r.instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {'—' if r.value is None else f'{r.value:g}'} "
        f"(score {'—' if r.score is None else f'{r.score:.2f}'})"
        for r in history
        if r.instant >= since
    ][-EVIDENCE_KEPT:]
    description = (
        f"KR {kr.id} ({kr.title}) of OKR set {okr_set.name} ({okr_set.id}) has been off track since "
        f"{since:%Y-%m-%d %H:%M %Z}, longer than {kr.escalate_after_weeks} week(s).\n\n"
        "Readings since then:\n" + "\n".join(lines) + f"\n\n{page_words(okr_set)}"
    ).rstrip()
    assert kr.escalate is not None
    summary = f"KR {kr.id} off track since {since:%Y-%m-%d}: {kr.title}"
    return problem_fields(config, kr.escalate, summary[:250], description)
