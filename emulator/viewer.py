"""A page viewer: Confluence storage format rendered as readable, safe HTML at ``/view``.

``render_storage`` is pure. It keeps a small allow-list of HTML elements, turns status macros into
coloured lozenges, chart macros into charts drawn from their table (:mod:`emulator.chart_macro`), page
links into viewer links and links to a Jira issue of the site (``…/browse/KEY``, the Jira issue macro)
into its issue view (``/browse/KEY``), escapes all text, and drops every attribute
except safe ``href`` / ``colspan`` / ``rowspan``. Markup that does not parse is shown escaped.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass
from html.entities import name2codepoint
from urllib.parse import unquote

from flask import Blueprint, Response, abort, redirect, url_for

from emulator.chart_macro import chart_html
from emulator.confluence_pages import ancestors_of
from emulator.context import current_emulator
from emulator.issue_page import browse_href
from emulator.issue_view import projects_section
from emulator.state import NotFound, Page, Site

blueprint = Blueprint("viewer", __name__)

AC = "http://atlassian.com/content"
RI = "http://atlassian.com/resource/identifier"
ALLOWED = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "ul",
    "ol",
    "li",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "del",
    "code",
    "pre",
    "blockquote",
    "span",
    "div",
    "br",
    "hr",
    "a",
    "sub",
    "sup",
    "colgroup",
    "col",
}
VOID = {"br", "hr", "col"}
LOZENGES = {
    "green": "#1f845a",
    "yellow": "#b38600",
    "red": "#c9372c",
    "blue": "#0c66e4",
    "purple": "#6e5dc6",
    "grey": "#626f86",
}
SAFE_HREF = re.compile(r"^(https?:|mailto:|/|#)", re.IGNORECASE)
STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#172b4d;
overflow-wrap:break-word}
table{border-collapse:collapse;margin:1rem 0;max-width:100%}th,td{border:1px solid #dfe1e6;padding:.4rem .6rem;
text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f5f7;overflow-wrap:normal}.lozenge{display:inline-block;border-radius:3px;padding:0 .35rem;
font-size:.75rem;font-weight:700;color:#fff;text-transform:uppercase;white-space:nowrap;overflow-wrap:normal}
.macro{border:1px dashed #c1c7d0;padding:.5rem;margin:.5rem 0}
nav{font-size:.85rem;margin-bottom:1rem}.unparsed{white-space:pre-wrap;background:#fff4e5;padding:1rem}
.chart{margin:1rem 0;max-width:40rem}.chart svg{display:block;width:100%;height:auto}"""

PageLink = Callable[[str, str | None], str | None]  # (title, space key) -> href
IssueLink = Callable[[str], str | None]  # issue key -> href


@dataclass(frozen=True)
class Links:
    """Where a page's links lead in the viewer: other pages, and Jira issues (their issue view)."""

    page: PageLink = lambda title, space: None
    issue: IssueLink = lambda key: None

    def href(self, target: str) -> str:
        """A link to ``…/browse/KEY`` of an issue the site has leads to its issue view here."""
        _, marker, tail = target.rpartition("/browse/")
        key = unquote(tail.split("?", 1)[0].split("#", 1)[0]).strip("/")
        local = self.issue(key) if marker and key else None
        return local or target


def render_storage(
    storage: str, page_link: PageLink = lambda title, space: None, issue_link: IssueLink = lambda key: None
) -> str:
    """Storage XHTML → safe HTML. Never raises: unparsable input comes back escaped in a <pre>."""
    try:
        root = ElementTree.fromstring(_as_document(storage))
    except ElementTree.ParseError as exc:
        return (
            f"<p><em>This page's storage format does not parse ({html.escape(str(exc))}):</em></p>"
            f'<pre class="unparsed">{html.escape(storage)}</pre>'
        )
    return _children(root, Links(page_link, issue_link))


def _as_document(storage: str) -> str:
    """Declare the ac:/ri: namespaces and turn HTML named entities into numeric ones."""

    def entity(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("amp", "lt", "gt", "quot", "apos"):
            return match.group(0)
        return f"&#{name2codepoint[name]};" if name in name2codepoint else f"&amp;{name};"

    body = re.sub(r"&([A-Za-z][A-Za-z0-9]*);", entity, storage)
    return f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{body}</root>'


def _children(element: ElementTree.Element, links: Links) -> str:
    parts = [html.escape(element.text or "")]
    for child in element:
        parts.append(_element(child, links))
        parts.append(html.escape(child.tail or ""))
    return "".join(parts)


def _element(element: ElementTree.Element, links: Links) -> str:
    tag = element.tag
    if tag.startswith(f"{{{AC}}}"):
        return _macro(element, tag[len(AC) + 2 :], links)
    if tag.startswith("{"):
        return ""
    if tag not in ALLOWED:
        return _children(element, links)
    if tag in VOID:
        return f"<{tag}>"
    return f"<{tag}{_attributes(element, links)}>{_children(element, links)}</{tag}>"


def _attributes(element: ElementTree.Element, links: Links) -> str:
    kept = []
    href = element.get("href")
    if element.tag == "a" and href and SAFE_HREF.match(href.strip()):
        kept.append(f' href="{html.escape(links.href(href.strip()), quote=True)}"')
    for name in ("colspan", "rowspan"):
        value = element.get(name)
        if value and value.isdigit():
            kept.append(f' {name}="{value}"')
    return "".join(kept)


def _macro(element: ElementTree.Element, name: str, links: Links) -> str:
    if name == "structured-macro":
        return _structured_macro(element, links)
    if name == "link":
        return _link(element, links)
    if name in ("rich-text-body", "plain-text-body", "layout", "layout-section", "layout-cell"):
        return f"<div>{_children(element, links)}</div>"
    if name == "image":
        return '<span class="macro">[image]</span>'
    return ""


def _parameters(element: ElementTree.Element) -> dict[str, str]:
    return {p.get(f"{{{AC}}}name", ""): "".join(p.itertext()) for p in element.findall(f"{{{AC}}}parameter")}


def _structured_macro(element: ElementTree.Element, links: Links) -> str:
    name = element.get(f"{{{AC}}}name", "")
    parameters = _parameters(element)
    if name == "jira" and parameters.get("key"):
        return _jira_issue(parameters["key"].strip(), links)
    if name == "status":
        colour = LOZENGES.get(parameters.get("colour", "grey").lower(), LOZENGES["grey"])
        title = parameters.get("title") or parameters.get("colour", "")
        return f'<span class="lozenge" style="background:{colour}">{html.escape(title)}</span>'
    if name == "anchor":  # a place to link to, its id the anchor name as Confluence Cloud renders it
        return _anchor(parameters.get("", ""))
    if name == "chart":  # drawn from the table in its body, as Confluence draws it
        return chart_html(element, parameters)
    body = element.find(f"{{{AC}}}rich-text-body")
    if body is None:
        body = element.find(f"{{{AC}}}plain-text-body")
    inner = _children(body, links) if body is not None else ""
    if name in ("info", "note", "warning", "tip", "panel", "expand", "code"):
        return f'<div class="macro"><strong>{html.escape(name)}</strong> {inner}</div>'
    if name in ("details", "section", "column"):  # Confluence shows only their content
        return f'<div class="macro">{inner}</div>'
    return f'<div class="macro">[{html.escape(name)} macro]{inner}</div>'


def _jira_issue(key: str, links: Links) -> str:
    """The Jira issue macro: the issue's key, linked to its issue view when the site has it."""
    href = links.issue(key)
    return f'<a href="{html.escape(href, quote=True)}">{html.escape(key)}</a>' if href else html.escape(key)


def _anchor(name: str) -> str:
    return f'<span id="{html.escape(name)}"></span>' if name else ""


def _link(element: ElementTree.Element, links: Links) -> str:
    text_node = element.find(f"{{{AC}}}plain-text-link-body")
    page = element.find(f"{{{RI}}}page")
    url = element.find(f"{{{RI}}}url")
    if page is not None:
        title = page.get(f"{{{RI}}}content-title", "")
        label = html.escape(text_node.text if text_node is not None and text_node.text else title)
        href = links.page(title, page.get(f"{{{RI}}}space-key"))
        return f'<a href="{html.escape(href, quote=True)}">{label}</a>' if href else label
    if url is not None:
        target = url.get(f"{{{RI}}}value", "")
        label = html.escape(text_node.text if text_node is not None and text_node.text else target)
        if not SAFE_HREF.match(target):
            return label
        return f'<a href="{html.escape(links.href(target), quote=True)}">{label}</a>'
    return html.escape("".join(element.itertext()))


def page_document(page: Page, content: str, breadcrumbs: list[tuple[str, str]]) -> str:
    trail = " / ".join(
        f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>' for label, href in breadcrumbs
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(page.title)}</title>'
        f"<style>{STYLE}</style></head><body><nav>{trail}</nav><h1>{html.escape(page.title)}</h1>"
        f"<p><small>version {page.version} · updated {html.escape(page.updated)}</small></p>"
        f"{content}</body></html>"
    )


# ---------------------------------------------------------------------------- routes


@blueprint.get("/view/")
@blueprint.get("/view")
def index() -> Response:
    site = current_emulator().site
    items = []
    with site.lock:
        for space in site.spaces:
            links = "".join(
                f'<li><a href="{url_for("viewer.show_page", page_id=p.id)}">{html.escape(p.title)}</a></li>'
                for p in sorted(site.pages.values(), key=lambda p: int(p.id))
                if p.space_key == space.key
            )
            items.append(f"<h2>{html.escape(space.name)} ({html.escape(space.key)})</h2><ul>{links}</ul>")
        items.append(projects_section(site))
    document = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>Pages and issues</title><style>{STYLE}</style>'
        f"</head><body><h1>{html.escape(site.title)}: pages and issues</h1>{''.join(items)}</body></html>"
    )
    return Response(document, mimetype="text/html")


@blueprint.get("/view/pages/<page_id>")
def show_page(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        try:
            page = site.page(page_id)
        except NotFound:
            abort(404)

        def link(title: str, space_key: str | None) -> str | None:
            target = next(
                (p for p in site.pages.values() if p.title == title and p.space_key == (space_key or page.space_key)),
                None,
            )
            return url_for("viewer.show_page", page_id=target.id) if target else None

        content = render_storage(page.body, link, issue_link(site))
        crumbs = [("All pages", url_for("viewer.index"))] + [
            (a.title, url_for("viewer.show_page", page_id=a.id)) for a in ancestors_of(site, page)
        ]
    return Response(page_document(page, content, crumbs), mimetype="text/html")


def issue_link(site: Site) -> IssueLink:
    """An issue key → its issue view, for the keys the site has (the caller holds the lock)."""

    def link(key: str) -> str | None:
        try:
            return browse_href(site.issue(key).key)
        except NotFound:
            return None

    return link


@blueprint.get("/wiki/display/<space_key>/<path:title>")
def display_url(space_key: str, title: str) -> Response:
    """Confluence's display URLs, ``/display/SPACE/Page+Title`` (``+`` for a space), lead to the viewer."""
    site = current_emulator().site
    wanted = title.replace("+", " ")
    with site.lock:
        page = next((p for p in site.pages.values() if p.space_key == space_key and p.title == wanted), None)
    if page is None:
        abort(404)
    return redirect(url_for("viewer.show_page", page_id=page.id))  # type: ignore[return-value]


@blueprint.get("/wiki/spaces/<space_key>/pages/<page_id>")
@blueprint.get("/wiki/spaces/<space_key>/pages/<page_id>/<path:title>")
def web_ui(space_key: str, page_id: str, title: str = "") -> Response:
    """Confluence's ``_links.webui`` paths lead to the viewer."""
    return redirect(url_for("viewer.show_page", page_id=page_id))  # type: ignore[return-value]
