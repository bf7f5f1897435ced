"""Jira wiki markup (what a v2 comment or description holds) → safe HTML, as Jira's issue view shows it. Pure.

The common subset: paragraphs and line breaks, ``h1.``–``h6.``, ``bq.``, ``----``, ``*`` / ``#`` / ``-``
lists (nested by repeating the marker), ``||heading||`` and ``|cell|`` tables, ``{quote}``, ``{panel}``,
``{code}`` and ``{noformat}`` blocks, ``*strong*``, ``_emphasis_``, ``-deleted-``, ``+inserted+``,
``^super^``, ``~sub~``, ``??citation??``, ``{{monospaced}}``, ``[title|url]``, ``[url]``, bare
``http(s)://`` addresses, ``[~accountid:…]`` / ``[~name]`` mentions and ``\\\\`` line breaks; ``{color}``
is dropped, its text kept. Every text is escaped first; only the tags written here are produced, and a
link's target must be ``http(s):``, ``mailto:``, a path or an anchor, else it stays text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

Mention = Callable[[str], str]  # "accountid:5b10…" or a user name → what to show (a display name)

SAFE_SCHEMES = ("http:", "https:", "mailto:", "/", "#")
HEADING = re.compile(r"h([1-6])\. ")
LIST_ITEM = re.compile(r"([*#]+|-) ")
BLOCK_MACRO = re.compile(r"\{(code|noformat|quote|panel)(?::[^}\n]*)?\}")
COLOR = re.compile(r"\{color(?::[^{}\n]*)?\}")
MONOSPACE = re.compile(r"\{\{([^{}\n]+)\}\}")
LINK = re.compile(r"\[([^\[\]\n]*)\]")
BARE_URL = re.compile(r"(?<![\w/])(https?://(?:[^\s\[\]|&<>\x00]|&amp;)+)")
PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
# An effect's marker opens before a non-space and closes after one, outside words; its text cannot hold the marker.
STRONG = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*[^*\s])\*(?![\w*])")
EMPHASIS = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*[^_\s])_(?![\w_])")
DELETED = re.compile(r"(?<![\w-])-(?=\S)([^-\n]*[^-\s])-(?![\w-])")
INSERTED = re.compile(r"(?<![\w+])\+(?=\S)([^+\n]*[^+\s])\+(?![\w+])")
SUPERSCRIPT = re.compile(r"(?<![\w^])\^(?=\S)([^^\n]*[^^\s])\^(?![\w^])")
SUBSCRIPT = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*[^~\s])~(?![\w~])")
CITATION = re.compile(r"(?<![\w?])\?\?(?=\S)([^?\n]*[^?\s])\?\?(?![\w?])")
EFFECTS = (
    (STRONG, "strong"),
    (EMPHASIS, "em"),
    (DELETED, "del"),
    (INSERTED, "ins"),
    (SUPERSCRIPT, "sup"),
    (SUBSCRIPT, "sub"),
    (CITATION, "cite"),
)


def safe_url(url: str) -> bool:
    """Whether a link target may become an ``href``: web and mail addresses, paths and anchors."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


def wiki_to_html(text: str, mention: Mention = lambda reference: reference) -> str:
    """The markup as HTML blocks; never raises (unknown markup is shown as its text)."""
    return _Blocks(mention).render(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


# ---------------------------------------------------------------------------- inline


def inline_html(text: str, mention: Mention) -> str:
    """One line's inline markup → HTML. Links, mentions and monospace are set aside as placeholders
    first, so the effects (``*``, ``_``, ``-``…) never reach into a URL."""
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return f"\x00{len(kept) - 1}\x00"

    escaped = html.escape(text.replace("\x00", ""), quote=True)
    escaped = MONOSPACE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), escaped)
    escaped = LINK.sub(lambda m: keep(_link(m.group(1), mention)), escaped)
    escaped = BARE_URL.sub(lambda m: keep(_anchor(m.group(1), m.group(1))), escaped)
    escaped = COLOR.sub("", escaped).replace("\\\\", "<br>")
    for pattern, tag in EFFECTS:
        escaped = pattern.sub(lambda m, tag=tag: f"<{tag}>{m.group(1)}</{tag}>", escaped)  # type: ignore[misc]
    return PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], escaped)


def _link(inside: str, mention: Mention) -> str:
    """``[title|target]``, ``[target]`` or ``[~user]`` (already escaped text)."""
    if inside.startswith("~"):
        return f'<span class="mention">@{html.escape(mention(html.unescape(inside[1:])))}</span>'
    title, _, target = inside.rpartition("|")
    return _anchor(title or target, target.strip())


def _anchor(label: str, target: str) -> str:
    if not safe_url(html.unescape(target)):
        return label
    return f'<a href="{target}">{label}</a>'


# ---------------------------------------------------------------------------- blocks


class _Blocks:
    """Reads lines into blocks; ``out`` collects the HTML, ``paragraph`` the lines of the open one."""

    def __init__(self, mention: Mention) -> None:
        self.mention = mention
        self.out: list[str] = []
        self.paragraph: list[str] = []
        self.lists: list[str] = []  # the open list tags, outermost first
        self.table: list[str] = []

    def render(self, lines: list[str]) -> str:
        index = 0
        while index < len(lines):
            index = self._line(lines, index)
        self._close_all()
        return "".join(self.out)

    def _line(self, lines: list[str], index: int) -> int:
        line = lines[index].strip()
        macro = BLOCK_MACRO.match(line)
        if macro:
            self._close_all()
            return self._macro(lines, index, macro)
        if not line:
            self._close_all()
        elif line.startswith("|"):
            self._close_paragraph()
            self._close_lists()
            self.table.append(self._row(line))
        else:
            self._close_table()
            self._text_line(line)
        return index + 1

    def _text_line(self, line: str) -> None:
        heading, item = HEADING.match(line), LIST_ITEM.match(line)
        if heading or item or line.startswith("bq. ") or line == "----":
            self._close_paragraph()
        if item:
            self._list_item(item.group(1), line[item.end() :])
            return
        self._close_lists()
        if heading:
            level = heading.group(1)
            self.out.append(f"<h{level}>{inline_html(line[heading.end() :], self.mention)}</h{level}>")
        elif line.startswith("bq. "):
            self.out.append(f"<blockquote><p>{inline_html(line[4:], self.mention)}</p></blockquote>")
        elif line == "----":
            self.out.append("<hr>")
        else:
            self.paragraph.append(inline_html(line, self.mention))

    def _list_item(self, markers: str, text: str) -> None:
        """Each open list keeps its last item open, so a deeper item nests inside it."""
        wanted = ["ol" if marker == "#" else "ul" for marker in markers]
        common = 0
        while common < min(len(wanted), len(self.lists)) and wanted[common] == self.lists[common]:
            common += 1
        while len(self.lists) > common:
            self.out.append(f"</li></{self.lists.pop()}>")
        if self.lists and common == len(wanted):
            self.out.append("</li>")
        for tag in wanted[common:]:
            self.out.append(f"<{tag}>")
            self.lists.append(tag)
        self.out.append(f"<li>{inline_html(text, self.mention)}")

    def _row(self, line: str) -> str:
        tag, separator = ("th", "||") if line.startswith("||") else ("td", "|")
        cells = line.strip().strip("|").split(separator)
        return "<tr>" + "".join(f"<{tag}>{inline_html(c.strip(), self.mention)}</{tag}>" for c in cells) + "</tr>"

    def _macro(self, lines: list[str], index: int, opening: re.Match[str]) -> int:
        """``{code}``, ``{noformat}``, ``{quote}`` or ``{panel}`` up to its closing tag (or the end)."""
        name = opening.group(1)
        closing = "{" + name + "}"
        first = lines[index].strip()[opening.end() :]
        body: list[str] = []
        rest = first
        while True:
            if closing in rest:
                body.append(rest[: rest.index(closing)])
                break
            body.append(rest)
            index += 1
            if index >= len(lines):
                break
            rest = lines[index]
        content = "\n".join(body).strip("\n")
        self.out.append(self._macro_html(name, content))
        return index + 1

    def _macro_html(self, name: str, content: str) -> str:
        if name in ("code", "noformat"):
            return f"<pre><code>{html.escape(content)}</code></pre>"
        inner = _Blocks(self.mention).render(content.split("\n"))
        return f"<blockquote>{inner}</blockquote>" if name == "quote" else f'<div class="panel">{inner}</div>'

    def _close_paragraph(self) -> None:
        if self.paragraph:
            self.out.append("<p>" + "<br>".join(self.paragraph) + "</p>")
            self.paragraph = []

    def _close_lists(self) -> None:
        while self.lists:
            self.out.append(f"</li></{self.lists.pop()}>")

    def _close_table(self) -> None:
        if self.table:
            self.out.append("<table>" + "".join(self.table) + "</table>")
            self.table = []

    def _close_all(self) -> None:
        self._close_paragraph()
        self._close_lists()
        self._close_table()
