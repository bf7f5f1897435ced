"""A problem program's review as a dated record and a dated child page, "{program page title} —
2026-12-03" (pure).

    page = dated_review_page(review)   # new since the previous review, below the threshold, covered, escalations
    review_record(review)              # what is stored: the next review counts "new" from its time

"New since the last review" counts from the previous review's time, not a rolling window; the first
review of a program looks one ``review_every`` back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from mapping.models import ProblemProgram, days
from okr.problems.model import UNTRIAGED, Cluster, ProgramResult
from okr.problems.review import below_threshold, cluster_facts, covered, escalations, review_digest, review_order
from publish.confluence import formatting as fmt
from publish.confluence.cadence_pages import DigestSection
from publish.confluence.okr_page import ROOM, RenderedPage
from publish.confluence.regions import region_macro
from publish.confluence.review_page import cluster_text
from publish.confluence.templates import render
from publish.people import Names, person


@dataclass(frozen=True)
class DatedReview:
    program: ProblemProgram
    result: ProgramResult
    day: date  # the review's local day
    page_title: str  # the program's page title
    tz: tzinfo
    since: datetime | None = None  # the previous review's time; None for the first review
    jira_url: str | None = None
    names: Names = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        """Problems created after this are new: the previous review, else one review period back."""
        return self.since or self.result.at - timedelta(days=days(self.program.review_every))


def dated_review_title(page_title: str, day: date) -> str:
    return f"{page_title} — {day:%Y-%m-%d}"


def dated_review_page(review: DatedReview) -> RenderedPage:
    title = dated_review_title(review.page_title, review.day)
    header = render("cadence_header", h=_header_view(review, title))
    regions = [("header", region_macro("header", header))]
    for section in (_new(review), _below(review), _covered(review), _escalations(review)):
        regions.append((section.name, region_macro(section.name, render("digest_section", s=section))))
    facts = {section: [str(len(rows))] for section, rows in review_record(review).items() if isinstance(rows, list)}
    return RenderedPage(
        title=title, regions=tuple(regions), facts=facts, volatile=frozenset(), room_after={regions[-1][0]: ROOM}
    )


def review_record(review: DatedReview) -> dict[str, Any]:
    """The review as stored: when, from when "new" counted, and the keys each part listed."""
    digest = review_digest(review.program, review.result, review.start)
    return {
        "at": review.result.at.isoformat(),
        "day": f"{review.day:%Y-%m-%d}",
        "since": review.start.isoformat(),
        "new": [p.key for s in digest.new_problems for found in s.by_category.values() for p in found],
        "candidates": [cluster_text(c.ref) for c in review.result.candidates],
        "escalations": [e.key for e in escalations(review.program, review.result, review.day)],
    }


def _header_view(review: DatedReview, title: str) -> dict[str, str]:
    since = (
        f"New problems count from the previous review ({fmt.local_time(review.start, review.tz)})."
        if review.since
        else f"The program's first review: new problems count from {fmt.local_day(review.start, review.tz)}."
    )
    return {
        "title": title,
        "set_name": review.program.name,
        "period": f"review of {review.day:%Y-%m-%d}",
        "at": fmt.local_time(review.result.at, review.tz),
        "note": f"{since} Frozen when it was prepared; the program's own page stays current.",
    }


def _link(review: DatedReview, key: str) -> dict[str, Any]:
    return {"key": key, "url": fmt.browse_url(review.jira_url, key)}


def _new(review: DatedReview) -> DigestSection:
    digest = review_digest(review.program, review.result, review.start)
    rows = tuple(
        {
            "label": "",
            "text": f"{source.name} · {category} · {p.summary or ''}",
            "statuses": [],
            "link": _link(review, p.key),
        }
        for source in digest.new_problems
        for category, found in source.by_category.items()
        for p in found
    )
    since = fmt.local_day(review.start, review.tz)
    return DigestSection("review-new", f"New since the last review ({since})", rows, "No new problem since then.")


def _problems(review: DatedReview, cluster: Cluster) -> list[dict[str, Any]]:
    """The cluster's problems, linked, with their summaries."""
    return [{**_link(review, p.key), "summary": p.summary or ""} for p in cluster.problems]


def _below(review: DatedReview) -> DigestSection:
    """Clusters in the review order (by score, the untriaged last), each with its problems."""
    threshold = fmt.number(review.program.threshold)
    rows: tuple[dict[str, Any], ...] = tuple(
        {
            "label": cluster_text(c.ref),
            "text": f"{c.frequency} × {fmt.number(c.impact)} = {fmt.number(c.score)}, below {threshold}"
            if c.ref.category != UNTRIAGED
            else f"{c.frequency} problem(s) that need a category before they count",
            "statuses": [],
            "link": None,
            "problems": _problems(review, c),
        }
        for c in review_order(below_threshold(review.result), cluster_facts)
    )
    return DigestSection("review-below", "Clusters below the threshold", rows, "No cluster below the threshold.")


def _covered(review: DatedReview) -> DigestSection:
    rows = tuple(
        {
            "label": cluster_text(c.ref),
            "text": f"{c.frequency} × {fmt.number(c.impact)} = {fmt.number(c.score)}, covered by",
            "statuses": [fmt.flag_status("covered")],
            "link": None,
            "aps": [_link(review, key) for key in c.covered_by],
            "problems": _problems(review, c),
        }
        for c in review_order(covered(review.result), cluster_facts)
    )
    return DigestSection("review-covered", "Clusters covered by an action point", rows, "No cluster has an open AP.")


def _escalations(review: DatedReview) -> DigestSection:
    owner = person(review.program.owner, review.names) if review.program.owner else "no program owner named"
    rows = tuple(
        {
            "label": "",
            "text": f"{e.reason} · AP owner {person(e.assignee, review.names) if e.assignee else 'none'} · "
            f"escalated to {owner}",
            "statuses": [fmt.flag_status("overdue" if e.reason.startswith("overdue") else "ineffective")],
            "link": _link(review, e.key),
        }
        for e in escalations(review.program, review.result, review.day)
    )
    limit = review.program.escalate_after
    return DigestSection(
        "review-escalations", f"Escalations (overdue more than {limit}, or ineffective)", rows, "Nothing to escalate."
    )
