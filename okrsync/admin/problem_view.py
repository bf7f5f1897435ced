"""What the admin problem review shows of a program's result (pure): clusters in review order, issues
linked to Jira with their summaries, action points with owner, due date, status and summary."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from okr.problems.review import ClusterFacts
from okr.problems.review import review_order as in_review_order
from publish.confluence.formatting import browse_url
from publish.people import Names, person

Issues = Mapping[str, Mapping[str, Any]]  # issue key → its mirror document


def keys_of(result: Mapping[str, Any]) -> list[str]:
    """Every issue key the program's result names: its clusters' problems, untriaged ones, action points."""
    found = [k for c in result.get("clusters") or [] for k in c.get("problems") or []]
    found += list(result.get("untriaged") or [])
    found += [str(ap.get("key")) for ap in result.get("action_points") or []]
    return list(dict.fromkeys(found))


def assignees_of(issues: Issues) -> list[str]:
    return sorted({str(d["assignee"]) for d in issues.values() if d.get("assignee")})


def review_order(clusters: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Candidates first, then the other clusters by score, the untriaged ones last (the program page's order)."""
    return in_review_order(clusters, _facts)


def _facts(cluster: Mapping[str, Any]) -> ClusterFacts:
    try:
        score = float(cluster.get("score") or 0.0)
    except (TypeError, ValueError):
        score = 0.0
    return str(cluster.get("category")), bool(cluster.get("candidate")), score


def issue_view(key: str, issues: Issues, jira_url: str | None) -> dict[str, Any]:
    document = issues.get(key) or {}
    return {"key": key, "url": browse_url(jira_url, key), "summary": document.get("summary")}


def problem_review(result: Mapping[str, Any], issues: Issues, names: Names, jira_url: str | None) -> dict[str, Any]:
    """The program's result as the page lists it."""
    clusters = [
        {**c, "issues": [issue_view(k, issues, jira_url) for k in c.get("problems") or []]}
        for c in review_order(result.get("clusters") or [])
    ]
    return {
        "clusters": clusters,
        "untriaged": [issue_view(k, issues, jira_url) for k in result.get("untriaged") or []],
        "action_points": [action_point_view(ap, issues, names, jira_url) for ap in result.get("action_points") or []],
    }


def action_point_view(ap: Mapping[str, Any], issues: Issues, names: Names, jira_url: str | None) -> dict[str, Any]:
    key = str(ap.get("key"))
    document = issues.get(key) or {}
    assignee = document.get("assignee")
    return {
        **ap,
        **issue_view(key, issues, jira_url),
        "owner": person(str(assignee), names) if assignee else None,
        "due": _day(document.get("duedate")),
        "status": document.get("status"),
    }


def _day(value: Any) -> str | None:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
    return f"{day.day} {day:%b %Y}" if day else None
