"""Action points: which issues are APs, their flags, their cluster and whether they worked (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo

from jql.evaluator import folded_items
from jql.formatting import quote
from mapping.models import ActionPoints, ProblemProgram, days
from okr.fields import field_time
from okr.problems.model import ActionPoint, ClusterRef, Document, Effectiveness, Problem, Verdict

SECONDS_PER_DAY = 86400.0


def ap_filter(settings: ActionPoints) -> str:
    """JQL that matches exactly the issues ``is_action_point`` accepts."""
    return f"project = {quote(settings.project)} AND labels = {quote(settings.label)}"


def is_action_point(document: Document, settings: ActionPoints) -> bool:
    """An issue with the AP label in the AP project, compared as JQL compares them (any case)."""
    project = document.get("project")
    return (
        isinstance(project, str)
        and project.casefold() == settings.project.casefold()
        and settings.label.casefold() in folded_items(document.get("labels"))
    )


def is_done(document: Document) -> bool:
    return document.get("statusCategory") == "done"


def linked_keys(document: Document) -> tuple[str, ...]:
    """The keys of the issues linked to this one, in either direction."""
    links = document.get("links")
    found = (link.get("key") for link in (links if isinstance(links, list) else []) if isinstance(link, Mapping))
    return tuple(dict.fromkeys(key for key in found if isinstance(key, str) and key))


def due_date(document: Document) -> date | None:
    value = document.get("duedate")
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def resolved_at(document: Document, tz: tzinfo) -> datetime | None:
    """When the AP was resolved; a done issue without a resolution date counts from its last update."""
    return field_time(document, "resolutiondate", {}, tz) or field_time(document, "updated", {}, tz)


def ap_flags(document: Document, at: datetime, tz: tzinfo) -> tuple[str, ...]:
    """``no_owner``, ``no_due_date``, and ``overdue`` when the due day is before ``at``'s day in ``tz``."""
    flags = []
    assignee = document.get("assignee")
    if not (isinstance(assignee, str) and assignee):
        flags.append("no_owner")
    due = due_date(document)
    if due is None:
        flags.append("no_due_date")
    elif due < at.astimezone(tz).date() and not is_done(document):
        flags.append("overdue")
    return tuple(flags)


def main_cluster(linked: Sequence[str], clusters_of: Mapping[str, tuple[ClusterRef, ...]]) -> ClusterRef | None:
    """The cluster most of the linked problems belong to; ties → the first (category, theme) in order.

    A problem with several themes sits in several clusters, and an AP may link problems of different
    clusters: it covers each of them, but its effectiveness is judged on this one."""
    counts = Counter(ref for key in linked for ref in clusters_of.get(key, ()))
    if not counts:
        return None
    return min(counts, key=lambda ref: (-counts[ref], ref))


def effectiveness(
    resolved: datetime, problems: Sequence[Problem], program: ProblemProgram, at: datetime
) -> Effectiveness:
    """Rate before = problems created in [r − window, r] per day; rate after = those created in
    (r, r + effectiveness window] per day; `watching` while at < r + effectiveness window; then
    `effective` when rate after ≤ 0.5 × rate before, else `ineffective`."""
    window, settle = days(program.window), days(program.action_points.effectiveness_window)
    r = resolved.timestamp()
    moments = [p.created.timestamp() for p in problems if p.created is not None]
    before = sum(1 for m in moments if r - window * SECONDS_PER_DAY <= m <= r)
    after = sum(1 for m in moments if r < m <= r + settle * SECONDS_PER_DAY)
    verdict: Verdict
    if at.timestamp() < r + settle * SECONDS_PER_DAY:
        verdict = "watching"
    else:  # after/settle ≤ 0.5 × before/window, in integers so an exact half is not lost to rounding
        verdict = "effective" if 2 * after * window <= before * settle else "ineffective"
    return Effectiveness(
        verdict=verdict,
        resolved=resolved,
        decided_at=_later(resolved, settle),
        before=before,
        after=after,
        rate_before=before / window,
        rate_after=after / settle,
    )


def _later(moment: datetime, count: int) -> datetime:
    try:
        return moment + timedelta(days=count)
    except OverflowError:
        return datetime.max.replace(tzinfo=moment.tzinfo)


def action_point(
    document: Document,
    program: ProblemProgram,
    clusters_of: Mapping[str, tuple[ClusterRef, ...]],
    members: Mapping[ClusterRef, Sequence[Problem]],
    at: datetime,
    tz: tzinfo,
) -> ActionPoint:
    linked = tuple(key for key in linked_keys(document) if key in clusters_of)
    cluster = main_cluster(linked, clusters_of)
    resolved = resolved_at(document, tz) if is_done(document) else None
    judged = None
    if resolved is not None and cluster is not None:
        judged = effectiveness(resolved, members.get(cluster, ()), program, at)
    assignee, status, summary = document.get("assignee"), document.get("status"), document.get("summary")
    return ActionPoint(
        key=str(document.get("key") or document.get("id") or ""),
        summary=summary if isinstance(summary, str) else None,
        status=status if isinstance(status, str) else None,
        done=is_done(document),
        assignee=assignee if isinstance(assignee, str) and assignee else None,
        due=due_date(document),
        cluster=cluster,
        covers=tuple(sorted({ref for key in linked for ref in clusters_of[key]})),
        linked_problems=linked,
        flags=ap_flags(document, at, tz),
        effectiveness=judged,
    )
