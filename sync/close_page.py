"""A closed cycle's page for each of its sets with a Confluence page, "{page title} — close {cycle id}",
under the set's page, written once per freeze.

A close (by the scheduler or ``okrsync close``) leaves a close record; the page of each freeze is
claimed like the rituals (``sync.cadence.once``) on (set, cycle, closed_at), so it is written once
whoever runs it. ``okrsync close CYCLE --again`` is a new freeze: its run replaces the service's
panels on the existing page and keeps everything outside them — the learnings people wrote.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from typing import Any

from connector.confluence import Page
from connector.errors import Conflict
from mapping.models import OkrConfig, OkrSet
from okr.closing import CloseRecord
from publish.confluence.close_page import CloseInput, ProgramOutcome, close_page, close_title
from publish.confluence.okr_page import RenderedPage
from publish.confluence.regions import merge_regions, regions_equal
from publish.people import people_of_set
from sync import keys
from sync.cadence import Outcome, RitualRun, create_once, once, page_written, set_page
from sync.cadence_writes import record_failed, record_written
from sync.closed import close_records
from sync.confluence_writer import MAX_ATTEMPTS, PageConflictError, latest_report
from sync.kr_changes import kr_changes_of_set
from sync.people import refresh_people
from sync.runtime import Runtime

log = logging.getLogger(__name__)

CLAIM = keys.CADENCE_CLAIM_PREFIX  # + "set/close/cycle@closed_at"


def _claim(okr_set: OkrSet, record: CloseRecord) -> str:
    return f"{CLAIM}{okr_set.id}/close/{record.cycle}@{record.closed_at}"


def _closed_sets(runtime: Runtime, cycle_id: str | None = None) -> list[tuple[OkrConfig, OkrSet, CloseRecord]]:
    config = runtime.config_store.current() if runtime.confluence is not None else None
    if config is None:
        return []
    records = close_records(runtime.redis)
    return [
        (config, okr_set, records[okr_set.cycle])
        for okr_set in config.okr_sets
        if okr_set.confluence is not None
        and okr_set.cycle in records
        and (cycle_id is None or okr_set.cycle == cycle_id)
    ]


def owed_close_pages(runtime: Runtime) -> list[tuple[str, str]]:
    """(set, cycle) of each freeze whose page is not written yet: Redis reads only (the scheduler's)."""
    return [
        (okr_set.id, record.cycle)
        for _, okr_set, record in _closed_sets(runtime)
        if page_written(runtime, f"set:{okr_set.id}") and not runtime.redis.exists(_claim(okr_set, record))
    ]


def write_close_pages(runtime: Runtime, cycle_id: str | None = None, now: datetime | None = None) -> list[RitualRun]:
    """The close page of every closed set (of ``cycle_id``) whose latest freeze has no page yet."""
    at = now or datetime.now(UTC)
    runs = []
    for config, okr_set, record in _closed_sets(runtime, cycle_id):
        write = partial(_write, runtime, config, okr_set, record, at)
        outcome, detail = once(runtime, _claim(okr_set, record), write)
        if outcome == "failed":
            log.warning("close page of %s for %s not written: %s", okr_set.id, record.cycle, detail)
            title = close_title(okr_set.confluence.title if okr_set.confluence else okr_set.name, record.cycle)
            record_failed(runtime.redis, okr_set.id, "close", title, detail, at)
        if outcome != "already":
            runs.append(RitualRun(okr_set.id, "close", record.cycle, outcome, detail))
    return runs


def _write(
    runtime: Runtime, config: OkrConfig, okr_set: OkrSet, record: CloseRecord, at: datetime
) -> tuple[Outcome, str]:
    confluence, where = runtime.confluence, okr_set.confluence
    assert confluence is not None and where is not None
    parent = set_page(runtime, okr_set)
    rendered = close_page(close_input(runtime, config, okr_set, record, at))
    page = confluence.find_page(where.space, rendered.title)
    if page is None:
        created = create_once(runtime, where, rendered, parent)
        if created is not None:
            record_written(runtime.redis, okr_set.id, "close", rendered.title, created.url, at)
            return "created", rendered.title
        page = confluence.find_page(where.space, rendered.title)
        assert page is not None
    outcome = _refresh(runtime, page, rendered)
    if outcome == "refreshed":
        record_written(runtime.redis, okr_set.id, "close", rendered.title, page.url, at)
    return outcome, rendered.title


def _refresh(runtime: Runtime, page: Page, rendered: RenderedPage) -> Outcome:
    """The service's panels replaced, everything else kept; a save in between is merged into."""
    confluence = runtime.confluence
    assert confluence is not None
    for _ in range(MAX_ATTEMPTS):
        if regions_equal(page.body, rendered.regions):
            return "unchanged"
        try:
            confluence.update_page(page, merge_regions(page.body, rendered.regions), "OKR Sync: the close refreshed")
        except Conflict:
            page = confluence.get_page(page.id)
            continue
        return "refreshed"
    raise PageConflictError(f"the close page changed under each of {MAX_ATTEMPTS} writes in a row")


def close_input(runtime: Runtime, config: OkrConfig, okr_set: OkrSet, record: CloseRecord, at: datetime) -> CloseInput:
    metrics = {kr.metric for o in okr_set.objectives for kr in o.key_results if kr.metric}
    where = okr_set.confluence
    return CloseInput(
        config=config,
        okr_set=okr_set,
        record=record,
        page_title=where.title if where else okr_set.name,
        at=at,
        tz=config.zone,
        metric_history={m: runtime.config_store.metric_history(m) for m in metrics},
        kr_changes=kr_changes_of_set(runtime.redis, okr_set),
        programs=program_outcomes(runtime, config, okr_set),
        names=refresh_people(runtime, people_of_set(okr_set)),
    )


def program_outcomes(runtime: Runtime, config: OkrConfig, okr_set: OkrSet) -> tuple[ProgramOutcome, ...]:
    """What each problem program the set reads achieved, from the latest evaluation."""
    metrics = [config.metrics.get(kr.metric or "") for o in okr_set.objectives for kr in o.key_results]
    read = {m.program for m in metrics if m is not None and m.source == "problems" and m.program}
    report = latest_report(runtime.redis)
    names = {p.id: p.name for p in config.problem_programs}
    found = report.problem_programs if report else ()
    return tuple(ProgramOutcome(names.get(p["id"], p["id"]), program_text(p)) for p in found if p.get("id") in read)


def program_text(program: dict[str, Any] | Any) -> str:
    clusters = list(program.get("clusters", ()))
    aps = list(program.get("action_points", ()))
    above = sum(1 for c in clusters if c.get("candidate"))
    verdicts = [ap.get("effectiveness") for ap in aps]
    overdue = sum(1 for ap in aps if "overdue" in ap.get("flags", ()))
    return (
        f"{len(clusters)} cluster(s) ({above} above the threshold); {len(aps)} action point(s): "
        f"{verdicts.count('effective')} effective, {verdicts.count('ineffective')} ineffective, {overdue} overdue"
    )
