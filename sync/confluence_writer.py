"""Confluence pages: one per OKR set and per problem program, with regions the service owns.

The shell around the pure renderers (``publish.confluence.okr_page``, ``publish.confluence.review_page``)
and the region merge
(``publish.confluence.regions``):

- **Coalescing.** A page is written at most once per ``pages_interval_seconds`` (default 30). A flush
  inside the interval marks the page pending; once the interval has passed the scheduler has a worker
  publish it (``publish_due_pages``), from the latest evaluation.
- **Write only what changed.** The digest of the rendered regions (the as-of stamp aside) is kept in
  Redis: the same digest → no Confluence call at all. Otherwise the page is read, and when its regions
  already say exactly this, nothing is written either. So the page version moves only for news.
- **People's words.** Only the regions are replaced; everything else is copied through. An edit made
  between the read and the write answers 409: re-read, re-merge, write again (bounded).
- **Never in the way.** A Confluence failure is logged, counted and retried on a later round; it never
  fails the flush that also writes to Jira.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, Literal

import redis

from connector.errors import BadRequest, Conflict, ConnectorError, NotFound
from mapping.measurements import Measurement
from mapping.models import ConfluenceTarget, KeyResult, OkrConfig, OkrSet, ProblemProgram
from okr.evaluate import contributing_epics, evaluation_input
from okr.history import moved_values, moves_in
from okr.metrics import EvaluationInput, FilterCache, counted_documents, program_result
from okr.problems.model import ProgramResult, issue_order
from okr.report import Report, stored_report
from okr.timeframe import cycle_bounds
from publish.confluence.formatting import change_summary
from publish.confluence.okr_page import Counted, Epic, PageContext, RenderedPage, counted_of, okr_set_page
from publish.confluence.regions import merge_regions, regions_equal
from publish.confluence.review_page import problem_review_page
from publish.people import people_of_set
from sync import keys
from sync.dirty import mark, ref_text
from sync.history import readings_of_many
from sync.kr_changes import kr_changes_of_set
from sync.people import refresh_people
from sync.redis_text import decoded
from sync.review_records import latest_review_at
from sync.runtime import Runtime
from sync.scheduling import schedule_flush

log = logging.getLogger(__name__)

PREFIX = keys.PAGES_PREFIX
PENDING = keys.PAGES_PENDING  # page key → JSON {"since": epoch seconds, "trigger": {...}}
STATE = keys.PAGE_STATE_PREFIX  # + page key: hash page_id, url, digest, facts, written_at, failed_at, reason
REASON_CHARS = 300  # a failure's reason as kept for Sync health
LOCK = keys.PAGE_LOCK_PREFIX  # + page key: one publisher per page at a time
TREND = keys.PAGE_TREND_PREFIX  # + "<set>/<kr>": no longer written; trends read sync.history
REPORT = keys.REPORT  # the latest evaluation, written by every flush (status pages, the admin API)
REPORT_NUMBER = keys.REPORT_NUMBER  # counts reports written, by any process
STATS = keys.STATS
TREND_KEPT = 12  # values a KR moved through, on its page
TREND_READINGS = 60  # the newest readings those values are read from
HISTORY_READINGS = 400  # the newest readings a KR's chart on its page is drawn from (a quarter of daily ones and moves)
MAX_ATTEMPTS = 5  # writes tried against a page that keeps changing under us
LOCK_SECONDS = 120
DEFAULT_INTERVAL = 30.0
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

Outcome = Literal["created", "written", "unchanged", "failed"]


class PageConflictError(ConnectorError):
    """The page changed under every attempt to write it; it stays pending and is retried later."""


@dataclass(frozen=True)
class PageTarget:
    key: str  # "set:shop-q4" | "program:platform-reverse-drive"
    kind: Literal["set", "program"]
    id: str
    where: ConfluenceTarget


@dataclass
class PageState:
    page_id: str | None = None
    url: str | None = None  # where people read the page, once Confluence said it
    digest: str | None = None
    facts: dict[str, list[str]] | None = None
    written_at: float = 0.0
    failed_at: float = 0.0


# ---------------------------------------------------------------------------------- entry points


def publish_pages(
    runtime: Runtime,
    config: OkrConfig,
    report: Report,
    now: datetime,
    given: EvaluationInput | None = None,
    trigger: Mapping[str, str] | None = None,
) -> None:
    """Called at the end of every flush with the fresh evaluation.

    The pages say "as of" the report's time; ``given`` (the flush's evaluation input) saves reading
    the mirror again, and ``trigger`` (what started the flush) goes into the as-of line. Coalescing
    runs on the wall clock, whatever ``now`` is.
    """
    if runtime.confluence is None:
        return
    clock = time.time()
    due = [t for t in page_targets(config) if _due_or_deferred(runtime, t, clock, trigger)]
    if due:
        _publish(runtime, config, report, due, clock, given, trigger)


def publish_due_pages(runtime: Runtime, now: datetime | None = None) -> int:
    """Pages whose coalescing interval has passed (the scheduler has a worker run this: the worker's
    copy of the mirror is at hand there); returns how many were published. A page published by
    someone else meanwhile, or a newer report, ends this run for that page."""
    number = runtime.redis.get(REPORT_NUMBER)
    due = due_pages(runtime, now)
    if due is None or not due.targets:
        return 0
    clock = now.timestamp() if now is not None else time.time()
    given = _evaluation_input(runtime, due.config, datetime.fromisoformat(due.report.at))
    published = 0
    for target in due.targets:
        if runtime.redis.get(REPORT_NUMBER) != number:
            break  # a newer report came meanwhile: its flush publishes or marks the pages again
        published += _publish(
            runtime,
            due.config,
            due.report,
            [target],
            clock,
            given,
            due.pending[target.key].get("trigger"),
            only_pending=True,
        )
    return published


@dataclass(frozen=True)
class DuePages:
    config: OkrConfig
    report: Report
    pending: dict[str, dict[str, Any]]  # page key → {"since", "trigger"}
    targets: list[PageTarget]  # the pending pages whose interval has passed


def due_pages(runtime: Runtime, now: datetime | None = None) -> DuePages | None:
    """The pending pages whose interval has passed (with the configuration, the latest report and
    what is pending); a few Redis reads, no evaluation. Pages no longer configured are dropped."""
    if runtime.confluence is None:
        return None
    pending = {decoded(k): json.loads(v) for k, v in runtime.redis.hgetall(PENDING).items()}
    if not pending:
        return None
    clock = now.timestamp() if now is not None else time.time()
    config, report = runtime.config_store.current(), latest_report(runtime.redis)
    if config is None or report is None:
        return None
    targets = {t.key: t for t in page_targets(config)}
    gone = [k for k in pending if k not in targets]  # pages no longer configured
    if gone:
        runtime.redis.hdel(PENDING, *gone)
    interval = pages_interval(runtime)
    due = [
        targets[key]
        for key in pending
        if key in targets and clock - _last_attempt(_state(runtime.redis, key)) >= interval
    ]
    return DuePages(config, report, pending, due)


def pages_interval(runtime: Runtime) -> float:
    return float(getattr(runtime.settings, "pages_interval_seconds", DEFAULT_INTERVAL))


def page_targets(config: OkrConfig) -> list[PageTarget]:
    """Every configured page: OKR sets and problem programs with a ``confluence`` block."""
    targets = [PageTarget(f"set:{s.id}", "set", s.id, s.confluence) for s in config.okr_sets if s.confluence]
    targets += [
        PageTarget(f"program:{p.id}", "program", p.id, p.confluence) for p in config.problem_programs if p.confluence
    ]
    return targets


def page_urls(connection: redis.Redis, config: OkrConfig) -> dict[str, str]:
    """Each OKR set's page address, for the sets whose page Confluence has told us where it is (one round trip)."""
    sets = [s.id for s in config.okr_sets if s.confluence]
    if not sets:
        return {}
    pipe = connection.pipeline(transaction=False)
    for set_id in sets:
        pipe.hget(STATE + f"set:{set_id}", "url")
    return {set_id: decoded(url) for set_id, url in zip(sets, pipe.execute(), strict=True) if url}


# ---------------------------------------------------------------------------------- coalescing


def _due_or_deferred(runtime: Runtime, target: PageTarget, clock: float, trigger: Mapping[str, str] | None) -> bool:
    """Due when the interval since the last write (or failure) has passed; otherwise marked pending."""
    if clock - _last_attempt(_state(runtime.redis, target.key)) >= pages_interval(runtime):
        return True
    _mark_pending(runtime.redis, target, clock, trigger)
    runtime.redis.hincrby(STATS, "page_deferred", 1)
    return False


def _last_attempt(state: PageState) -> float:
    return max(state.written_at, state.failed_at)


def _mark_pending(connection: redis.Redis, target: PageTarget, clock: float, trigger: Mapping[str, str] | None) -> None:
    connection.hset(PENDING, target.key, json.dumps({"since": clock, "trigger": dict(trigger or {})}))


@contextmanager
def _page_lock(connection: redis.Redis, target: PageTarget) -> Iterator[bool]:
    token = uuid.uuid4().hex
    held = bool(connection.set(LOCK + target.key, token, nx=True, ex=LOCK_SECONDS))
    try:
        yield held
    finally:
        if held:
            connection.eval(RELEASE, 1, LOCK + target.key, token)


# ---------------------------------------------------------------------------------- publishing


def _publish(
    runtime: Runtime,
    config: OkrConfig,
    report: Report,
    targets: list[PageTarget],
    clock: float,
    given: EvaluationInput | None,
    trigger: Mapping[str, str] | None,
    only_pending: bool = False,
) -> int:
    """Publish each target under its lock; ``only_pending``: skip one that is no longer pending
    (published meanwhile by a flush). Returns how many went through (written or found unchanged)."""
    at = datetime.fromisoformat(report.at)
    given = given or _evaluation_input(runtime, config, at)
    done = 0
    for target in targets:
        with _page_lock(runtime.redis, target) as held:
            if not held:  # another process is writing this page: it goes again after that
                _mark_pending(runtime.redis, target, clock, trigger)
                continue
            if not runtime.redis.hdel(PENDING, target.key) and only_pending:
                continue
            outcome = _publish_safely(
                runtime, target, partial(render_target, runtime, config, report, target, given, trigger), clock
            )
            if outcome == "failed":
                _mark_pending(runtime.redis, target, clock, trigger)
            else:
                done += 1
    return done


def _publish_safely(
    runtime: Runtime, target: PageTarget, rendered: Callable[[], RenderedPage], clock: float
) -> Outcome:
    """The outermost edge of a page write: a failure is logged and counted, never raised into the flush."""
    try:
        return publish_page(runtime, target, rendered(), clock)
    except ConnectorError as exc:
        log.warning("Confluence page %r (space %s) not updated: %s", target.where.title, target.where.space, exc)
        reason = str(exc)
    except Exception as exc:  # a page must never stop the Jira write-back that follows it
        log.exception("Confluence page %r (space %s) not rendered", target.where.title, target.where.space)
        reason = f"not rendered ({type(exc).__name__}: {exc}); the worker's log has the details"
    runtime.redis.hset(STATE + target.key, mapping={"failed_at": clock, "reason": reason[:REASON_CHARS]})
    runtime.redis.hincrby(STATS, "page_failures", 1)
    return "failed"


def publish_page(runtime: Runtime, target: PageTarget, rendered: RenderedPage, clock: float) -> Outcome:
    """Create the page, or merge the regions into it; write only when they changed."""
    state = _state(runtime.redis, target.key)
    if state.page_id and state.digest == rendered.content_digest:
        runtime.redis.hincrby(STATS, "page_unchanged", 1)
        return "unchanged"
    page = _open_page(runtime.confluence, target, state.page_id)
    if page is None:
        page = _create_page(runtime.confluence, target, rendered)
        _remember(runtime.redis, target, page.id, rendered, clock, wrote=True, url=page.url)
        runtime.redis.hincrby(STATS, "page_creates", 1)
        _point_links_at(runtime, target)
        return "created"
    return _update_page(runtime, target, page, rendered, state, clock)


def _point_links_at(runtime: Runtime, target: PageTarget) -> None:
    """A set's page now has an address: its KRs are recomputed at once, so the remote links on their
    issues point at the page from the next flush on (not only after the periodic recomputation)."""
    config = runtime.config_store.current()
    okr_set = next((s for s in config.okr_sets if s.id == target.id), None) if config else None
    if target.kind != "set" or okr_set is None:
        return
    members = [ref_text((okr_set.id, kr.id)) for objective in okr_set.objectives for kr in objective.key_results]
    if members:
        mark(runtime.redis, members, {"kind": "page", "page": target.where.title})
        schedule_flush(runtime.redis, runtime.queue_name)


def _update_page(
    runtime: Runtime, target: PageTarget, page: Any, rendered: RenderedPage, state: PageState, clock: float
) -> Outcome:
    confluence = runtime.confluence
    assert confluence is not None
    message = change_summary(state.facts, rendered.facts) if state.facts is not None else "OKR Sync: panels refreshed"
    for _ in range(MAX_ATTEMPTS):
        if regions_equal(page.body, rendered.regions, ignore=rendered.volatile):
            _remember(runtime.redis, target, page.id, rendered, clock, wrote=False, url=page.url)
            runtime.redis.hincrby(STATS, "page_unchanged", 1)
            return "unchanged"
        try:
            page = confluence.update_page(page, merge_regions(page.body, rendered.regions), message)
        except Conflict:  # someone saved in between: their edit is kept by merging into it
            runtime.redis.hincrby(STATS, "page_conflicts", 1)
            page = confluence.get_page(page.id)
            continue
        _remember(runtime.redis, target, page.id, rendered, clock, wrote=True, url=page.url)
        return "written"
    raise PageConflictError(
        f"the page changed under each of {MAX_ATTEMPTS} writes in a row; it stays pending "
        "and is written on a later round"
    )


def _open_page(confluence: Any, target: PageTarget, page_id: str | None) -> Any:
    """The page by its remembered id (it may have been renamed or moved), else by space and title."""
    if page_id:
        try:
            return confluence.get_page(page_id)
        except NotFound:
            log.info("Confluence page %s is gone; looking for %r by title", page_id, target.where.title)
    return confluence.find_page(target.where.space, target.where.title)


def _create_page(confluence: Any, target: PageTarget, rendered: RenderedPage) -> Any:
    where = target.where
    parent_id = _parent_id(confluence, where)
    try:
        return confluence.create_page(where.space, where.title, rendered.new_page_body(), parent_id)
    except BadRequest:  # created by another process since we looked; update that one instead
        found = confluence.find_page(where.space, where.title)
        if found is None:
            raise
        return found
    except NotFound as exc:
        raise NotFound(
            f"{exc} — check that the Confluence space {where.space!r} exists and the account can "
            f"add pages to it (confluence.space of {target.key})",
            status=exc.status,
        ) from exc


def _parent_id(confluence: Any, where: ConfluenceTarget) -> str | None:
    if not where.parent:
        return None
    parent = confluence.find_page(where.space, where.parent)
    if parent is None:
        log.warning(
            "Confluence parent page %r not found in space %s: %r is created at the top of the space; "
            "create the parent and move the page under it (updates keep working)",
            where.parent,
            where.space,
            where.title,
        )
        return None
    return str(parent.id)


# ---------------------------------------------------------------------------------- rendering


def render_target(
    runtime: Runtime,
    config: OkrConfig,
    report: Report,
    target: PageTarget,
    given: EvaluationInput,
    trigger: Mapping[str, str] | None,
) -> RenderedPage:
    base = PageContext(
        at=given.at,
        tz=config.zone,
        jira_url=runtime.settings.jira_url,
        interval_seconds=pages_interval(runtime),
        trigger=trigger,
    )
    if target.kind == "program":
        program = next(p for p in config.problem_programs if p.id == target.id)
        found = program_result(program, given, FilterCache())
        names = refresh_people(runtime, people_of(program, found))
        since = latest_review_at(runtime.redis, program.id)
        return problem_review_page(program, found, replace(base, names=names), since)
    okr_set = next(s for s in config.okr_sets if s.id == target.id)
    result = report.okr_set(target.id)
    if result is None:
        raise LookupError(f"the evaluation report has no result for OKR set {target.id}")
    return okr_set_page(config, okr_set, result, set_context(runtime, config, okr_set, given, base))


def set_context(
    runtime: Runtime, config: OkrConfig, okr_set: OkrSet, given: EvaluationInput, base: PageContext
) -> PageContext:
    """What a set's page shows beyond the evaluation, read from Redis and the mirror."""
    return replace(
        base,
        trends=read_trends(runtime.redis, okr_set),
        history=read_history(runtime.redis, config, okr_set),
        epics=contributor_epics(okr_set, given),
        metric_history={m: runtime.config_store.metric_history(m) for m in _metrics_of(okr_set)},
        kr_changes=kr_changes_of_set(runtime.redis, okr_set),
        names=refresh_people(runtime, people_of_set(okr_set)),
        counted=counted_issues(config, okr_set, given),
        pushed_by=pushers(runtime, config, okr_set, given.at),
    )


def counted_issues(config: OkrConfig, okr_set: OkrSet, given: EvaluationInput) -> dict[str, Counted]:
    """Each measured KR's issues counted by its ``source: jira`` metric, from the mirror."""
    filters = FilterCache()
    found = {kr.id: kr_counted(config, okr_set, kr, given, filters) for o in okr_set.objectives for kr in o.key_results}
    return {kr_id: counted for kr_id, counted in found.items() if counted is not None}


def kr_counted(
    config: OkrConfig, okr_set: OkrSet, kr: KeyResult, given: EvaluationInput, filters: FilterCache
) -> Counted | None:
    """The issues one KR's metric counts in its set's cycle; None when its metric counts no issues here."""
    metric = config.metrics.get(kr.metric or "")
    if metric is None or kr.unmeasured:
        return None
    documents = counted_documents(metric, config.cycle(okr_set.cycle), given, filters)
    return None if documents is None else counted_of(documents)


def pushers(runtime: Runtime, config: OkrConfig, okr_set: OkrSet, at: datetime) -> dict[str, str]:
    """Each pushed metric of the set → who pushed the value it reads (its latest measurement's source)."""
    pushed = sorted(m for m in _metrics_of(okr_set) | {k.metric for k in okr_set.kpis} if _pushed(config, m))
    latest: dict[str, Measurement] = {}
    for measurement in runtime.measurements.for_metrics(pushed) if pushed else []:
        newest = latest.get(measurement.metric)
        if measurement.at <= at and (newest is None or measurement.at >= newest.at):
            latest[measurement.metric] = measurement
    return {metric: m.source for metric, m in latest.items() if m.source}


def _pushed(config: OkrConfig, metric_id: str) -> bool:
    metric = config.metrics.get(metric_id)
    return metric is not None and metric.source == "push"


def people_of(program: ProblemProgram, result: ProgramResult) -> list[str]:
    """The people a problem review page names: the sources' owners and the action points' assignees."""
    owners = [s.owner for s in program.sources if s.owner]
    return [*owners, *(ap.assignee for ap in result.action_points if ap.assignee)]


def contributor_epics(okr_set: OkrSet, given: EvaluationInput) -> dict[str, list[Epic]]:
    """Each KR's contributing epics from the mirror; listed keys Jira has not shown us stay listed."""
    filters = FilterCache()
    found: dict[str, list[Epic]] = {}
    for objective in okr_set.objectives:
        for kr in objective.key_results:
            documents = contributing_epics(kr.contributors, given.documents, given, filters)
            if documents is None:
                continue
            epics = {str(d["key"]).upper(): Epic(str(d["key"]), d.get("summary"), d.get("status")) for d in documents}
            for key in (kr.contributors.epics or []) if kr.contributors else []:
                epics.setdefault(key.upper(), Epic(key.upper(), None, "not seen in Jira yet"))
            found[kr.id] = sorted(epics.values(), key=lambda e: issue_order(e.key))
    return found


def _metrics_of(okr_set: OkrSet) -> set[str]:
    return {kr.metric for o in okr_set.objectives for kr in o.key_results if kr.metric}


def _evaluation_input(runtime: Runtime, config: OkrConfig, at: datetime) -> EvaluationInput:
    """The mirror at ``at``, for contributing epics and problem programs (pushed values are not needed):
    this process's copy kept in memory, caught up from the change feed."""
    fields = runtime.config_store.field_names()
    live = runtime.mirror_in_memory.current(config.zone, fields)
    return evaluation_input(
        at, config, live.documents(), (), fields, live=live, current_user=runtime.config_store.own_account()
    )


def latest_report(connection: redis.Redis) -> Report | None:
    raw = connection.get(REPORT)
    return stored_report(json.loads(raw)) if raw else None


# ---------------------------------------------------------------------------------- trends and state


def read_trends(connection: redis.Redis, okr_set: OkrSet) -> dict[str, list[float]]:
    """Each KR's recent values, oldest first, from its recorded readings (never recomputed)."""
    refs = [(okr_set.id, kr.id) for o in okr_set.objectives for kr in o.key_results]
    found = readings_of_many(connection, refs, TREND_READINGS)
    return {kr_id: moved_values(found[(set_id, kr_id)], TREND_KEPT) for set_id, kr_id in refs}


def read_history(
    connection: redis.Redis, config: OkrConfig, okr_set: OkrSet
) -> dict[str, list[tuple[datetime, float | None]]]:
    """Each KR's recorded moves inside its set's cycle, for the page's chart (never recomputed)."""
    start, end = cycle_bounds(config.cycle(okr_set.cycle), config.zone)
    refs = [(okr_set.id, kr.id) for o in okr_set.objectives for kr in o.key_results]
    found = readings_of_many(connection, refs, HISTORY_READINGS)
    return {kr_id: moves_in(found[(set_id, kr_id)], start, end) for set_id, kr_id in refs}


def _state(connection: redis.Redis, key: str) -> PageState:
    raw = {decoded(k): decoded(v) for k, v in connection.hgetall(STATE + key).items()}
    return PageState(
        page_id=raw.get("page_id"),
        url=raw.get("url"),
        digest=raw.get("digest"),
        facts=json.loads(raw["facts"]) if "facts" in raw else None,
        written_at=float(raw.get("written_at", 0)),
        failed_at=float(raw.get("failed_at", 0)),
    )


def _remember(
    connection: redis.Redis,
    target: PageTarget,
    page_id: str,
    rendered: RenderedPage,
    clock: float,
    wrote: bool,
    url: str | None = None,
) -> None:
    fields: dict[Any, str | float] = {
        "page_id": page_id,
        "digest": rendered.content_digest,
        "facts": json.dumps(rendered.facts),
        "failed_at": 0,
        "reason": "",
    }
    if url:
        fields["url"] = url
    pipe = connection.pipeline(transaction=False)
    if wrote:
        fields["written_at"] = clock
        pipe.hincrby(STATS, "page_writes", 1)
    pipe.hset(STATE + target.key, mapping=fields)
    pipe.execute()
