"""The weekly digest and the monthly review of an OKR set, as child pages of the set's page (pure).

    page = digest_page(week)                    # "{page title} — week 2026-W49", one region per section
    page = review_page(month)                   # "{page title} — review 2026-12", frozen once written
    review_figures(result)                      # what the next review compares itself with

The digest is a list of sections (``SECTIONS``), each a function of the week: a section that lists
the KRs carrying a flag is one line, ``flagged(name, title, empty)``. Both pages are written once
per period; the review ends with a people-owned "Decisions and resource changes" part, outside the
service's regions, created empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from mapping.models import Objective, OkrSet
from okr.history import Reading
from okr.report import KeyResultReport, ObjectiveReport, SetReport
from publish.confluence import formatting as fmt
from publish.confluence.okr_page import RenderedPage, kr_label
from publish.confluence.regions import region_macro
from publish.confluence.templates import render
from publish.people import Names, kr_owners_text, roles_text

DECISIONS = "Decisions and resource changes"
DECISIONS_ROOM = f"<h2>{DECISIONS}</h2><p />"
HEADER = "header"
MISSING = "—"


# ---------------------------------------------------------------------------------- the weekly digest


@dataclass(frozen=True)
class KrWeek:
    label: str
    title: str
    now: KeyResultReport
    before: Reading | None  # the latest reading at or before the week's start; None when there was none
    unit: str | None = None


@dataclass(frozen=True)
class OverdueAp:
    program: str  # the program's name
    key: str
    url: str | None = None


@dataclass(frozen=True)
class DigestInput:
    set_name: str
    page_title: str  # the set's page title: the digest's title starts with it
    period: str  # "2026-W49"
    at: datetime
    tz: tzinfo
    since: datetime
    krs: tuple[KrWeek, ...]
    overdue_aps: tuple[OverdueAp, ...] = ()


@dataclass(frozen=True)
class DigestSection:
    name: str  # the region's name: "digest-moved"
    title: str
    rows: tuple[Mapping[str, Any], ...]  # {label, text, statuses, link}
    empty: str  # what the section says when it lists nothing


Section = Callable[[DigestInput], DigestSection]


def _row(label: str = "", text: str = "", statuses: Sequence[fmt.Status] = (), link: Any = None) -> dict[str, Any]:
    return {"label": label, "text": text, "statuses": list(statuses), "link": link}


def moved(week: DigestInput) -> DigestSection:
    """The KRs whose value or health changed since the week's start."""
    rows = tuple(_row(kr.label, f"{kr.title}: {text}") for kr in week.krs if (text := moved_text(kr)))
    since = fmt.local_day(week.since, week.tz)
    return DigestSection("digest-moved", f"What moved since {since}", rows, "Nothing moved this week.")


def moved_text(kr: KrWeek) -> str | None:
    """``value 12 → 9 · health at risk → on track``; "first reading this week"; None when nothing moved."""
    now, before = kr.now, kr.before
    if before is None:
        return None if now.current is None else f"first reading this week: {fmt.with_unit(now.current, kr.unit)}"
    parts = []
    if before.value != now.current:
        parts.append(f"value {fmt.with_unit(before.value, kr.unit)} → {fmt.with_unit(now.current, kr.unit)}")
    if before.health != now.health:
        parts.append(f"health {_health(before.health)} → {_health(now.health)}")
    return " · ".join(parts) or None


def _health(health: str) -> str:
    return fmt.health_status(health).title.lower()


def flagged(flag: str, title: str, empty: str) -> Section:
    """A section listing every KR whose result carries ``flag``."""

    def section(week: DigestInput) -> DigestSection:
        rows = tuple(_row(kr.label, kr.title, [fmt.flag_status(flag)]) for kr in week.krs if flag in kr.now.flags)
        return DigestSection(f"digest-{flag.replace('_', '-')}", title, rows, empty)

    return section


STALE_WHY = {
    "sql": "its warehouse query failed; the last value is kept",
    "remote": "its Jira search failed; the last value is kept",
}


def stale_values(week: DigestInput) -> DigestSection:
    """The KRs whose value is stale, each with why: a pushed value older than its metric's
    ``stale_after``, or a warehouse query or Jira search that failed."""
    rows = tuple(
        _row(
            kr.label,
            f"{kr.title} · {STALE_WHY.get(kr.now.evaluated, 'its pushed value is older than its metric allows')}",
            [fmt.flag_status("stale")],
        )
        for kr in week.krs
        if "stale" in kr.now.flags
    )
    return DigestSection("digest-stale", "Stale values", rows, "No value is stale.")


def overdue_aps(week: DigestInput) -> DigestSection:
    rows = tuple(
        _row(text=f"({ap.program})", statuses=[fmt.flag_status("overdue")], link={"key": ap.key, "url": ap.url})
        for ap in week.overdue_aps
    )
    return DigestSection(
        "digest-overdue-aps",
        "Overdue action points",
        rows,
        "No action point of the programs this set reads is overdue.",
    )


SECTIONS: tuple[Section, ...] = (
    moved,
    flagged("no_checkin", "Key results without a check-in", "No key result is flagged without a check-in."),
    stale_values,
    flagged("target_missed", "Targets missed", "No target is missed."),
    flagged("descoped_work", "Descoped work", "No contributing epic left the recorded scope."),
    flagged(
        "confidence_disagrees", "Confidence disagrees with health", "No check-in's confidence disagrees with health."
    ),
    overdue_aps,
)


def digest_title(page_title: str, period: str) -> str:
    return f"{page_title} — week {period}"


def digest_page(week: DigestInput, sections: Sequence[Section] = SECTIONS) -> RenderedPage:
    title = digest_title(week.page_title, week.period)
    header = _header(title, week.set_name, f"week {week.period}", week.at, week.tz, _DIGEST_NOTE)
    regions = [(HEADER, region_macro(HEADER, header))]
    for section in sections:
        found = section(week)
        regions.append((found.name, region_macro(found.name, render("digest_section", s=found))))
    facts = {kr.label: [kr.now.health, fmt.score_text(kr.now.score)] for kr in week.krs}
    return RenderedPage(title=title, regions=tuple(regions), facts=facts, volatile=frozenset())


def digest_comment(week: DigestInput, sections: Sequence[Section] = SECTIONS) -> str:
    """The comment on the set's ``jira_issue``: how many items each section lists, and where the page is."""
    found = [section(week) for section in sections]
    counts = "; ".join(f"{_lowered(s.title)}: {len(s.rows)}" for s in found if s.rows) or "nothing moved or flagged"
    title = digest_title(week.page_title, week.period)
    return f"OKR Sync weekly digest, week {week.period}: {counts}. See the Confluence page “{title}”."


def _lowered(title: str) -> str:
    """A section title inside a sentence: its first letter lowered, the rest (a day's month) as it is."""
    return title[:1].lower() + title[1:]


_DIGEST_NOTE = (
    "Prepared once for the week by OKR Sync for Jira from the recorded readings; "
    "add your notes anywhere outside the panels."
)


def _header(title: str, set_name: str, period: str, at: datetime, tz: tzinfo, note: str) -> str:
    values = {"title": title, "set_name": set_name, "period": period, "at": fmt.local_time(at, tz), "note": note}
    return render("cadence_header", h=values)


# ---------------------------------------------------------------------------------- the monthly review


@dataclass(frozen=True)
class PreviousReview:
    month: str  # "2026-11"
    figures: Mapping[str, Mapping[str, Any]]  # "O1" / "O1/KR1" → {"score", "health"}


@dataclass(frozen=True)
class ReviewInput:
    okr_set: OkrSet
    result: SetReport
    page_title: str
    month: str  # "2026-12"
    at: datetime
    tz: tzinfo
    previous: PreviousReview | None = None
    names: Names = field(default_factory=dict)


def review_title(page_title: str, month: str) -> str:
    return f"{page_title} — review {month}"


def review_figures(result: SetReport) -> dict[str, dict[str, Any]]:
    """Each objective's and KR's score and health, keyed "O1" and "O1/KR1": stored with the review."""
    figures: dict[str, dict[str, Any]] = {}
    for objective in result.objectives:
        figures[objective.id] = {"score": objective.score, "health": objective.health}
        for kr in objective.key_results:
            figures[f"{objective.id}/{kr.id}"] = {"score": kr.score, "health": kr.health}
    return figures


def review_page(month: ReviewInput) -> RenderedPage:
    title = review_title(month.page_title, month.month)
    header = _header(title, month.okr_set.name, f"review {month.month}", month.at, month.tz, _REVIEW_NOTE)
    lights = render("review_lights", r=_lights_view(month))
    roles = render("review_roles", r={"shared": _shared_view(month)})
    regions = (
        (HEADER, region_macro(HEADER, header)),
        ("review-lights", region_macro("review-lights", lights)),
        ("review-roles", region_macro("review-roles", roles)),
    )
    facts = {key: [str(f["health"]), fmt.score_text(f["score"])] for key, f in review_figures(month.result).items()}
    return RenderedPage(
        title=title, regions=regions, facts=facts, volatile=frozenset(), room_after={"review-roles": DECISIONS_ROOM}
    )


_REVIEW_NOTE = (
    "Frozen when it was prepared: OKR Sync for Jira never rewrites this page. "
    f"Write the month's decisions under “{DECISIONS}”."
)


def _lights_view(month: ReviewInput) -> dict[str, Any]:
    previous = month.previous
    since = (
        f"Compared with the previous review ({previous.month})."
        if previous
        else "This is the set's first review: there is nothing earlier to compare with."
    )
    before = previous.figures if previous else {}
    first = previous is None
    objectives = []
    for objective, definition in _paired(month):
        krs = {kr.id: kr for kr in definition.key_results}
        rows = [
            _light(
                kr_label(definition, krs[kr.id]),
                krs[kr.id].title,
                kr.score,
                kr.health,
                before.get(f"{objective.id}/{kr.id}"),
                first,
            )
            for kr in objective.key_results
            if kr.id in krs
        ]
        row = _light(objective.id, definition.title, objective.score, objective.health, before.get(objective.id), first)
        objectives.append({**row, "key_results": rows})
    return {"since": since, "objectives": objectives}


def _paired(month: ReviewInput) -> list[tuple[ObjectiveReport, Objective]]:
    definitions = {o.id: o for o in month.okr_set.objectives}
    return [(o, definitions[o.id]) for o in month.result.objectives if o.id in definitions]


def _light(
    label: str, title: str, score: float | None, health: str, before: Mapping[str, Any] | None, first: bool
) -> dict[str, Any]:
    return {
        "label": label,
        "title": title,
        "light": fmt.health_status(health),
        "score": fmt.score_text(score),
        "before": MISSING if first else _change_text(score, health, before),
    }


def _change_text(score: float | None, health: str, before: Mapping[str, Any] | None) -> str:
    """``0.45 at risk → 0.60 on track (+0.15)``; "new since then" when the previous review lacked it."""
    if before is None:
        return "not in the previous review"
    was_score, was_health = before.get("score"), str(before.get("health", "not_measured"))
    text = f"{fmt.score_text(was_score)} {_health(was_health)}"
    if was_score is not None and score is not None:
        text += f" ({score - was_score:+.2f})"
    if was_health != health:
        text += f", now {_health(health)}"
    return text


def _shared_view(month: ReviewInput) -> list[dict[str, Any]]:
    """The KRs more than one person is named on, with their owners and roles by display name."""
    return [
        {
            "label": kr_label(objective, kr),
            "title": kr.title,
            "owners": kr_owners_text(kr, month.names),
            "roles": roles_text(kr, month.names),
        }
        for objective in month.okr_set.objectives
        for kr in objective.key_results
        if len(kr.people) > 1
    ]
