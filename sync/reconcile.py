"""Reconciliation and resync: Jira's search brings the mirror back to the truth when webhooks were
lost. Differences go through the same path as events (mirror, dirty KRs, flush) and count as drift."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from connector.errors import AuthError, RateLimited, Unavailable
from mapping.models import OkrConfig
from sync import keys
from sync.dirty import RECENT_IDS
from sync.read_ahead import ReadAhead
from sync.read_pages import PageTimes, PageTracker, store_page
from sync.runtime import Runtime
from sync.scheduling import schedule_flush
from sync.two_ended import Meeting, alternating, walked_until_met

log = logging.getLogger(__name__)

WATERMARK = keys.RECONCILE_WATERMARK  # epoch ms: issues updated before this are known
LAST_RUN = keys.RECONCILE_LAST
LAST_RESYNC = keys.RESYNC_LAST
RESYNC_PROGRESS = keys.RESYNC_PROGRESS  # project → "done" or the number of issues walked
STATS = keys.STATS
OVERLAP = timedelta(minutes=10)  # clocks and Jira's index lag; re-reading a little is cheap
DRIFTED_KEPT = 50  # keys a report names; a first resync changes every issue, so only examples are kept
READ_AHEAD_PAGES = 2  # pages a resync fetches ahead of the one it stores
TWO_ENDED_FROM = 10_000  # issues from which a project is walked from both ends (the extra calls stay ≤ 3 %)
# What the mirror document needs; nothing else is fetched.
MIRROR_FIELDS = [
    "summary",
    "project",
    "issuetype",
    "status",
    "labels",
    "components",
    "priority",
    "resolution",
    "assignee",
    "reporter",
    "created",
    "updated",
    "resolutiondate",
    "duedate",
    "parent",
    "issuelinks",
    "*navigable",
]


@dataclass
class WalkTimes(PageTimes):
    """``PageTimes`` and the seconds the walk waited for Jira's next page (what the read-ahead did not hide)."""

    waited: float = 0.0

    def words(self) -> str:
        return f"waiting for Jira {self.waited:.1f} s, converting {self.convert:.1f} s, storing {self.store:.1f} s"


@dataclass
class SyncReport:
    seen: int = 0
    drift: int = 0  # every issue that changed in the mirror
    drifted: list[str] = field(default_factory=list)  # the first DRIFTED_KEPT of them, by key
    watermark: int | None = None
    seconds: float = 0.0
    times: WalkTimes = field(default_factory=lambda: WalkTimes())

    def count_drift(self, key: str) -> None:
        self.drift += 1
        if len(self.drifted) < DRIFTED_KEPT:
            self.drifted.append(key)


def mapped_projects(config: OkrConfig) -> list[str]:
    """The projects mapped to OKRs, plus the projects of problem programs' action points."""
    projects = {p.upper() for s in config.okr_sets for p in s.projects}
    projects |= {program.action_points.project.upper() for program in config.problem_programs}
    return sorted(projects)


def project_clause(projects: Iterable[str]) -> str:
    return "project in (" + ", ".join(json.dumps(p) for p in projects) + ")"


def reconcile(runtime: Runtime, now: datetime | None = None) -> SyncReport:
    """Re-read what changed since the watermark (minus an overlap) and apply the differences."""
    config, jira = _config_and_jira(runtime)
    now = now or datetime.now(UTC)
    started = time.perf_counter()
    projects = mapped_projects(config)
    report = SyncReport()
    if projects:
        watermark = int(runtime.redis.get(WATERMARK) or 0)
        jql = project_clause(projects) + _since(watermark, now) + " ORDER BY updated ASC"
        recent = sorted({int(i) for i in runtime.redis.lrange(RECENT_IDS, 0, -1) if i.isdigit()})
        read_started = runtime.mirror.server_time_ms()
        pages = jira.search_pages(jql, fields=MIRROR_FIELDS, reconcile_issues=recent)
        apply_pages(runtime, pages, report, {"kind": "reconcile"}, read_started_ms=read_started)
        _advance_watermark(runtime, report, now)
    report.seconds = time.perf_counter() - started
    _record(runtime, report, now, "reconcile")
    return report


def _advance_watermark(runtime: Runtime, report: SyncReport, now: datetime) -> None:
    """The newest ``updated`` read, never past now: one issue stamped in the future (a skewed clock)
    must not make later runs skip what changes meanwhile."""
    if report.watermark:
        stored = int(runtime.redis.get(WATERMARK) or 0)
        runtime.redis.set(WATERMARK, clamped_watermark(max(report.watermark, stored), now))


def clamped_watermark(watermark_ms: int, now: datetime) -> int:
    return min(watermark_ms, int(now.timestamp() * 1000))


def _since(watermark_ms: int, now: datetime) -> str:
    """A relative clause (minutes ago) so the Jira account's time zone cannot shift it; the watermark
    counts as at most now, so the clause always reaches back at least the overlap."""
    if not watermark_ms:
        return ""
    since = datetime.fromtimestamp(clamped_watermark(watermark_ms, now) / 1000, UTC) - OVERLAP
    minutes = max(1, math.ceil((now - since).total_seconds() / 60))
    return f' AND updated >= "-{minutes}m"'


def apply_pages(
    runtime: Runtime,
    pages: Iterable[Sequence[dict[str, Any]]],
    report: SyncReport,
    trigger: dict[str, str],
    on_page: Callable[[int], None] | None = None,
    read_started_ms: int | None = None,
) -> None:
    """Store what Jira answered over the mirror where it differs, a page at a time (``sync.read_pages``);
    ``on_page`` hears how many issues the report has seen after each page."""
    tracker = PageTracker(runtime.redis, runtime.config_store)
    started = runtime.mirror.server_time_ms() if read_started_ms is None else read_started_ms
    for page in pages:
        store_page(runtime.mirror, page, report, tracker, trigger, started, report.times)
        if on_page:
            on_page(report.seen)
    if tracker.marked:
        schedule_flush(runtime.redis, runtime.queue_name)


def _config_and_jira(runtime: Runtime) -> tuple[OkrConfig, Any]:
    config = runtime.config_store.current()
    if config is None:
        raise RuntimeError("no configuration applied: run `okrsync apply okrs.yaml` (or set OKRSYNC_CONFIG)")
    if runtime.jira is None:
        raise RuntimeError("no Jira configured: set OKRSYNC_JIRA_URL, OKRSYNC_JIRA_USER and OKRSYNC_JIRA_TOKEN")
    return config, runtime.jira


def _record(runtime: Runtime, report: SyncReport, now: datetime, kind: str) -> None:
    pipe = runtime.redis.pipeline(transaction=False)
    pipe.hincrby(STATS, f"{kind}_runs", 1)
    pipe.hincrby(STATS, f"{kind}_drift", report.drift)
    pipe.set(
        LAST_RUN if kind == "reconcile" else LAST_RESYNC,
        json.dumps(
            {
                "at": now.isoformat(),
                "seen": report.seen,
                "drift": report.drift,
                "drifted": report.drifted[:DRIFTED_KEPT],
                "seconds": round(report.seconds, 3),
            }
        ),
    )
    pipe.execute()
    if report.drift and kind == "reconcile":  # webhooks were missed: worth a warning
        log.warning("reconcile: %d of %d issue(s) had drifted: %s", report.drift, report.seen, report.drifted[:20])
    elif report.drift:
        log.info("%s: %d of %d issue(s) changed in the mirror", kind, report.drift, report.seen)


def resync(
    runtime: Runtime,
    full: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
    now: datetime | None = None,
) -> SyncReport:
    """Walk every mapped project. Resumable: projects already walked are skipped unless ``full``;
    ``full`` also forgets mirrored issues of those projects that Jira no longer has."""
    config, jira = _config_and_jira(runtime)
    if full:
        runtime.redis.delete(RESYNC_PROGRESS)
    report = SyncReport()
    started = time.perf_counter()
    for project in mapped_projects(config):
        if runtime.redis.hget(RESYNC_PROGRESS, project) == b"done":
            continue
        _resync_project(runtime, jira, project, full, progress, report)
        runtime.redis.hset(RESYNC_PROGRESS, project, "done")
    runtime.redis.delete(RESYNC_PROGRESS)
    _advance_watermark(runtime, report, now or datetime.now(UTC))
    report.seconds = time.perf_counter() - started
    log.info("resync: %d issue(s) in %.1f s: %s", report.seen, report.seconds, report.times.words())
    _record(runtime, report, now or datetime.now(UTC), "resync")
    return report


def _counted_since(walked: Callable[[int], None], before: int, seen: int) -> None:
    """Tell ``walked`` how many issues the project's walk has seen (``seen`` counts the whole resync)."""
    walked(seen - before)


def _resync_project(
    runtime: Runtime,
    jira: Any,
    project: str,
    full: bool,
    progress: Callable[[str, int, int | None], None] | None,
    report: SyncReport,
) -> None:
    """Mirror one project's issues into ``report``; ``full`` also forgets the ones Jira no longer has.
    The next pages are fetched while one is stored (``sync.read_ahead``), the first while the project's
    issues are counted for the progress bar; a project of ``TWO_ENDED_FROM`` issues or more is walked
    from both ends at once (``sync.two_ended``)."""
    seen_keys: set[str] = set()
    read_started = runtime.mirror.server_time_ms()
    before = report.seen
    meeting = Meeting()
    with ExitStack() as stack:
        walks = [stack.enter_context(_walk(jira, project, meeting, upward=True))]
        total = _count(jira, project)
        if total is not None and total >= TWO_ENDED_FROM:
            walks.append(stack.enter_context(_walk(jira, project, meeting, upward=False)))
        fetched = alternating(walks) if len(walks) > 1 else walks[0]

        def walked(count: int) -> None:
            if progress:
                progress(project, count, total)

        apply_pages(
            runtime,
            _recording_keys(fetched, seen_keys) if full else fetched,  # only a full resync needs the keys
            report,
            {"kind": "resync"},
            on_page=partial(_counted_since, walked, before),
            read_started_ms=read_started,
        )
    report.times.waited += sum(walk.waited for walk in walks)
    if full:
        _forget_missing(runtime, project, seen_keys, report)


def _walk(jira: Any, project: str, meeting: Meeting, upward: bool) -> ReadAhead[Sequence[dict[str, Any]]]:
    """The project's search in key order (``upward``) or against it, read ahead until the walks meet."""
    order = "ASC" if upward else "DESC"
    pages = jira.search_pages(f"{project_clause([project])} ORDER BY key {order}", fields=MIRROR_FIELDS)
    name = f"resync {project}" + ("" if upward else " down")
    return ReadAhead(walked_until_met(pages, meeting, upward), depth=READ_AHEAD_PAGES, name=name)


def _count(jira: Any, project: str) -> int | None:
    """The project's issue count for the progress bar, None when Jira cannot count it. A site that is
    unreachable, throttling or refusing the account is said at once: the walk would only retry it again."""
    try:
        return int(jira.count(project_clause([project])))
    except (AuthError, RateLimited, Unavailable):
        raise
    except Exception:  # a count is only for the progress bar
        return None


def _recording_keys(pages: Iterable[Sequence[dict[str, Any]]], keys: set[str]) -> Iterator[Sequence[dict[str, Any]]]:
    for page in pages:
        keys.update(str(issue.get("key")) for issue in page)
        yield page


def _forget_missing(runtime: Runtime, project: str, seen: set[str], report: SyncReport) -> None:
    """Delete the project's mirrored issues that the walk did not see. Found in the key index (an issue's
    key starts with its project's), each confirmed by its document before it is deleted."""
    now_ms = int(time.time() * 1000)
    for key, issue_id in sorted(runtime.mirror.indexed().items()):
        if key in seen or key.rsplit("-", 1)[0] != project:
            continue
        document = runtime.mirror.get(issue_id)
        if document is not None and document.get("project") == project:
            runtime.mirror.delete(issue_id, key, now_ms)
            report.count_drift(key)
