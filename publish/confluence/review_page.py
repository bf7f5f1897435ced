"""The problem review page of a problem program, rendered as the regions the service owns (pure).

It reads the biweekly review digest (``okr.problems.review.review_digest``): the problems new since
the last review by source × category, the untriaged ones, every cluster in review order (the AP
candidates with the AP each one needs, then the others by score, the untriaged last — the admin page's
order, ``okr.problems.review.review_order``), the AP table with summaries, owners by display name, due
days, status and flags, and whether closed APs worked — in the order a review meeting takes them: APs
first, then what is new.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from mapping.models import ProblemProgram, days
from okr.problems.model import ALL_CATEGORIES, NO_THEME, UNTRIAGED, Cluster, ClusterRef, Problem, ProgramResult
from okr.problems.review import ApProposal, ReviewDigest, ap_proposals, cluster_facts, review_digest, review_order
from okr.timeframe import day_said
from publish.confluence import formatting as fmt
from publish.confluence.chart_tables import cluster_chart_table
from publish.confluence.okr_page import AS_OF, HINT, ROOM, PageContext, RenderedPage, as_of_view
from publish.confluence.regions import region_macro
from publish.confluence.templates import render
from publish.people import person


def problem_review_page(
    program: ProblemProgram, result: ProgramResult, context: PageContext, since: datetime | None = None
) -> RenderedPage:
    """``since``: the latest dated review's time, from which problems count as new (default: one
    ``review_every`` back)."""
    digest = review_digest(program, result, since)
    proposals = {p.cluster: p for p in ap_proposals(program, result, result.at)}
    summaries = {ap.key: ap.summary for ap in result.action_points}
    views = [  # the review's agenda: where the APs stand, whether closed ones worked, what is new, what needs an AP
        ("action-points", "review_aps", {"a": _action_points_view(digest, summaries, context)}),
        ("effectiveness", "review_effectiveness", {"e": _effectiveness_view(program, digest, context)}),
        ("review", "review_new", {"r": _new_problems_view(program, digest, result, context)}),
        ("candidates", "review_candidates", {"c": _clusters_view(digest, proposals, context, result, program)}),
    ]
    regions = [(AS_OF, region_macro(AS_OF, render("as_of", page=as_of_view(context, 0))))]
    regions += [(name, region_macro(name, render(template, **values))) for name, template, values in views]
    room = {"effectiveness": HINT, **{name: ROOM for name, _, _ in views[2:]}}
    title = program.confluence.title if program.confluence else program.name
    return RenderedPage(title=title, regions=tuple(regions), facts=review_facts(digest), room_after=room)


def review_facts(digest: ReviewDigest) -> dict[str, list[str]]:
    """What the version comment reports: counts, and each closed AP's verdict."""
    new = sum(len(found) for source in digest.new_problems for found in source.by_category.values())
    facts = {
        "new problems": [str(new)],
        "candidates": [str(len(digest.candidates))],
        "open APs": [str(sum(1 for row in digest.action_points if row.effectiveness is None))],
        "overdue APs": [str(sum(1 for row in digest.action_points if "overdue" in row.flags))],
    }
    facts.update({closed.key: [closed.effectiveness.verdict] for closed in digest.closed})
    return facts


def cluster_text(ref: ClusterRef | None) -> str:
    if ref is None:
        return "—"
    theme = "no theme" if ref.theme == NO_THEME else ref.theme
    return f"{ref.category} · {theme}"


def _issue(key: str, context: PageContext, summary: str | None = None, created: str | None = None) -> dict[str, Any]:
    return {"key": key, "url": fmt.browse_url(context.jira_url, key), "summary": summary or "", "created": created}


def _problem(problem: Problem, context: PageContext) -> dict[str, Any]:
    created = fmt.local_day(problem.created, context.tz) if problem.created else "no creation date"
    return _issue(problem.key, context, problem.summary, created)


def _new_problems_view(
    program: ProblemProgram, digest: ReviewDigest, result: ProgramResult, context: PageContext
) -> dict[str, Any]:
    rows = []
    for source in digest.new_problems:
        cells = [
            {"count": len(source.by_category[c]), "problems": [_problem(p, context) for p in source.by_category[c]]}
            for c in ALL_CATEGORIES
        ]
        total = sum(len(found) for found in source.by_category.values())
        rows.append({"name": source.name, "cells": cells, "total": total})
    return {
        "program": program.name,
        "since": fmt.local_day(digest.since, context.tz),
        "until": fmt.local_day(digest.at, context.tz),
        "every": f"{days(program.review_every)} days",
        "window": f"{digest.window_days} days",
        "threshold": fmt.number(digest.threshold),
        "categories": list(ALL_CATEGORIES),
        "sources": rows,
        "untriaged": [_problem(p, context) for p in digest.untriaged],
        "unsupported": ", ".join(result.unsupported_sources),
    }


def _clusters_view(
    digest: ReviewDigest,
    proposals: Mapping[ClusterRef, ApProposal],
    context: PageContext,
    result: ProgramResult,
    program: ProblemProgram,
) -> dict[str, Any]:
    """Every cluster in the window in review order: the candidates with the AP each needs, then the
    others by score, the untriaged last; each with its problems linked and their summaries."""
    today = result.at.astimezone(context.tz).date()
    rows = [
        {
            "rank": rank,
            "cluster": cluster_text(cluster.ref),
            "score": f"{cluster.frequency} × {fmt.number(cluster.impact)} = {fmt.number(cluster.score)}",
            "problems": [_problem(p, context) for p in cluster.problems],
            **_cluster_action(cluster, proposals.get(cluster.ref), digest, context, today),
        }
        for rank, cluster in enumerate(review_order(result.clusters, cluster_facts), start=1)
    ]
    return {
        "rows": rows,
        "candidates": len(digest.candidates),
        "threshold": fmt.number(digest.threshold),
        "chart": cluster_chart_table(result.clusters, f"{days(program.window)} days"),
    }


def _cluster_action(
    cluster: Cluster, proposal: ApProposal | None, digest: ReviewDigest, context: PageContext, today: date
) -> dict[str, Any]:
    """What a cluster asks of the review: the AP to open, the open APs on it, a category, or nothing yet."""
    if cluster.candidate and proposal is not None:
        owner = person(proposal.assignee, context.names) if proposal.assignee else "no owner named"
        return {
            "status": fmt.flag_status("candidate"),
            "action": f"Proposed: {proposal.summary}",
            "detail": f"owner {owner} · due {day_said(proposal.due, today)}",
            "links": [],
        }
    if cluster.covered_by:
        links = [_issue(key, context) for key in cluster.covered_by]
        return {"status": fmt.flag_status("covered"), "action": "covered by", "detail": "", "links": links}
    if cluster.ref.category == UNTRIAGED:
        return {"status": None, "action": "needs a category before it can count", "detail": "", "links": []}
    below = f"below the threshold ({fmt.number(digest.threshold)})"
    return {"status": None, "action": below, "detail": "", "links": []}


def _action_points_view(
    digest: ReviewDigest, summaries: Mapping[str, str | None], context: PageContext
) -> dict[str, Any]:
    """Each AP with its summary, owner by display name, due day, status and flags."""
    today = digest.at.astimezone(context.tz).date()
    rows = [
        {
            "issue": _issue(row.key, context),
            "summary": summaries.get(row.key) or "",
            "cluster": cluster_text(row.cluster),
            "owner": person(row.owner, context.names) if row.owner else "no owner",
            "due": day_said(row.due, today) if row.due else "no due date",
            "status": row.status or "—",
            "flags": [fmt.flag_status(f) for f in row.flags],
        }
        for row in digest.action_points
    ]
    return {"rows": rows}


def _effectiveness_view(program: ProblemProgram, digest: ReviewDigest, context: PageContext) -> dict[str, Any]:
    rows = []
    for closed in digest.closed:
        e = closed.effectiveness
        decided = (
            f"until {fmt.local_day(e.decided_at, context.tz)}"
            if e.verdict == "watching"
            else f"judged {fmt.local_day(e.decided_at, context.tz)}"
        )
        rows.append(
            {
                "issue": _issue(closed.key, context),
                "cluster": cluster_text(closed.cluster),
                "resolved": fmt.local_day(e.resolved, context.tz),
                "counts": f"{e.before} → {e.after} ({_rate(e.rate_before)} → {_rate(e.rate_after)} a day)",
                "verdict": fmt.flag_status(e.verdict),
                "decided": decided,
            }
        )
    return {
        "rows": rows,
        "before_days": f"{digest.window_days} days",
        "after_days": f"{days(program.action_points.effectiveness_window)} days",
    }


def _rate(rate: float) -> str:
    """Problems a day to 2 decimals; a value no review could have (huge, NaN, ∞) as the pages show numbers."""
    return f"{rate:.2f}" if math.isfinite(rate) and abs(rate) < 1e9 else fmt.number(rate)
