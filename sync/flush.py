"""The flush: recompute, render, write what changed. One per burst of events, however long."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from connector.errors import ConnectorError
from mapping.field_kinds import FieldKind
from mapping.models import KeyResult, OkrConfig, ProblemProgram
from okr.chain import with_chain_flags
from okr.checkin_flags import with_checkins
from okr.closing import thawed, with_closes
from okr.evaluate import contributing_epics, evaluate_report, evaluation_input
from okr.metrics import EvaluationInput, FilterCache
from okr.report import Report, stored_report
from publish.health_fields import health_field_writes
from publish.jira import KrRef, Write, kr_statuses, plan_writes
from publish.kpi_status import with_kpi_properties
from sync import keys
from sync.action_points import open_action_points
from sync.chain import lagged_progress
from sync.checkin_words import CheckinWords, checkin_words
from sync.closed import close_records
from sync.configured import configured_jira
from sync.confluence_writer import REPORT, REPORT_NUMBER, publish_pages
from sync.dirty import ALL_DIRTY, FLUSH_FLAG, claim_dirty, finish_claim, mark, ref_from_text, ref_text
from sync.failures import FailureStore, Situation
from sync.history import record_readings
from sync.jira_writer import Checkin, CheckinPacing, TargetRefusal, WriteGuard, apply_writes, post_checkin
from sync.kpi_breaches import escalate_kpi_breaches
from sync.kpis import record_kpi_readings
from sync.kr_escalation import escalate_off_track_krs
from sync.people_checkins import PeopleCheckins
from sync.remote import stored_remote_values
from sync.remote_links import LinkPlan, RemoteLinkStore, plan_links, remove_links
from sync.runtime import Runtime
from sync.scope import record_scopes
from sync.sql_metrics import stored_sql_values

log = logging.getLogger(__name__)

STATS = keys.STATS


@dataclass
class FlushReport:
    dirty: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    comments: list[str] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)  # remote links deleted: their epic or KR is gone
    action_points: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # targets Jira refused or failed on in this flush
    held: list[str] = field(default_factory=list)  # targets not tried: refused before, or backing off
    seconds: float = 0.0
    skipped: str | None = None


def flush(runtime: Runtime, now: datetime | None = None) -> FlushReport:
    runtime.redis.delete(FLUSH_FLAG)  # changes from now on schedule the next flush
    claimed = claim_dirty(runtime.redis)
    if claimed is None:
        return FlushReport(skipped="nothing dirty")
    members, triggers = claimed
    config = runtime.config_store.current()
    if config is None:
        finish_claim(runtime.redis)
        return FlushReport(dirty=len(members), skipped="no configuration applied (okrsync apply FILE)")
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    result = _recompute_and_write(runtime, config, members, triggers, now)
    result.seconds = time.perf_counter() - started
    finish_claim(runtime.redis)
    _record_flush(runtime, result)
    return result


def _recompute_and_write(
    runtime: Runtime, config: OkrConfig, members: set[str], triggers: list[dict[str, Any]], now: datetime
) -> FlushReport:
    refs = None if ALL_DIRTY in members else {ref_from_text(m) for m in members}
    given = record_scopes(runtime, config, live_evaluation_input(runtime, config, now), refs, now)
    report = _evaluate(runtime, config, given, refs)
    trigger = summarise_triggers(triggers)
    _store_report(runtime, config, report, trigger, refs)
    statuses = kr_statuses(config, report)
    result = FlushReport(dirty=len(members))
    if runtime.jira is None:
        result.skipped = "no Jira configured (OKRSYNC_JIRA_URL): evaluated, nothing written to Jira"
        FailureStore(runtime.redis).keep_only([])  # nothing is tried: nothing waits to be tried again
    else:
        guard = write_guard(runtime, now)
        for program in config.problem_programs:
            result.action_points += _action_points(runtime, config, given, now, guard, result, program)
        epics = contributor_epic_keys(config, given)
        writes = _planned_writes(runtime, config, report, statuses, epics, now, trigger, refs)
        links = plan_links(runtime, config, statuses, epics, refs)
        written = apply_writes(runtime.jira, runtime.written, writes + links.writes, guard)
        result.written, result.unchanged = written.written, written.unchanged
        result.failed += written.failed
        result.held += written.held
        _unlink(runtime, links, guard, result)
        result.comments = _checkins(runtime, config, statuses, refs, now, guard, result)
        escalate_kpi_breaches(runtime, config, report, now)
        escalate_off_track_krs(runtime, config, report, now)
        if refs is None:  # every target was planned: records of targets this flush does not try are stale
            guard.failures.keep_only(tried_targets(config, writes + links.writes, links))
    publish_pages(runtime, config, report, now, given=given, trigger=timed(trigger, triggers))  # Jira first, then pages
    return result


def _planned_writes(
    runtime: Runtime,
    config: OkrConfig,
    report: Report,
    statuses: Mapping[KrRef, dict[str, Any]],
    epics: Mapping[KrRef, list[str]],
    now: datetime,
    trigger: Mapping[str, str],
    refs: set[KrRef] | None,
) -> list[Write]:
    """The status properties (a set's KPIs in its jira_issue's), the configured fields, and the health and
    status fields."""
    field_ids = runtime.config_store.field_names()
    kinds = cast("dict[str, FieldKind]", runtime.config_store.field_kinds())
    writes = with_kpi_properties(
        plan_writes(config, statuses, epics, now, trigger, refs, field_ids), config, report, now
    )
    return writes + health_field_writes(config, statuses, epics, refs, field_ids, kinds)


def _evaluate(runtime: Runtime, config: OkrConfig, given: EvaluationInput, refs: set[KrRef] | None) -> Report:
    """The evaluation from the previous one; a closed cycle's sets report their frozen results
    (``okr.closing``), compared as they were read before the freeze; every KR carries its latest
    check-in by a person and the flags that raises (``okr.checkin_flags``)."""
    previous, previous_config = _previous_report(runtime)
    before = thawed(previous) if previous is not None else None
    report = evaluate_report(config, given, only=refs, previous=before, previous_config=previous_config)
    report = with_chain_flags(report, config, lagged_progress(runtime.redis, config, given.at))
    closed = with_closes(report, config, close_records(runtime.redis))
    latest = PeopleCheckins(runtime.redis).latest(entry.ref for entry in closed.key_results())
    return with_checkins(closed, config, latest, given.at)


def tried_targets(config: OkrConfig, writes: list[Write], links: LinkPlan) -> list[str]:
    """Every target a flush over every KR tries: its writes, the links it deletes, check-ins, action points."""
    return (
        [w.target for w in writes]
        + [target for target, _ in links.stale]
        + checkin_targets(config)
        + [action_points_target(p.id) for p in config.problem_programs]
    )


def _unlink(runtime: Runtime, links: LinkPlan, guard: WriteGuard, result: FlushReport) -> None:
    """Delete the remote links no longer wanted (an epic that left its KR's scope, a KR removed)."""
    if not links.stale or runtime.jira is None:
        return
    unlinked = remove_links(runtime.jira, RemoteLinkStore(runtime.redis), links.stale, guard)
    result.unlinked = unlinked.removed
    result.failed += unlinked.failed
    result.held += unlinked.held


def action_points_target(program_id: str) -> str:
    """The failure target of opening one problem program's action points."""
    return f"action-points:{program_id}"


def write_guard(runtime: Runtime, now: datetime) -> WriteGuard:
    """Failures per target, compared with this configuration revision and each issue's mirror version."""
    revision = runtime.config_store.revision()

    def situation(issue: str) -> Situation:
        return Situation(revision, runtime.mirror.version_of_key(issue) if issue else None)

    return WriteGuard(FailureStore(runtime.redis), situation, now.timestamp())


def _action_points(
    runtime: Runtime,
    config: OkrConfig,
    given: EvaluationInput,
    now: datetime,
    guard: WriteGuard,
    result: FlushReport,
    program: ProblemProgram,
) -> list[str]:
    """Open one program's action points; a failure is recorded and the write-back goes on without them
    (the outermost edge of this write: whatever it raises stays here)."""
    target = action_points_target(program.id)
    if not guard.allows(target, ""):
        result.held.append(target)
        return []
    try:
        created = open_action_points(runtime, config, given, now, programs=[program]).created
    except ConnectorError as exc:
        guard.failed(target, "", exc)
        result.failed.append(target)
        return []
    except Exception as exc:  # a defect here must not stop the KRs' write-back
        log.exception("action points of %s not opened", program.id)
        guard.failed(target, "", TargetRefusal(f"{type(exc).__name__}: {exc}"))
        result.failed.append(target)
        return []
    guard.succeeded(target)
    return created


def checkin_targets(config: OkrConfig) -> list[str]:
    """The check-in targets a flush tries: none when check-in comments are off."""
    if not config.writeback.checkin_comments:
        return []
    return [
        checkin_target((s.id, kr.id))
        for s in config.okr_sets
        for o in s.objectives
        for kr in o.key_results
        if kr.jira_issue
    ]


def checkin_target(ref: KrRef) -> str:
    return f"checkin:{ref_text(ref)}"


def _previous_report(runtime: Runtime) -> tuple[Report | None, OkrConfig | None]:
    """The latest report, and the configuration it was made with when this process made it (then it
    comes from memory, not from Redis). A stored report that is not whole counts as none: every KR is
    evaluated again."""
    number = runtime.redis.get(REPORT_NUMBER)
    kept = runtime.last_report
    if kept is not None and number is not None and kept[0] == int(number):
        return kept[2], kept[1]
    raw = runtime.redis.get(REPORT)
    return (stored_report(json.loads(raw)) if raw else None), None


def _store_report(
    runtime: Runtime, config: OkrConfig, report: Report, trigger: Mapping[str, str], refs: set[KrRef] | None
) -> None:
    """Store the report, then record the readings of the KRs among ``refs`` (all: None) that changed."""
    pipe = runtime.redis.pipeline(transaction=True)
    pipe.set(REPORT, json.dumps(report.to_dict(), default=str))
    pipe.incr(REPORT_NUMBER)
    runtime.last_report = (int(pipe.execute()[-1]), config, report)
    record_readings(runtime.redis, config, report, trigger, refs)
    record_kpi_readings(runtime.redis, config, report)


def live_evaluation_input(runtime: Runtime, config: OkrConfig, now: datetime) -> EvaluationInput:
    pushed = [m for m, d in config.metrics.items() if d.source == "push"]
    fields = runtime.config_store.field_names()
    live = runtime.mirror_in_memory.current(config.zone, fields)
    return evaluation_input(
        now,
        config,
        live.documents(),
        runtime.measurements.for_metrics(pushed),
        fields,
        stored_remote_values(runtime),
        live=live,
        current_user=runtime.config_store.own_account(),
        sql_values=stored_sql_values(runtime),
    )


def contributor_epic_keys(config: OkrConfig, given: EvaluationInput) -> dict[KrRef, list[str]]:
    """The epics whose status property lists each KR: the listed keys, or the JQL's matches."""
    filters = FilterCache()
    keys = {}
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                contributors = kr.contributors
                if contributors is not None and contributors.epics is not None:
                    keys[(okr_set.id, kr.id)] = sorted({k.upper() for k in contributors.epics})
                    continue
                epics = contributing_epics(contributors, given.documents, given, filters)
                if epics is not None:
                    keys[(okr_set.id, kr.id)] = sorted(str(e["key"]) for e in epics)
    return keys


def _checkins(
    runtime: Runtime,
    config: OkrConfig,
    statuses: Mapping[KrRef, dict[str, Any]],
    refs: set[KrRef] | None,
    now: datetime,
    guard: WriteGuard,
    result: FlushReport,
) -> list[str]:
    """Post the check-ins of changed health; a KR whose earlier attempt may still land stays dirty.
    A comment Jira refuses is recorded against its KR; the other KRs' comments go on."""
    posted, waiting = [], []
    pacing = CheckinPacing(runtime.settings.checkin_hold_seconds, runtime.settings.checkin_min_interval_seconds)
    for ref, kr in _checkin_candidates(config, statuses, refs):
        outcome = _checkin(runtime, ref, kr, statuses[ref], now.astimezone(config.zone), guard, result, pacing)
        if outcome is Checkin.POSTED:
            posted.append(f"{kr.jira_issue}:{kr.id}")
        elif outcome is Checkin.WAITING:
            waiting.append(ref_text(ref))
    if waiting:
        mark(runtime.redis, waiting, {"kind": "check-in in flight"})
    return posted


def _checkin_candidates(
    config: OkrConfig, statuses: Mapping[KrRef, dict[str, Any]], refs: set[KrRef] | None
) -> list[tuple[KrRef, KeyResult]]:
    """The KRs with an issue to comment on and a status, among ``refs`` (all when None), when comments are on."""
    candidates = []
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                ref = (okr_set.id, kr.id)
                if not kr.jira_issue or not config.writeback.checkin_comments:
                    continue
                if (refs is not None and ref not in refs) or ref not in statuses:
                    continue
                candidates.append((ref, kr))
    return candidates


def _checkin(
    runtime: Runtime,
    ref: KrRef,
    kr: KeyResult,
    status: dict[str, Any],
    now: datetime,
    guard: WriteGuard,
    result: FlushReport,
    pacing: CheckinPacing,
) -> Checkin | None:
    """One KR's check-in through the write guard; None when it was held or Jira failed on it."""
    issue = str(kr.jira_issue)
    target = checkin_target(ref)
    if not guard.allows(target, issue):
        result.held.append(target)
        return None
    old = runtime.written.health(ref_text(ref))
    try:
        words = checkin_words(runtime, ref, status, old, status["health"], now) if old else CheckinWords("", {})
        outcome = post_checkin(
            configured_jira(runtime),
            runtime.written,
            ref_text(ref),
            issue,
            old,
            status["health"],
            words.text,
            now.astimezone(UTC).date().isoformat(),
            pacing=pacing,
            facts=words.facts,
        )
    except ConnectorError as exc:
        guard.failed(target, issue, exc)
        result.failed.append(target)
        return None
    guard.succeeded(target)
    return outcome


def summarise_triggers(triggers: list[dict[str, Any]]) -> dict[str, str]:
    """The newest trigger, and how many were coalesced into this flush."""
    if not triggers:
        return {"kind": "recovery"}
    newest = {k: str(v) for k, v in triggers[0].items() if k != "at"}
    if len(triggers) > 1:
        newest["coalesced"] = str(len(triggers))
    return newest


def timed(trigger: Mapping[str, str], triggers: list[dict[str, Any]]) -> dict[str, str]:
    """The trigger with the moment of its newest change (``at``, epoch seconds), which a page's as-of line
    says; the Jira values and the recorded readings keep the trigger without it."""
    at = triggers[0].get("at") if triggers else None
    return {**trigger, "at": str(at)} if at is not None else dict(trigger)


def _record_flush(runtime: Runtime, result: FlushReport) -> None:
    pipe = runtime.redis.pipeline(transaction=False)
    pipe.hincrby(STATS, "flushes", 1)
    pipe.hincrbyfloat(STATS, "flush_seconds_total", result.seconds)
    pipe.hset(STATS, "flush_seconds_last", f"{result.seconds:.4f}")
    pipe.execute()
    if result.failed:
        runtime.redis.hincrby(STATS, "writeback_failures", len(result.failed))
    if result.written or result.comments:
        log.info(
            "flush: %d KR(s) dirty, wrote %s, %d unchanged, comments %s (%.2fs)",
            result.dirty,
            result.written,
            result.unchanged,
            result.comments,
            result.seconds,
        )
