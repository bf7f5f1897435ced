"""Atlassian Document Format (what a v3 comment or description holds) → safe HTML. Pure.

Block nodes (paragraph, heading, lists, blockquote, code block, rule, panel, expand, tables) become
their HTML elements, inline nodes (text with its marks, hard breaks, mentions, emoji, status, dates,
cards) their inline forms; media shows as ``[attachment]``; an unknown node shows its content. Every
text is escaped and a link's ``href`` must be ``http(s):``, ``mailto:``, a path or an anchor.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulator.wiki_markup import safe_url

WRAPPERS = {  # node type → the element its content goes in
    "paragraph": "p",
    "bulletList": "ul",
    "orderedList": "ol",
    "listItem": "li",
    "blockquote": "blockquote",
    "table": "table",
    "tableRow": "tr",
    "tableHeader": "th",
    "tableCell": "td",
}
MARKS = {"strong": "strong", "em": "em", "strike": "del", "code": "code", "underline": "u"}


def adf_to_html(node: Any) -> str:
    """An ADF document (or any node of one) as HTML; a value that is not ADF shows as escaped text."""
    if isinstance(node, str):
        return html.escape(node)
    if not isinstance(node, dict):
        return ""
    kind = str(node.get("type", ""))
    if kind in WRAPPERS:
        tag = WRAPPERS[kind]
        return f"<{tag}>{_content(node)}</{tag}>"
    render = RENDERERS.get(kind)
    return render(node) if render is not None else _content(node)


def _content(node: dict[str, Any]) -> str:
    return "".join(adf_to_html(child) for child in _list(node.get("content")))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _attrs(node: dict[str, Any]) -> dict[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _text(node: dict[str, Any]) -> str:
    rendered = html.escape(_string(node.get("text")))
    for mark in _list(node.get("marks")):
        if isinstance(mark, dict):
            rendered = _marked(rendered, mark)
    return rendered


def _marked(rendered: str, mark: dict[str, Any]) -> str:
    kind = mark.get("type")
    if kind in MARKS:
        return f"<{MARKS[kind]}>{rendered}</{MARKS[kind]}>"
    if kind == "subsup":
        tag = "sup" if _attrs(mark).get("type") == "sup" else "sub"
        return f"<{tag}>{rendered}</{tag}>"
    href = str(_attrs(mark).get("href", ""))
    if kind == "link" and safe_url(href):
        return f'<a href="{html.escape(href, quote=True)}">{rendered}</a>'
    return rendered


def _heading(node: dict[str, Any]) -> str:
    level = _attrs(node).get("level")
    level = level if isinstance(level, int) and 1 <= level <= 6 else 3
    return f"<h{level}>{_content(node)}</h{level}>"


def _code_block(node: dict[str, Any]) -> str:
    text = "".join(_string(child.get("text")) for child in _list(node.get("content")) if isinstance(child, dict))
    return f"<pre><code>{html.escape(text)}</code></pre>"


def _mention(node: dict[str, Any]) -> str:
    text = str(_attrs(node).get("text") or _attrs(node).get("id") or "")
    return f'<span class="mention">{html.escape(text if text.startswith("@") else "@" + text)}</span>'


def _status(node: dict[str, Any]) -> str:
    return f'<span class="lozenge">{html.escape(str(_attrs(node).get("text", "")))}</span>'


def _date(node: dict[str, Any]) -> str:
    try:
        moment = datetime.fromtimestamp(int(str(_attrs(node).get("timestamp"))) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
    return f"<time>{moment:%d %b %Y}</time>"


def _card(node: dict[str, Any]) -> str:
    url = str(_attrs(node).get("url", ""))
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>' if safe_url(url) else html.escape(url)


def _expand(node: dict[str, Any]) -> str:
    title = html.escape(str(_attrs(node).get("title", "")))
    return f'<div class="panel"><strong>{title}</strong>{_content(node)}</div>'


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "text": _text,
    "heading": _heading,
    "codeBlock": _code_block,
    "rule": lambda node: "<hr>",
    "hardBreak": lambda node: "<br>",
    "mention": _mention,
    "emoji": lambda node: html.escape(str(_attrs(node).get("text") or _attrs(node).get("shortName") or "")),
    "status": _status,
    "date": _date,
    "inlineCard": _card,
    "blockCard": _card,
    "panel": lambda node: f'<div class="panel">{_content(node)}</div>',
    "expand": _expand,
    "nestedExpand": _expand,
    "mediaSingle": lambda node: '<span class="attachment">[attachment]</span>',
    "mediaGroup": lambda node: '<span class="attachment">[attachment]</span>',
}
