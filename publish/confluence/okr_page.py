"""The Confluence page of an OKR set, rendered as the regions the service owns (pure).

    page = okr_set_page(config, okr_set, set_result, context)
    page.regions            # (name, storage markup) in page order
    page.content_digest     # changes only when what the page says changes (not its as-of time)
    page.facts              # per KR: health, score, current — for the version comment

The ``as-of`` region is volatile: it is refreshed whenever the page is written, but a new as-of time
alone is never a reason to write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, tzinfo
from typing import Any

from mapping.models import KeyResult, Objective, OkrConfig, OkrSet
from okr.checkins import age_words, confidence_text
from okr.problems.model import issue_order
from okr.report import KeyResultReport, ObjectiveReport, SetReport
from okr.scope import ScopeFacts
from okr.timeframe import cycle_bounds
from publish.charts import KrHistory
from publish.closed import closed_text, late_text
from publish.confluence import formatting as fmt
from publish.confluence.chart_tables import kr_chart_table
from publish.confluence.regions import initial_body, region_macro
from publish.confluence.templates import render
from publish.decision import decision_words
from publish.kinds import kind_words
from publish.kr_changes import changes_between
from publish.people import Names, kr_owners_text, person
from publish.triggers import trigger_words
from publish.warehouse import KPI_STATE_COLOURS, KPI_STATE_WORDS, band_words
from publish.words import (
    clock,
    counted_words,
    date_words,
    day,
    numbered_version,
    plural,
    stamp,
    version_numbers,
)

AS_OF = "as-of"
COUNTED_SHOWN = 20  # the issues a KR's section lists by name; "and N more" says the rest
ROOM = "<p />"  # an empty paragraph: room for people's text between the panels
HINT = (
    "<p><em>Write your own notes, decisions and links anywhere outside the OKR Sync panels; "
    "every update keeps them.</em></p>"
)


@dataclass(frozen=True)
class Epic:
    key: str
    summary: str | None
    status: str | None


@dataclass(frozen=True)
class Counted:
    """The issues a KR's metric counts: the first ``COUNTED_SHOWN`` in key order, and how many in all."""

    shown: tuple[Epic, ...]
    total: int


def counted_of(documents: Sequence[Mapping[str, Any]]) -> Counted:
    """The issues counted, from the mirror's documents of a metric's window."""
    ordered = sorted(documents, key=lambda d: issue_order(str(d.get("key", ""))))
    shown = tuple(Epic(str(d.get("key", "")), d.get("summary"), d.get("status")) for d in ordered[:COUNTED_SHOWN])
    return Counted(shown, len(documents))


@dataclass(frozen=True)
class PageContext:
    """What a page shows beyond the evaluation: where links go, recent values, definition history."""

    at: datetime
    tz: tzinfo
    jira_url: str | None = None
    interval_seconds: float = 30.0
    trigger: Mapping[str, str] | None = None
    trends: Mapping[str, Sequence[float]] = field(default_factory=dict)  # KR id → recent values, oldest first
    epics: Mapping[str, Sequence[Epic]] = field(default_factory=dict)  # KR id → contributing epics
    metric_history: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=dict)  # metric → versions
    kr_changes: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)  # KR id → recorded changes
    names: Names = field(default_factory=dict)  # account id / user key → display name (publish.people)
    history: Mapping[str, Sequence[tuple[datetime, float | None]]] = field(default_factory=dict)  # KR id → moves
    counted: Mapping[str, Counted] = field(default_factory=dict)  # KR id → the issues its metric counts
    pushed_by: Mapping[str, str] = field(default_factory=dict)  # push metric → who pushed its latest value


@dataclass(frozen=True)
class RenderedPage:
    title: str
    regions: tuple[tuple[str, str], ...]
    facts: dict[str, list[str]]
    volatile: frozenset[str] = frozenset({AS_OF})
    room_after: Mapping[str, str] = field(default_factory=dict)

    @property
    def content_digest(self) -> str:
        """A digest of every region but the volatile ones."""
        content = "\x00".join(f"{name}\x01{markup}" for name, markup in self.regions if name not in self.volatile)
        return hashlib.sha256(content.encode()).hexdigest()[:32]

    def new_page_body(self) -> str:
        return initial_body(self.regions, self.room_after)


def kr_label(objective: Objective, kr: KeyResult) -> str:
    """``O1.KR2``: the KR id, prefixed with its objective's unless it already reads that way."""
    return kr.id if kr.id.startswith(f"{objective.id}.") else f"{objective.id}.{kr.id}"


def okr_set_page(config: OkrConfig, okr_set: OkrSet, result: SetReport, context: PageContext) -> RenderedPage:
    """``result`` is the set's result in the evaluation report (``report.okr_set(okr_set.id)``)."""
    objectives = [
        _objective_view(config, okr_set, objective, found, context, result)
        for objective, found in _paired(okr_set.objectives, result.objectives)
    ]
    regions = [
        (AS_OF, region_macro(AS_OF, render("as_of", page=as_of_view(context, _stale_count(objectives))))),
        (
            "summary",
            region_macro(
                "summary", render("okr_summary", s=_summary_view(config, okr_set, result, objectives, context))
            ),
        ),
    ]
    if result.kpis:
        regions.append(("kpis", region_macro("kpis", render("kpis", k=kpi_view(config, result, context)))))
    regions += [
        (f"objective-{o['id']}", region_macro(f"objective-{o['id']}", render("objective", o=o))) for o in objectives
    ]
    regions.append(("notes", region_macro("notes", render("okr_notes", n=_notes_view(objectives)))))
    room = {"summary": HINT, **{name: ROOM for name, _ in regions[2:]}}
    facts = {kr["label"]: kr["facts"] for o in objectives for kr in o["key_results"]}
    return RenderedPage(
        title=okr_set.confluence.title if okr_set.confluence else okr_set.name,
        regions=tuple(regions),
        facts=facts,
        room_after=room,
    )


def kpi_view(config: OkrConfig, result: SetReport, context: PageContext) -> dict[str, Any]:
    """The KPI panel: each KPI's band, value, state and provenance."""
    rows = []
    for kpi in result.kpis:
        metric = config.metrics.get(kpi.metric)
        unit = metric.unit if metric else None
        rows.append(
            {
                "metric": kpi.metric,
                "description": metric.description if metric else None,
                "band": band_words(kpi.keep, unit, kpi.warn),
                "current": "—" if kpi.current is None else f"{fmt.number(kpi.current)}{f' {unit}' if unit else ''}",
                "state": fmt.Status(KPI_STATE_COLOURS[kpi.state], KPI_STATE_WORDS[kpi.state]),
                "stale": fmt.flag_status("stale") if kpi.stale else None,
                "source": _kpi_source(kpi, metric.source if metric else None, context),
            }
        )
    return {"rows": rows}


def _paired(
    objectives: Sequence[Objective], results: Sequence[ObjectiveReport]
) -> list[tuple[Objective, ObjectiveReport]]:
    by_id = {r.id: r for r in results}
    return [(o, by_id[o.id]) for o in objectives if o.id in by_id]


def as_of_view(context: PageContext, stale: int) -> dict[str, str]:
    """A page's stamp (set and review pages): its time in the configured zone, to the minute, and what
    started it in words."""
    every = f"{context.interval_seconds:g} s"
    freshness = (
        f"Numbers follow every Jira change within seconds and are rechecked every few minutes; "
        f"this page is updated at most once every {every}, and only when a number or its context changed."
    )
    if stale:
        freshness += (
            f" {plural(stale, 'key result')} {'reads' if stale == 1 else 'read'} a pushed value older than "
            "its metric allows (STALE)."
        )
    return {
        "as_of": stamp(context.at, context.tz, context.at),
        "trigger": trigger_words(context.trigger, context.tz, context.at),
        "freshness": freshness,
    }


def _stale_count(objectives: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for o in objectives for kr in o["key_results"] if kr["stale"])


def _summary_view(
    config: OkrConfig,
    okr_set: OkrSet,
    result: SetReport,
    objectives: Sequence[Mapping[str, Any]],
    context: PageContext,
) -> dict[str, Any]:
    cycle = config.cycle(okr_set.cycle)
    bands = config.health
    return {
        "name": okr_set.name,
        "level": okr_set.level,
        "owner": person(okr_set.owner, context.names) if okr_set.owner else "no owner named",
        "cycle": f"{cycle.id} ({date_words(cycle.start)} – {date_words(cycle.end)})",
        "aligns_to": okr_set.aligns_to,
        "expected": fmt.percent(result.expected),
        "closed": closed_text(result.closed_at, config.zone),
        "bands": (
            f"A key result is on track when its progress is within {bands.on_track * 100:.0f} points of that, "
            f"at risk within {bands.at_risk * 100:.0f}, off track beyond."
        ),
        "objectives": [
            {
                "id": o["id"],
                "title": o["title"],
                "score": o["score"],
                "health": o["health"],
                "measured": o["measured_short"],
            }
            for o in objectives
        ],
    }


def _objective_view(
    config: OkrConfig,
    okr_set: OkrSet,
    objective: Objective,
    result: ObjectiveReport,
    context: PageContext,
    set_result: SetReport,
) -> dict[str, Any]:
    results = {r.id: r for r in result.key_results}
    krs = [
        _kr_view(config, okr_set, objective, kr, results[kr.id], context, set_result)
        for kr in objective.key_results
        if kr.id in results
    ]
    contributors = [
        {"label": kr_label(objective, kr), "epics": [_epic_view(e, context) for e in context.epics[kr.id]]}
        for kr in objective.key_results
        if kr.id in context.epics
    ]
    return {
        "id": objective.id,
        "title": objective.title,
        "score": fmt.score_text(result.score),
        "health": fmt.health_status(result.health),
        "measured": f"{result.measured} of {result.total} key results measured",
        "measured_short": f"{result.measured} of {result.total}",
        "key_results": krs,
        "contributors": contributors,
        "counted": [kr for kr in krs if kr["counted"]],
    }


def _kr_view(
    config: OkrConfig,
    okr_set: OkrSet,
    objective: Objective,
    kr: KeyResult,
    result: KeyResultReport,
    context: PageContext,
    set_result: SetReport,
) -> dict[str, Any]:
    metric = config.metrics.get(kr.metric or "")
    unit = metric.unit if metric else None
    label = kr_label(objective, kr)
    flags = [f for f in result.flags if f != "output_without_outcome"]
    return {
        "label": label,
        "title": kr.title,
        "owner": kr_owners_text(kr, context.names),
        "reason": _unmeasured_reason(kr, result),
        "span": _span(result, unit),
        "kind_words": kind_words(result, set_result),
        "decision": decision_words(result, unit),
        "checkin": checkin_words(result, context),
        "drives": ", ".join(kr.drives) or None,
        "score": fmt.score_text(result.score),
        "bar": fmt.progress_bar(result.progress),
        "health": fmt.health_status(result.health),
        "flags": [fmt.flag_status(f) for f in flags],
        "trend": fmt.trend_values(context.trends.get(kr.id, ()), unit),
        "chart": _chart(config, okr_set, label, result, context, unit),
        "delivery": delivery_words(result),
        "stale": "stale" in result.flags,
        "gap": fmt.flag_status("output_without_outcome") if "output_without_outcome" in result.flags else None,
        "provenance": _provenance(config, result, context),
        "counted": _counted_view(result, context),
        "late": late_text(result, unit),
        "metric": kr.metric,
        "definition_changes": _definition_changes(config, okr_set, kr, context),
        "kr_changes": _kr_changes_in_cycle(config, okr_set, kr, context),
        "facts": [result.health, fmt.score_text(result.score), fmt.number(result.current)],
    }


def checkin_words(result: KeyResultReport, context: PageContext) -> str | None:
    """``today by Mia Krystof: confidence 0.6 (medium) · Vendor API is late · blockers: … · asks: …``."""
    checkin = result.checkin
    if checkin is None:
        return None
    parts = [
        f"{age_words(checkin.at, context.at, context.tz)} by {checkin.author_name}: "
        f"confidence {confidence_text(checkin.confidence)}"
    ]
    parts += [text for text in (checkin.note,) if text]
    parts += [f"{name}: {text}" for name, text in (("blockers", checkin.blockers), ("asks", checkin.asks)) if text]
    return " · ".join(parts)


def _chart(
    config: OkrConfig, okr_set: OkrSet, label: str, result: KeyResultReport, context: PageContext, unit: str | None
) -> dict[str, Any] | None:
    """The chart macro's table of the KR's recorded values in its cycle (None with fewer than two days)."""
    start, end = cycle_bounds(config.cycle(okr_set.cycle), config.zone)
    points = tuple(context.history.get(result.id, ()))
    history = KrHistory(result.kind, unit, start, end, result.baseline, result.target, points)
    return kr_chart_table(label, history, context.tz)


def _span(result: KeyResultReport, unit: str | None) -> str:
    """``40% → 20% → 10%``: baseline → current → target."""
    values = [result.baseline, result.current, result.target]
    if all(v is None for v in values):
        return "—"
    return " → ".join(fmt.with_unit(v, unit) for v in values)


def _unmeasured_reason(kr: KeyResult, result: KeyResultReport) -> str | None:
    if kr.unmeasured:
        if "reading_overdue" in result.flags and kr.first_reading_due is not None:
            return f"{kr.unmeasured} ({fmt.reading_due_text(kr.first_reading_due)})"
        return kr.unmeasured
    if not kr.metric:
        return "no metric bound to this key result yet"
    if result.current is None:
        if result.evaluated == "remote":
            return "its JQL is outside the local subset; the value comes from a scheduled Jira search"
        if "stale" in result.flags and result.evaluated == "sql":
            return "its warehouse query failed; see the sync health page"
        return "the metric has no value in its window yet"
    return None


def delivery_words(result: KeyResultReport) -> str:
    """``4 of 6 epics done · 2 added · 1 descoped (SHOP-7 on 12 Nov) · outcome 67% · scope set at the start``:
    the epics by count when the recorded scope says them."""
    if result.delivery is None:
        return "no contributing epics"
    outcome = f"outcome {fmt.percent(result.progress)}"
    if result.scope is None:
        return f"epics {fmt.percent(result.delivery)} done · {outcome}"
    return f"{epic_counts(result.scope)} · {outcome} · {_scope_since(result.scope)}"


def epic_counts(scope: ScopeFacts) -> str:
    """``4 of 6 epics done · 2 added · 1 descoped (SHOP-7 on 12 Nov)``: a KR's epics by count."""
    parts = [f"{scope.done} of {plural(scope.total, 'epic')} done"]
    if scope.added:
        parts.append(f"{scope.added} added ({scope.added_done} done)" if scope.added_done else f"{scope.added} added")
    if scope.descoped:
        gone = ", ".join(f"{key} on {_short_day(at)}" for key, at in scope.descoped)
        parts.append(f"{len(scope.descoped)} descoped ({gone})")
    return " · ".join(parts)


def _scope_since(scope: ScopeFacts) -> str:
    """Since when the scope holds: ``scope as first seen on 15 Nov``, ``rescoped on 3 Nov by ana: …``."""
    if scope.rescoped is not None:
        rescoped = scope.rescoped
        return f"rescoped on {_short_day(rescoped.at)} by {rescoped.author}: {rescoped.reason}"
    return f"scope as first seen on {_short_day(scope.recorded_at)}" if scope.first_seen else "scope set at the start"


def _short_day(iso: str) -> str:
    """``12 Nov`` of a recorded ISO instant (the scope records its days as they were in the zone)."""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{at.day} {at:%b}"


def _provenance(config: OkrConfig, result: KeyResultReport, context: PageContext) -> str:
    """Metric and definition, what was counted, where it was evaluated (the page stamp says when and why)."""
    if not result.metric:
        return "no metric"
    metric = config.metrics.get(result.metric)
    source = metric.source if metric else None
    definition = _definition_words(result.metric_version, context.metric_history.get(result.metric, ()), context)
    if result.provenance is not None:
        return f"{result.metric} · {definition} · {_warehouse_words(result.count, result.provenance, context)}"
    counted = counted_words(result.count, source, context.pushed_by.get(result.metric))
    where = {"remote": " by a scheduled Jira search", "none": " · not evaluated yet"}.get(result.evaluated, "")
    return f"{result.metric} · {definition} · {counted}{where}"


def _definition_words(version: str | None, history: Sequence[Mapping[str, str]], context: PageContext) -> str:
    """``definition v3 (since 3 Nov)``; ``current definition`` before its history records it."""
    return numbered_version(version, history, context.tz) or "current definition"


def _warehouse_words(count: int, provenance: Mapping[str, Any], context: PageContext) -> str:
    """``1 warehouse reading from connection analytics, fetched at 09:14``."""
    rows = int(provenance.get("rows") or count or 0)
    fetched = provenance.get("fetched_at")
    at = f", fetched at {clock(fetched, context.tz, context.at)}" if fetched else ""
    return f"{counted_words(rows, 'sql')} from connection {provenance.get('connection')}{at}"


def _kpi_source(kpi: Any, source: str | None, context: PageContext) -> str:
    """Where a KPI's value came from, counted by name."""
    if kpi.provenance is not None:
        return _warehouse_words(kpi.count, kpi.provenance, context)
    counted = counted_words(kpi.count, source, context.pushed_by.get(kpi.metric))
    return counted + {"remote": " by a scheduled Jira search", "none": " · not evaluated yet"}.get(kpi.evaluated, "")


def _counted_view(result: KeyResultReport, context: PageContext) -> dict[str, Any] | None:
    """The issues the KR's metric counts, each a link to Jira, and how many more there are."""
    counted = context.counted.get(result.id)
    if counted is None or not counted.total:
        return None
    return {
        "issues": [_epic_view(e, context) for e in counted.shown],
        "total": plural(counted.total, "issue"),
        "more": f"and {counted.total - len(counted.shown)} more" if counted.total > len(counted.shown) else None,
    }


def _definition_changes(
    config: OkrConfig, okr_set: OkrSet, kr: KeyResult, context: PageContext
) -> list[dict[str, str]]:
    if not kr.metric:
        return []
    history = context.metric_history.get(kr.metric, ())
    return [
        {
            "at": at.isoformat(),
            "day": day(at, context.tz),
            "version": _version_number(entry.get("version"), history),
            "author": entry.get("author", ""),
        }
        for at, entry in definitions_in_cycle(config, okr_set, kr.metric, context)
    ]


def _version_number(version: str | None, history: Sequence[Mapping[str, str]]) -> str:
    """``v2``: the version's number in its metric's history."""
    number = version_numbers(history).get(version or "")
    return f"v{number}" if number else "a new version"


def _kr_changes_in_cycle(config: OkrConfig, okr_set: OkrSet, kr: KeyResult, context: PageContext) -> list[str]:
    """ "target changed on 3 Nov 2026 from 2 to 3 (alice)" for each change applied inside the set's cycle."""
    cycle = config.cycle(okr_set.cycle)
    start = datetime.combine(cycle.start, time.min, context.tz)
    end = datetime.combine(cycle.end, time.max, context.tz)
    return changes_between(context.kr_changes.get(kr.id, ()), start, end, context.tz, day)


def definition_changes_in_cycle(
    config: OkrConfig, okr_set: OkrSet, metric: str, context: PageContext
) -> list[tuple[str, Mapping[str, str]]]:
    """(local day, version entry) of each new definition of ``metric`` applied inside the set's cycle."""
    return [
        (fmt.local_day(at, context.tz), entry) for at, entry in definitions_in_cycle(config, okr_set, metric, context)
    ]


def definitions_in_cycle(
    config: OkrConfig, okr_set: OkrSet, metric: str, context: PageContext
) -> list[tuple[datetime, Mapping[str, str]]]:
    """(instant, version entry) of each new definition of ``metric`` applied inside the set's cycle.

    The first entry of a metric's history is its first definition, not a change.
    """
    cycle = config.cycle(okr_set.cycle)
    start = datetime.combine(cycle.start, time.min, context.tz)
    end = datetime.combine(cycle.end, time.max, context.tz)
    changes = []
    for entry in list(context.metric_history.get(metric, ()))[1:]:
        try:
            at = datetime.fromisoformat(entry["at"])
        except (KeyError, ValueError):
            continue
        if start <= at <= end:
            changes.append((at, entry))
    return changes


def _epic_view(epic: Epic, context: PageContext) -> dict[str, Any]:
    return {
        "key": epic.key,
        "url": fmt.browse_url(context.jira_url, epic.key),
        "summary": epic.summary or "",
        "status": epic.status or "no status",
    }


def _notes_view(objectives: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    unmeasured = [
        {"label": kr["label"], "title": kr["title"], "reason": kr["reason"]}
        for o in objectives
        for kr in o["key_results"]
        if kr["reason"]
    ]
    affected: dict[tuple[str, str, str, str, str], list[str]] = {}
    for o in objectives:
        for kr in o["key_results"]:
            for c in kr["definition_changes"]:
                said = (c["at"], c["day"], kr["metric"], c["version"], c["author"])
                affected.setdefault(said, []).append(kr["label"])
    changes = [
        f"{day}: the definition of {metric} changed to {version}{f' ({author})' if author else ''}; "
        f"compare {', '.join(labels)} with care across that date"
        for (_, day, metric, version, author), labels in sorted(affected.items())
    ]
    return {"unmeasured": unmeasured, "definition_changes": changes}
