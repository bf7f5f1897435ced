"""What the admin pages show, computed from the configuration and the latest evaluation (pure).

The number formatters take any float a report may hold (NaN from old data, an infinity, 1e308) and
never raise: NaN reads as no value (—), an infinity as ∞, as on the Confluence pages."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from mapping.models import KeyResult, OkrConfig, OkrSet
from okr import history
from okr.checkins import CheckIn, age_words, confidence_text
from okr.history import Reading
from okr.report import KeyResultReport, KpiReport, ObjectiveReport, Report, SetReport
from okr.scope import scope_words
from okr.timeframe import cycle_bounds
from publish.closed import closed_text, late_text
from publish.confluence import formatting as fmt
from publish.confluence.okr_page import Counted, epic_counts
from publish.decision import decision_words
from publish.kinds import kind_words
from publish.kr_changes import change_text
from publish.people import NO_NAMES, Names, person, roles_text
from publish.warehouse import KPI_STATE_WORDS, band_words, kpi_source_words, sql_provenance_words
from publish.words import set_subtitle, when

HEALTH_LABELS = {
    "done": "done",
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "missed": "missed",
    "not_measured": "not measured",
}
TREND_POINTS = 12
Seen = tuple[datetime, tzinfo] | None  # the instant the page is shown at, and the configuration's zone
SPELLED_OUT = 1e7  # a larger share reads like 1.2e+12%


def overview(
    config: OkrConfig | None, report: Report | None, now: datetime | None = None, names: Names = NO_NAMES
) -> list[dict[str, Any]]:
    """One card per OKR set: objectives with their score and health, KRs with progress and delivery,
    (given ``now``) each KR's latest check-in with its age, and people by display name where ``names``
    knows them."""
    if config is None:
        return []
    seen = (now, config.zone) if now else None
    cards = [
        _set_card(okr_set, report.okr_set(okr_set.id) if report else None, seen, names) for okr_set in config.okr_sets
    ]
    return [
        {
            **card,
            "closed": closed_text(card["closed_at"], config.zone),
            "subtitle": set_subtitle(card["name"], card["id"], card["level"], card["cycle"], card["owner"]),
        }
        for card in cards
    ]


def _set_card(okr_set: OkrSet, result: SetReport | None, seen: Seen = None, names: Names = NO_NAMES) -> dict[str, Any]:
    objectives = {o.id: o for o in result.objectives} if result else {}
    return {
        "id": okr_set.id,
        "name": okr_set.name,
        "level": okr_set.level,
        "cycle": okr_set.cycle,
        "owner": person(okr_set.owner, names) if okr_set.owner else None,
        "projects": okr_set.projects,
        "expected": result.expected if result else None,
        "closed_at": result.closed_at if result else None,
        "evaluated": result is not None,
        "objectives": [
            _objective_row(okr_set, o, objectives.get(o.id), result, seen, names) for o in okr_set.objectives
        ],
        "kpis": [_kpi_row(kpi, seen[1] if seen else UTC) for kpi in result.kpis] if result else [],
    }


# A KPI's state shown with the lozenge of the health it resembles.
_KPI_LOZENGE = {"healthy": "on_track", "warning": "at_risk", "breached": "off_track", "not_measured": "not_measured"}


def _kpi_row(kpi: KpiReport, tz: tzinfo) -> dict[str, Any]:
    return {
        "metric": kpi.metric,
        "band": band_words(kpi.keep, None, kpi.warn),
        "current": kpi.current,
        "state": kpi.state,
        "lozenge": _KPI_LOZENGE[kpi.state],
        "label": KPI_STATE_WORDS[kpi.state].lower(),
        "stale": kpi.stale,
        "source": kpi_source_words(kpi, tz),
    }


def _objective_row(
    okr_set: OkrSet,
    objective: Any,
    result: ObjectiveReport | None,
    set_result: SetReport | None,
    seen: Seen = None,
    names: Names = NO_NAMES,
) -> dict[str, Any]:
    krs = {k.id: k for k in result.key_results} if result else {}
    return {
        "id": objective.id,
        "title": objective.title,
        "score": result.score if result else None,
        "health": result.health if result else "not_measured",
        "measured": result.measured if result else 0,
        "total": len(objective.key_results),
        "key_results": [kr_row(okr_set, kr, krs.get(kr.id), set_result, seen, names) for kr in objective.key_results],
    }


def kr_row(
    okr_set: OkrSet,
    kr: KeyResult,
    found: KeyResultReport | None,
    set_result: SetReport | None = None,
    seen: Seen = None,
    names: Names = NO_NAMES,
) -> dict[str, Any]:
    result = found.to_dict() if found else {}
    return {
        "set": okr_set.id,
        "id": kr.id,
        "title": kr.title,
        "owner": ", ".join(person(o, names) for o in kr.owners) or None,
        "accountable": person(kr.accountable_person, names) if kr.accountable_person else None,
        "roles": roles_text(kr, names),
        "metric": kr.metric,
        "unmeasured": kr.unmeasured,
        "reading_due": _reading_due(kr, result.get("flags", [])),
        "baseline": kr.baseline,
        "target": kr.target,
        "current": result.get("current"),
        "score": result.get("score"),
        "progress": result.get("progress"),
        "health": result.get("health", "not_measured"),
        "flags": result.get("flags", []),
        "delivery": result.get("delivery"),
        "evaluated": result.get("evaluated"),
        "count": result.get("count"),
        "metric_version": result.get("metric_version"),
        "warehouse": _warehouse_words(found, seen),
        "late": late_text(found) if found else None,
        "contributors": _contributors_text(kr),
        "scope": scope_words(found.scope) if found and found.scope else None,
        "epics": epic_counts(found.scope) if found and found.scope else None,
        "kind_words": kind_words(found, set_result) if found and set_result else None,
        "decision": decision_words(found) if found else None,
        "drives": ", ".join(kr.drives) or None,
        "checkin": checkin_view(found.checkin, seen) if found and found.checkin and seen else None,
    }


def _warehouse_words(found: KeyResultReport | None, seen: Seen) -> str | None:
    """Where a warehouse number came from, its fetch time in the configured zone (UTC without one)."""
    if found is None or not found.provenance:
        return None
    return sql_provenance_words(found.provenance, seen[1] if seen else UTC)


def counted_view(counted: Counted, jira_url: str | None) -> dict[str, Any]:
    """The issues a KR's metric counts, for its page: each a link to Jira with its summary, and the rest counted."""
    more = counted.total - len(counted.shown)
    return {
        "issues": [
            {"key": e.key, "summary": e.summary or "", "url": fmt.browse_url(jira_url, e.key)} for e in counted.shown
        ],
        "more": f"and {more} more" if more > 0 else None,
    }


def checkin_view(checkin: CheckIn, seen: tuple[datetime, tzinfo]) -> dict[str, Any]:
    """A check-in as the pages show it: confidence in number and word, the words, who and how long ago."""
    now, tz = seen
    return {
        "confidence": confidence_text(checkin.confidence),
        "note": checkin.note,
        "blockers": checkin.blockers,
        "asks": checkin.asks,
        "author": checkin.author_name,
        "at": when(checkin.at, tz),
        "age": age_words(checkin.at, now, tz),
        "source": checkin.source,
    }


def _reading_due(kr: KeyResult, flags: Sequence[str]) -> str | None:
    """``first reading was due on 1 Nov 2026`` for a ``reading_overdue`` KR."""
    if "reading_overdue" not in flags or kr.first_reading_due is None:
        return None
    return fmt.reading_due_text(kr.first_reading_due)


def _contributors_text(kr: KeyResult) -> str:
    if kr.contributors is None:
        return ""
    if kr.contributors.epics is not None:
        return ", ".join(kr.contributors.epics)
    return kr.contributors.jql or ""


def find_kr(config: OkrConfig, set_id: str, kr_id: str) -> tuple[OkrSet, Any, KeyResult] | None:
    for okr_set in config.okr_sets:
        if okr_set.id != set_id:
            continue
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                if kr.id == kr_id:
                    return okr_set, objective, kr
    return None


def kr_result(report: Report | None, set_id: str, kr_id: str) -> KeyResultReport | None:
    return report.find(set_id, kr_id) if report else None


def trend_points(
    config: OkrConfig, okr_set: OkrSet, readings: Sequence[Reading], now: datetime
) -> list[dict[str, Any]]:
    """The KR's recorded readings inside its cycle where its value moved, and where it stands now
    (read as they were recorded, never re-evaluated over today's mirror)."""
    start, end = cycle_bounds(config.cycle(okr_set.cycle), config.zone)
    return history.trend_points(readings, start, end, now, TREND_POINTS)


def kr_change_texts(entries: Sequence[Mapping[str, Any]], config: OkrConfig) -> list[str]:
    """Each recorded change of the KR's baseline, target, metric or kind in words, oldest first."""
    return [change_text(entry, config.zone) for entry in entries]


def sparkline(points: Sequence[Mapping[str, Any]], width: int = 360, height: int = 80) -> str:
    """SVG polyline coordinates for the measured points (gaps skipped: no value, NaN, an infinity)."""
    measured = [(i, p["value"]) for i, p in enumerate(points) if _finite(p["value"])]
    if len(measured) < 2:
        return ""
    low, high = min(v for _, v in measured), max(v for _, v in measured)
    step = width / max(len(points) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 6 - _height_share(v, low, high) * (height - 12):.1f}" for i, v in measured
    )


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _height_share(value: float, low: float, high: float) -> float:
    return fmt.position(value, low, high) if high > low else 0.0


def percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    if not math.isfinite(value * 100):
        return f"{fmt.non_finite_text(value)}%"
    return f"{value:.0%}" if abs(value) < SPELLED_OUT else f"{value * 100:.3g}%"


def number(value: float | None) -> str:
    """Rounded to what a reader can use: one decimal from 10 up (31.7), two below (2.46), two significant
    digits under 1 (0.012); three significant digits from a million up."""
    if value is None or not math.isfinite(value):
        return fmt.non_finite_text(value)
    size = abs(value)
    if size >= 1e6:
        return f"{value:.3g}"
    if 0 < size < 1:
        return f"{value:.2g}"
    rounded = round(value, 1 if size >= 10 else 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:g}"


def with_unit(value: float | None, unit: str | None) -> str:
    """A rounded value and its unit: ``31.7 %``, ``12 orders``; no unit for no value."""
    text = number(value)
    return f"{text} {unit}" if unit and value is not None and math.isfinite(value) else text


def bar_width(value: float | None) -> int:
    """Percent of the bar filled: 0 to 100 (nothing for no value or NaN)."""
    if value is None or math.isnan(value):
        return 0
    return int(round(max(0.0, min(1.0, value)) * 100))
