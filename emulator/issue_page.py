"""A Jira issue as Jira's issue view shows it, as one HTML page. Pure: the site and the issue in, text out.

Laid out like the issue view: the breadcrumb (Projects / project / parent / key), the summary as the
heading, then on the left the description, child issues, linked issues, the web links (remote issue
links, grouped by their relationship, a resolved one struck through) and the comments; on the right
the Details panel (type, status lozenge, priority, people by display name, labels, components,
parent, and every custom field that has a value, by its name) and the dates. What Jira's issue view
does not show stays hidden: issue properties and comment properties. Every text from Jira is escaped.
The caller holds the site's lock.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from emulator.adf_html import adf_to_html
from emulator.custom_fields import is_epic_link
from emulator.state import Issue, NotFound, Site
from emulator.timefmt import parse_moment
from emulator.wiki_markup import safe_url, wiki_to_html

LOZENGE_CLASSES = {"new": "todo", "indeterminate": "progress", "done": "done"}
ICON_SOURCES = ("http:", "https:", "/", "data:image/png", "data:image/gif", "data:image/svg+xml")
DEFAULT_RELATIONSHIP = "links to"  # what Jira shows for a remote link without one
STYLE = """*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#172b4d;
margin:0;background:#fff}a{color:#0c66e4;text-decoration:none}a:hover{text-decoration:underline}
.page{max-width:78rem;margin:0 auto;padding:1.25rem 2rem 3rem}nav.crumbs{font-size:13px;color:#626f86}
nav.crumbs a{color:#626f86}h1{font-size:24px;font-weight:500;margin:.4rem 0 1.25rem;overflow-wrap:anywhere}
.issue{display:grid;grid-template-columns:minmax(0,1fr) minmax(15rem,22rem);gap:2.5rem}
section{margin:0 0 1.75rem}h2{font-size:14px;font-weight:600;margin:0 0 .5rem}
.rich{overflow-wrap:anywhere}.rich pre{white-space:pre-wrap;background:#f7f8f9;padding:.5rem;border-radius:3px}
.rich table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto}
.rich th,.rich td{border:1px solid #dcdfe4;padding:.25rem .5rem}.rich blockquote{border-left:2px solid #dcdfe4;
margin:.5rem 0;padding-left:1rem;color:#44546f}.panel{background:#f7f8f9;padding:.5rem 1rem;border-radius:3px}
.lozenge{display:inline-block;border-radius:3px;padding:0 4px;font-size:11px;font-weight:700;line-height:16px;
text-transform:uppercase;background:#dcdfe4;color:#44546f;white-space:nowrap}.lozenge.progress{background:#cce0ff;
color:#0055cc}.lozenge.done{background:#baf3db;color:#216e4e}.details{border:1px solid #dcdfe4;border-radius:3px}
.details h2{padding:.6rem .9rem;border-bottom:1px solid #dcdfe4;margin:0}.details dl{display:grid;
grid-template-columns:minmax(6rem,40%) minmax(0,1fr);gap:.55rem .75rem;margin:0;padding:.9rem}
.details dt{color:#44546f;font-weight:600;overflow-wrap:anywhere}.details dd{margin:0;overflow-wrap:anywhere}
.tag{display:inline-block;background:#f1f2f4;border-radius:3px;padding:0 4px;margin:0 4px 2px 0}
.none{color:#626f86}.dates{color:#626f86;font-size:12px;margin-top:.75rem}.dates p{margin:.15rem 0}
ul.links{list-style:none;margin:0;padding:0}ul.links li{display:flex;gap:.5rem;align-items:center;
padding:.35rem .5rem;border:1px solid #dcdfe4;border-radius:3px;margin-bottom:.35rem;overflow-wrap:anywhere}
ul.links img{width:16px;height:16px;vertical-align:text-bottom;flex:none}.links .summary{color:#44546f}
.links del a{color:#626f86}h3.relationship{font-size:12px;color:#626f86;font-weight:600;margin:.5rem 0 .25rem}
.comment{display:flex;gap:.75rem;margin:0 0 1.25rem}.avatar{flex:none;width:32px;height:32px;border-radius:50%;
background:#0c66e4;color:#fff;font-weight:600;display:flex;align-items:center;justify-content:center}
.comment .meta{font-size:13px}.comment .meta time{color:#626f86;margin-left:.5rem}.comment .body{min-width:0}
.mention{background:#f1f2f4;border-radius:20px;padding:0 .3rem}.tabs{font-size:13px;color:#626f86;
margin:0 0 .75rem}.tabs strong{color:#0c66e4;border-bottom:2px solid #0c66e4;padding-bottom:2px}
table.list{border-collapse:collapse;width:100%}table.list th,table.list td{text-align:left;
border-bottom:1px solid #dcdfe4;padding:.3rem .5rem;overflow-wrap:anywhere}
@media (max-width:56rem){.issue{grid-template-columns:minmax(0,1fr)}}"""

Row = tuple[str, str]  # (label, HTML)


def issue_page(site: Site, issue: Issue) -> str:
    """The whole document of ``/browse/KEY``."""
    main = "".join(
        (
            _section("Description", _description(site, issue)),
            _children_section(site, issue),
            _issue_links_section(site, issue),
            _web_links_section(issue),
            _activity_section(site, issue),
        )
    )
    side = _details_panel(site, issue) + _dates(issue)
    body = (
        f'<div class="page">{_breadcrumb(site, issue)}<h1 id="summary">{_text(issue.fields.get("summary"))}</h1>'
        f'<div class="issue"><main>{main}</main><aside>{side}</aside></div></div>'
    )
    return document(f"[{issue.key}] {issue.fields.get('summary') or ''}", body)


def document(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
        f"<body>{body}</body></html>"
    )


def browse_href(key: str) -> str:
    return f"/browse/{quote(key, safe='')}"


def project_href(key: str) -> str:
    return f"/view/projects/{quote(key, safe='')}"


# ---------------------------------------------------------------------------- small pieces


def _text(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _section(title: str, content: str, section_id: str = "") -> str:
    identity = f' id="{section_id}"' if section_id else ""
    return f"<section{identity}><h2>{html.escape(title)}</h2>{content}</section>"


def _none(text: str = "None") -> str:
    return f'<span class="none">{html.escape(text)}</span>'


def status_lozenge(site: Site, status_id: Any) -> str:
    try:
        status = site.status(status_id)
    except NotFound:
        return _none()
    css = LOZENGE_CLASSES.get(status["category"], "todo")
    return f'<span class="lozenge {css}">{html.escape(status["name"])}</span>'


def issue_anchor(issue: Issue) -> str:
    return f'<a href="{browse_href(issue.key)}">{html.escape(issue.key)}</a>'


def when(value: Any) -> str:
    """A stored Jira time as a person reads it: ``3 Dec 2026, 14:02 UTC``."""
    if not value:
        return ""
    try:
        moment = parse_moment(value, datetime.now(UTC)).astimezone(UTC)
    except ValueError:
        return str(value)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def rich(site: Site, value: Any) -> str:
    """A description or comment body: ADF (v3) or wiki markup (v2), as HTML."""
    if isinstance(value, dict):
        return f'<div class="rich">{adf_to_html(value)}</div>'
    return f'<div class="rich">{wiki_to_html(str(value or ""), _mention(site))}</div>'


def _mention(site: Site) -> Callable[[str], str]:
    def display_name(reference: str) -> str:
        try:
            return site.user(reference.removeprefix("accountid:")).display_name
        except NotFound:
            return reference

    return display_name


def user_name(site: Site, reference: Any) -> str:
    if not reference:
        return ""
    try:
        return site.user(reference).display_name
    except NotFound:
        return str(reference)


# ---------------------------------------------------------------------------- header and main column


def _breadcrumb(site: Site, issue: Issue) -> str:
    project = site.project_by_id(issue.project_id)
    parts = [
        '<a href="/view/">Projects</a>',
        f'<a href="{project_href(project.key)}">{html.escape(project.name)}</a>',
    ]
    parent = site.issues.get(str(issue.fields.get("parent") or ""))
    if parent is not None:
        parts.append(issue_anchor(parent))
    parts.append(f'<a href="{browse_href(issue.key)}" id="key">{html.escape(issue.key)}</a>')
    return f'<nav class="crumbs">{" / ".join(parts)}</nav>'


def _description(site: Site, issue: Issue) -> str:
    value = issue.fields.get("description")
    return rich(site, value) if value else _none("Add a description…")


def _children_section(site: Site, issue: Issue) -> str:
    children = site.children(issue.id) + _epic_members(site, issue)
    if not children:
        return ""
    rows = "".join(
        f"<li>{issue_anchor(child)} <span>{_text(child.fields.get('summary'))}</span> "
        f"{status_lozenge(site, child.fields.get('status'))}</li>"
        for child in children
    )
    return _section("Child issues", f'<ul class="links">{rows}</ul>', "children")


def _epic_members(site: Site, issue: Issue) -> list[Issue]:
    """Data Center: the issues whose Epic Link names this epic."""
    links = [entry["id"] for entry in site.custom_fields if is_epic_link(entry)]
    if not links:
        return []
    return [other for other in site.issues.values() if any(other.fields.get(f) == issue.id for f in links)]


def _issue_links_section(site: Site, issue: Issue) -> str:
    rows = []
    for link in site.links_of(issue.id):
        outward = link["inward"] == issue.id  # as the API answers it: the other issue is the outward one
        other = site.issues.get(link["outward"] if outward else link["inward"])
        try:
            kind = site.link_type(link["type"])
        except NotFound:
            continue
        if other is not None:
            rows.append(
                f'<li><span class="summary">{html.escape(kind["outward" if outward else "inward"])}</span> '
                f"{issue_anchor(other)} <span>{_text(other.fields.get('summary'))}</span> "
                f"{status_lozenge(site, other.fields.get('status'))}</li>"
            )
    return _section("Linked issues", f'<ul class="links">{"".join(rows)}</ul>', "issue-links") if rows else ""


# ---------------------------------------------------------------------------- web links (remote issue links)


def _web_links_section(issue: Issue) -> str:
    if not issue.remote_links:
        return ""
    groups: dict[str, list[str]] = {}
    for link in issue.remote_links:
        relationship = str(link.get("relationship") or DEFAULT_RELATIONSHIP)
        groups.setdefault(relationship, []).append(remote_link_item(link))
    content = "".join(
        f'<h3 class="relationship">{html.escape(name)}</h3><ul class="links">{"".join(items)}</ul>'
        for name, items in groups.items()
    )
    return _section("Web links", content, "web-links")


def remote_link_item(link: dict[str, Any]) -> str:
    """One remote link: its icon, its title linked to its URL (struck through when resolved), its
    summary and its status icon."""
    item = _mapping(link.get("object"))
    status = _mapping(item.get("status"))
    url, title = str(item.get("url") or ""), _text(item.get("title"))
    anchor = f'<a href="{html.escape(url, quote=True)}">{title}</a>' if safe_url(url) else title
    resolved = status.get("resolved") is True
    if resolved:
        anchor = f'<del title="resolved">{anchor}</del>'
    summary = f' <span class="summary">{_text(item.get("summary"))}</span>' if item.get("summary") else ""
    css = ' class="resolved"' if resolved else ""
    return f"<li{css}>{_icon(item.get('icon'), '🔗')}<span>{anchor}{summary}</span>{_icon(status.get('icon'))}</li>"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _icon(icon: Any, fallback: str = "") -> str:
    """``{url16x16, title}`` as a 16 px image; without a usable URL the fallback character."""
    icon = _mapping(icon)
    source, title = str(icon.get("url16x16") or ""), html.escape(str(icon.get("title") or ""), quote=True)
    if not source.strip().lower().startswith(ICON_SOURCES):
        return f'<span aria-hidden="true">{fallback}</span>' if fallback else ""
    return f'<img src="{html.escape(source, quote=True)}" alt="{title}" title="{title}">'


# ---------------------------------------------------------------------------- activity


def _activity_section(site: Site, issue: Issue) -> str:
    comments = "".join(_comment(site, comment) for comment in reversed(issue.comments))
    tabs = '<p class="tabs">Show: <strong>Comments</strong> · newest first</p>'
    empty = "" if issue.comments else _none("There are no comments yet on this issue.")
    return _section("Activity", f'{tabs}<div id="comments">{comments}{empty}</div>', "activity")


def _comment(site: Site, comment: dict[str, Any]) -> str:
    """Author, date and body; the comment's properties are not shown (Jira's issue view does not)."""
    author = user_name(site, comment.get("author")) or "Anonymous"
    edited = " (edited)" if comment.get("updated") and comment.get("updated") != comment.get("created") else ""
    return (
        f'<article class="comment" id="comment-{html.escape(str(comment.get("id", "")), quote=True)}">'
        f'<span class="avatar" aria-hidden="true">{html.escape(author[:1].upper())}</span>'
        f'<div class="body"><div class="meta"><strong>{html.escape(author)}</strong>'
        f"<time>{html.escape(when(comment.get('created')))}{edited}</time></div>"
        f"{rich(site, comment.get('body'))}</div></article>"
    )


# ---------------------------------------------------------------------------- the Details panel


def _details_panel(site: Site, issue: Issue) -> str:
    rows = _system_rows(site, issue) + _custom_rows(site, issue)
    items = "".join(f"<dt>{html.escape(label)}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<section class="details" id="details"><h2>Details</h2><dl>{items}</dl></section>'


def _system_rows(site: Site, issue: Issue) -> list[Row]:
    fields = issue.fields
    project = site.project_by_id(issue.project_id)
    components = [c["name"] for c in project.components if c["id"] in (fields.get("components") or [])]
    rows: list[Row] = [
        ("Type", _catalog_name(site.issue_type, fields.get("issuetype"))),
        ("Status", status_lozenge(site, fields.get("status"))),
        ("Priority", _catalog_name(site.priority, fields.get("priority"))),
        ("Assignee", _text(user_name(site, fields.get("assignee"))) or _none("Unassigned")),
        ("Reporter", _text(user_name(site, fields.get("reporter"))) or _none()),
        ("Labels", _tags(fields.get("labels") or [])),
        ("Components", _tags(components)),
    ]
    parent = site.issues.get(str(fields.get("parent") or ""))
    if parent is not None:
        rows.append(("Parent", f"{issue_anchor(parent)} {_text(parent.fields.get('summary'))}"))
    if fields.get("resolution"):
        rows.append(("Resolution", _catalog_name(site.resolution, fields.get("resolution"))))
    if fields.get("duedate"):
        rows.append(("Due date", _text(fields.get("duedate"))))
    return rows


def _catalog_name(lookup: Callable[[Any], dict[str, Any]], reference: Any) -> str:
    if reference is None:
        return _none()
    try:
        return html.escape(str(lookup(reference)["name"]))
    except NotFound:
        return _text(reference)


def _tags(names: list[str]) -> str:
    return "".join(f'<span class="tag">{_text(name)}</span>' for name in names) or _none()


def _custom_rows(site: Site, issue: Issue) -> list[Row]:
    """Every custom field with a value, by its name, in the site's field order."""
    rows = []
    for entry in site.custom_fields:
        value = issue.fields.get(entry["id"])
        if value is None or value == "" or value == []:
            continue
        rows.append((str(entry["name"]), custom_value(site, entry, value)))
    return rows


def custom_value(site: Site, entry: dict[str, Any], value: Any) -> str:
    """A custom field's value as the issue view shows it: a select option by its value, a user by
    display name, an epic link as the epic's key, a number without a needless ``.0``, rich text rendered."""
    if is_epic_link(entry):
        epic = site.issues.get(str(value))
        return issue_anchor(epic) if epic is not None else _text(value)
    if isinstance(value, list):
        return ", ".join(custom_value(site, entry, item) for item in value)
    if isinstance(value, dict):
        return _object_value(site, entry, value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    option = _option(entry, value)
    return _text(option if option is not None else value)


def _object_value(site: Site, entry: dict[str, Any], value: dict[str, Any]) -> str:
    if value.get("type") == "doc":
        return rich(site, value)
    if "value" in value:  # a select option; a cascading select also has its child
        child = value.get("child")
        shown = _text(value["value"])
        return f"{shown} / {_text(child.get('value'))}" if isinstance(child, dict) else shown
    for key in ("displayName", "name", "key"):
        if value.get(key):
            return _text(value[key])
    option = _option(entry, value.get("id"))
    return _text(option if option is not None else value.get("id", ""))


def _option(entry: dict[str, Any], option_id: Any) -> str | None:
    """The option value of a select field kept by the option's id (when the field lists its options)."""
    for option in entry.get("options") or entry.get("allowedValues") or []:
        if isinstance(option, dict) and str(option.get("id")) == str(option_id):
            return str(option.get("value", option_id))
    return None


def _dates(issue: Issue) -> str:
    lines = [("Created", issue.fields.get("created")), ("Updated", issue.fields.get("updated"))]
    lines.append(("Resolved", issue.fields.get("resolutiondate")))
    shown = "".join(f"<p>{name} {html.escape(when(value))}</p>" for name, value in lines if value)
    return f'<div class="dates">{shown}</div>'
