"""The figures a demo ends with: what the story did and what the service wrote as a result.

The demo lets the service finish each action's work before the next action, so these figures are a
function of the story (its seed and number of actions), the same on every run at any pace. What would
depend on timing is left out, and the summary says so: how many versions of a page were written depends
on how its changes coalesced (at most one write per page per ``OKRSYNC_PAGES_INTERVAL_SECONDS``), so the
pages are counted by title, not by version."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from okr.report import Report, stored_report
from okrsync.counters import read_counts
from sync import keys
from sync.confluence_writer import page_targets, pages_interval
from sync.kpi_breaches import claim_key
from sync.redis_text import decoded
from sync.runtime import Runtime


@dataclass(frozen=True)
class DemoSummary:
    actions: int  # the story's actions played
    settled: bool  # the service had finished the last action's work when the figures were read
    events_processed: int  # webhook events applied to the mirror
    own_events: int  # of those, made by the service's own account: its write-backs and action points
    link_events: int  # of those, issue links (Jira names no user on them; here, the action points' links)
    jira_writes: int  # writes to Jira whose content had changed
    jira_targets: int  # distinct things written: status properties, fields, check-in comments
    pages: list[str] = field(default_factory=list)  # titles of the pages the service wrote
    pages_interval: float = 0.0  # at most one write per page per this many seconds: versions coalesce
    action_points_opened: int = 0
    krs_by_health: dict[str, int] = field(default_factory=dict)
    kpi_problems: list[str] = field(default_factory=list)  # "set/metric: KEY": the problems KPI breaches opened

    @property
    def story_events(self) -> int:
        """The issue events the story's people made in Jira."""
        return self.events_processed - self.own_events - self.link_events

    def lines(self) -> list[str]:
        """The summary as printed: one figure a line, each the story's (the same on every run)."""
        return [
            f"Summary of {self.actions} action(s) of the story",
            f"  events processed:      {self.events_processed} ({self.story_events} from people's changes in "
            f"the story, {self.own_events} from the service's own writes, {self.link_events} issue links)",
            f"  Jira writes:           {self.jira_writes} (to {self.jira_targets} status properties, fields and "
            "comments; only changed content is written)",
            f"  pages written:         {len(self.pages)} ({', '.join(self.pages) or 'none'})",
            f"                         (counted by title: a page is written at most once every "
            f"{self.pages_interval:g} s, so how many versions it got depends on timing, not on the story)",
            f"  action points opened:  {self.action_points_opened}",
            "  KRs by health:         " + ", ".join(f"{k} {v}" for k, v in sorted(self.krs_by_health.items())),
            f"  KPI breaches escalated: {len(self.kpi_problems)} ({', '.join(self.kpi_problems) or 'none'})",
        ] + ([] if self.settled else ["  (the service had not finished the last action's work: figures partial)"])


def read_summary(runtime: Runtime, actions: int, settled: bool) -> DemoSummary:
    """The figures from the service's counters and records in Redis (the run started from a clean slate)."""
    connection = runtime.redis
    stats = read_counts(connection)
    raw = connection.get(keys.REPORT)
    return DemoSummary(
        actions=actions,
        settled=settled,
        events_processed=int(stats.get("applied", 0)),
        own_events=int(stats.get("applied_own", 0)),
        link_events=int(stats.get("applied_links", 0)),
        jira_writes=int(stats.get("writebacks", 0)),
        jira_targets=int(connection.hlen(keys.WRITTEN)),
        pages=_pages_written(runtime),
        pages_interval=pages_interval(runtime),
        action_points_opened=int(stats.get("action_points_created", 0)),
        krs_by_health=krs_by_health(stored_report(json.loads(raw)) if raw else None),
        kpi_problems=kpi_problems(runtime),
    )


def _pages_written(runtime: Runtime) -> list[str]:
    """The titles of the configured pages the service created or updated, in the configuration's order."""
    config = runtime.config_store.current()
    titles = []
    for target in page_targets(config) if config else ():
        written_at = runtime.redis.hget(keys.PAGE_STATE_PREFIX + target.key, "written_at")
        if written_at is not None and float(decoded(written_at)) > 0:
            titles.append(target.where.title)
    return titles


def kpi_problems(runtime: Runtime) -> list[str]:
    """The problem issue each KPI breach opened, as "set/metric: KEY", in the configuration's order."""
    config = runtime.config_store.current()
    opened = []
    for okr_set in config.okr_sets if config else ():
        for kpi in okr_set.kpis:
            raw = runtime.redis.get(claim_key(okr_set.id, kpi.metric)) if kpi.escalate else None
            claim = json.loads(raw) if raw and decoded(raw).startswith("{") else None
            if claim:
                opened.append(f"{okr_set.id}/{kpi.metric}: {claim['issue']}")
    return opened


def krs_by_health(report: Report | None) -> dict[str, int]:
    """KRs by health in an evaluation."""
    counts: dict[str, int] = {}
    for entry in report.key_results() if report else ():
        counts[entry.kr.health] = counts.get(entry.kr.health, 0) + 1
    return counts
