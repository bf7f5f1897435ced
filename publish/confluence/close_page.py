"""A closed cycle's page for one OKR set, "{page title} — close {cycle id}" (pure).

    page = close_page(close)   # header, final grades per objective, changes in the cycle, programs

Each objective's panel is followed by a people-owned "What we learned / what we change next quarter"
part, outside the service's regions: the page is created with it empty, and ``okrsync close CYCLE
--again`` replaces the panels only, so what people wrote there stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, tzinfo
from typing import Any

from markupsafe import escape

from mapping.models import KeyResult, Objective, OkrConfig, OkrSet
from okr import scoring
from okr.closing import CloseRecord, kr_ref
from okr.report import KeyResultReport
from okr.scope import scope_words
from publish.confluence import formatting as fmt
from publish.confluence.okr_page import PageContext, RenderedPage, definition_changes_in_cycle, kr_label
from publish.confluence.regions import region_macro
from publish.confluence.templates import render
from publish.kr_changes import changes_between
from publish.people import Names, kr_owners_text

LEARNED = "What we learned / what we change next quarter"


@dataclass(frozen=True)
class ProgramOutcome:
    name: str
    text: str  # "5 clusters (2 above the threshold); 4 action points: 2 effective, 1 ineffective, 1 overdue"


@dataclass(frozen=True)
class CloseInput:
    config: OkrConfig
    okr_set: OkrSet
    record: CloseRecord
    page_title: str
    at: datetime
    tz: tzinfo
    metric_history: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=dict)
    kr_changes: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    programs: tuple[ProgramOutcome, ...] = ()
    names: Names = field(default_factory=dict)


def close_title(page_title: str, cycle_id: str) -> str:
    return f"{page_title} — close {cycle_id}"


def learned_room(objective: Objective) -> str:
    return f"<h3>{LEARNED} ({escape(objective.id)})</h3><p />"


def close_page(close: CloseInput) -> RenderedPage:
    title = close_title(close.page_title, close.record.cycle)
    regions = [("header", region_macro("header", render("cadence_header", h=_header_view(close, title))))]
    for objective in close.okr_set.objectives:
        name = f"close-{objective.id}"
        regions.append((name, region_macro(name, render("close_objective", o=_objective_view(close, objective)))))
    regions.append(("close-changes", region_macro("close-changes", render("close_changes", c=_changes(close)))))
    programs = render("close_programs", p={"programs": close.programs})
    regions.append(("close-programs", region_macro("close-programs", programs)))
    rooms = {f"close-{o.id}": learned_room(o) for o in close.okr_set.objectives}
    facts = {ref: [kr.health, fmt.score_text(kr.score)] for ref, kr in close.record.key_results.items()}
    return RenderedPage(title=title, regions=tuple(regions), facts=facts, volatile=frozenset(), room_after=rooms)


def _header_view(close: CloseInput, title: str) -> dict[str, str]:
    record = close.record
    again = f"; frozen anew after {len(record.history)} earlier close(s)" if record.history else ""
    closed = fmt.local_time(datetime.fromisoformat(record.closed_at), close.tz)
    return {
        "title": title,
        "set_name": close.okr_set.name,
        "period": f"cycle {record.cycle}",
        "at": fmt.local_time(close.at, close.tz),
        "note": f"Final results frozen at {closed} by {record.by}{again}. The panels are the service's; "
        f"write under “{LEARNED}” — a close run again refreshes the panels and keeps your words.",
    }


def _frozen(close: CloseInput, kr: KeyResult) -> KeyResultReport | None:
    return close.record.key_results.get(kr_ref(close.okr_set.id, kr.id))


def _objective_view(close: CloseInput, objective: Objective) -> dict[str, Any]:
    found = [(kr, _frozen(close, kr)) for kr in objective.key_results]
    score = scoring.objective_score(
        [scoring.WeightedScore(result.score, kr.weight) for kr, result in found if result is not None]
    )
    return {
        "id": objective.id,
        "title": objective.title,
        "score": fmt.score_text(score),
        "health": fmt.health_status(scoring.final_health(score)),
        "key_results": [_kr_view(close, objective, kr, result) for kr, result in found],
    }


def _kr_view(close: CloseInput, objective: Objective, kr: KeyResult, result: KeyResultReport | None) -> dict[str, Any]:
    if result is None:
        return {
            "label": kr_label(objective, kr),
            "title": kr.title,
            "owner": kr_owners_text(kr, close.names),
            "score": "—",
            "health": fmt.health_status("not_measured"),
            "outcome": "not frozen at the close",
            "delivery": "—",
        }
    delivery = "no contributing epics" if result.delivery is None else f"epics {fmt.percent(result.delivery)} done"
    if result.scope is not None:
        delivery = f"{delivery} · {scope_words(result.scope)}"
    return {
        "label": kr_label(objective, kr),
        "title": kr.title,
        "owner": kr_owners_text(kr, close.names),
        "score": fmt.score_text(result.score),
        "health": fmt.health_status(result.health),
        "outcome": _outcome_text(result),
        "delivery": delivery,
    }


def _outcome_text(result: KeyResultReport) -> str:
    """``outcome 27% · 33.33 of target 15``; "no reading at the close" for a KR without a value."""
    if result.current is None:
        return "no reading at the close"
    return (
        f"outcome {fmt.percent(result.progress)} · {fmt.number(result.current)} of target {fmt.number(result.target)}"
    )


def _changes(close: CloseInput) -> dict[str, Any]:
    """Definition, target and scope changes inside the cycle, one line each, by KR."""
    cycle = close.config.cycle(close.okr_set.cycle)
    start = datetime.combine(cycle.start, time.min, close.tz)
    end = datetime.combine(cycle.end, time.max, close.tz)
    context = PageContext(at=close.at, tz=close.tz, metric_history=close.metric_history)
    lines = []
    for objective in close.okr_set.objectives:
        for kr in objective.key_results:
            label = kr_label(objective, kr)
            if kr.metric:
                lines += [
                    f"{label}: the definition of {kr.metric} changed on {day} to {entry.get('version', '')}"
                    for day, entry in definition_changes_in_cycle(close.config, close.okr_set, kr.metric, context)
                ]
            lines += [
                f"{label}: {text}" for text in changes_between(close.kr_changes.get(kr.id, ()), start, end, close.tz)
            ]
            result = _frozen(close, kr)
            if result is not None and result.scope is not None and (result.scope.added or result.scope.descoped):
                lines.append(f"{label}: {scope_words(result.scope)}")
    return {"lines": lines}
