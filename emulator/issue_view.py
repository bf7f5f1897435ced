"""The emulated Jira's issue view: ``GET /browse/KEY`` (Jira's own issue URL) and a project's issue list
at ``/view/projects/KEY``; the viewer's index lists the projects through ``projects_section``."""

from __future__ import annotations

import html

from flask import Blueprint, Response

from emulator.context import current_emulator
from emulator.issue_page import document, issue_anchor, issue_page, project_href, status_lozenge
from emulator.state import ISSUE_NOT_FOUND, Issue, NotFound, Project, Site

blueprint = Blueprint("issues", __name__)

EPIC = "Epic"


@blueprint.get("/browse/<path:key>")
def browse(key: str) -> Response:
    site = current_emulator().site
    with site.lock:
        try:
            issue = site.issue(key)
        except NotFound:
            return _not_found(site, key)
        page = issue_page(site, issue)
    return Response(page, mimetype="text/html")


@blueprint.get("/view/projects/<key>")
def project_issues(key: str) -> Response:
    site = current_emulator().site
    with site.lock:
        project = next((p for p in site.projects if p.key.upper() == key.upper()), None)
        if project is None:
            return _page_missing(f"No project with the key {key!r}", "the viewer's index lists every project")
        issues = _issues_of(site, project)
        rows = "".join(_issue_row(site, issue) for issue in issues)
    body = (
        f'<div class="page"><nav class="crumbs"><a href="/view/">Projects</a> / {html.escape(project.name)}</nav>'
        f"<h1>{html.escape(project.name)} ({html.escape(project.key)}): {len(issues)} issues</h1>"
        f'<table class="list"><tr><th>Key</th><th>Type</th><th>Summary</th><th>Status</th></tr>{rows}</table></div>'
    )
    return Response(document(f"{project.name} issues", body), mimetype="text/html")


def projects_section(site: Site) -> str:
    """For the viewer's index: each project, linked to its issue list, with its epics linked to their pages.
    The caller holds the lock."""
    parts = ["<h2>Jira issues</h2>"]
    for project in site.projects:
        issues = _issues_of(site, project)
        epics = "".join(
            f"<li>{issue_anchor(issue)} {html.escape(str(issue.fields.get('summary') or ''))}</li>"
            for issue in issues
            if _type_name(site, issue) == EPIC
        )
        parts.append(
            f'<h3><a href="{project_href(project.key)}">{html.escape(project.name)} ({html.escape(project.key)})</a>'
            f": {len(issues)} issues</h3>" + (f"<ul>{epics}</ul>" if epics else "")
        )
    return "".join(parts)


def _issues_of(site: Site, project: Project) -> list[Issue]:
    return sorted((i for i in site.issues.values() if i.project_id == project.id), key=lambda i: i.number)


def _type_name(site: Site, issue: Issue) -> str:
    try:
        return str(site.issue_type(issue.fields.get("issuetype"))["name"])
    except NotFound:
        return ""


def _issue_row(site: Site, issue: Issue) -> str:
    return (
        f"<tr><td>{issue_anchor(issue)}</td><td>{html.escape(_type_name(site, issue))}</td>"
        f"<td>{html.escape(str(issue.fields.get('summary') or ''))}</td>"
        f"<td>{status_lozenge(site, issue.fields.get('status'))}</td></tr>"
    )


def _not_found(site: Site, key: str) -> Response:
    """Jira's answer for a key that names no issue (deleted, mistyped, or never there)."""
    return _page_missing(
        f"Issue {key} does not exist",
        f"{ISSUE_NOT_FOUND[site.flavor]} Check the key; the viewer's index lists the projects and their epics.",
    )


def _page_missing(title: str, explanation: str) -> Response:
    body = (
        f'<div class="page"><nav class="crumbs"><a href="/view/">Projects</a></nav>'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(explanation)}</p>"
        '<p><a href="/view/">All pages and projects</a></p></div>'
    )
    return Response(document(title, body), status=404, mimetype="text/html")
