"""The regions of a Confluence page the service owns, found and replaced in storage format (pure).

A region is a Page Properties macro (``details``) whose ``id`` parameter is ``okrsync-<name>``::

    <ac:structured-macro ac:name="details" ac:schema-version="1">
      <ac:parameter ac:name="id">okrsync-objective-O1</ac:parameter>
      <ac:rich-text-body> … what the service renders … </ac:rich-text-body>
    </ac:structured-macro>

Why this marker: Confluence rewrites storage format when people edit a page (whitespace, attribute
order, entities, macro ids) and drops HTML comments, so a comment or a ``data-`` attribute would not
come back. Macro parameters do, on Cloud (in the new editor too, where ``details`` is a supported
macro) and on Data Center; ``details`` shows its body as it is, and its ``id`` parameter exists for
exactly this purpose (naming one Page Properties block among several).

Everything outside the regions is the people's: it is copied through byte for byte. The page is
scanned for macro tags only (never re-serialised), so markup the service does not understand survives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

REGION_PREFIX = "okrsync-"
MACRO_TAG = re.compile(r"<(/?)ac:structured-macro\b[^>]*?(/?)>", re.IGNORECASE)
PARAMETER = re.compile(
    r"""\s*<ac:parameter\s+ac:name\s*=\s*(["'])(?P<name>[^"']*)\1\s*>(?P<value>[^<]*)</ac:parameter\s*>""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RegionSpan:
    name: str  # without the prefix: "objective-O1"
    start: int
    end: int


def region_macro(name: str, inner: str) -> str:
    """The storage markup of one region; ``inner`` is already storage format."""
    return (
        f'<ac:structured-macro ac:name="details" ac:schema-version="1">'
        f'<ac:parameter ac:name="id">{REGION_PREFIX}{name}</ac:parameter>'
        f"<ac:rich-text-body>{inner}</ac:rich-text-body></ac:structured-macro>"
    )


def find_regions(body: str) -> list[RegionSpan]:
    """The service's regions on a page, in page order; a region nested in another one is part of it."""
    spans: list[RegionSpan] = []
    stack: list[tuple[int, str | None]] = []  # (start, region name) of each open macro
    for tag in MACRO_TAG.finditer(body, 0, body.rfind(">") + 1):  # none ends after the last '>': not tried there
        closing, self_closing = tag.group(1) == "/", tag.group(2) == "/"
        if self_closing:
            continue
        if not closing:
            stack.append((tag.start(), _region_name(body, tag.end())))
            continue
        if not stack:
            continue  # a stray closing tag: not ours to judge
        start, name = stack.pop()
        if name is not None and not any(s.start <= start < s.end for s in spans):
            spans = [s for s in spans if not start <= s.start < tag.end()]  # an inner region folds into it
            spans.append(RegionSpan(name, start, tag.end()))
    return sorted(spans, key=lambda s: s.start)


def _region_name(body: str, position: int) -> str | None:
    """The region name in the parameters right after a macro's opening tag, if it is one of ours."""
    while (parameter := PARAMETER.match(body, position)) is not None:
        value = parameter.group("value").strip()
        if parameter.group("name").lower() == "id" and value.startswith(REGION_PREFIX):
            return value[len(REGION_PREFIX) :]
        position = parameter.end()
    return None


def page_regions(body: str) -> dict[str, str]:
    """Region name → its markup on the page (the first one, when a region was copied)."""
    found: dict[str, str] = {}
    for span in find_regions(body):
        found.setdefault(span.name, body[span.start : span.end])
    return found


def initial_body(regions: Sequence[tuple[str, str]], room_after: Mapping[str, str]) -> str:
    """A new page: the regions in order, with people's room (``room_after[name]``) after some of them."""
    return "".join(markup + room_after.get(name, "") for name, markup in regions)


def merge_regions(body: str, regions: Sequence[tuple[str, str]]) -> str:
    """``body`` with the service's regions replaced by ``regions`` (name, markup), everything else kept.

    A region missing from the page (deleted by someone, or new in the configuration) goes right after
    the region that precedes it in ``regions``; regions the service no longer renders are removed, and
    so are copies of a region.
    """
    spans = find_regions(body)
    wanted = dict(regions)
    order = [name for name, _ in regions]
    if not spans:
        return body + _markup(order, wanted)
    inserts = _insertions(order, {s.name for s in spans})
    parts, position, seen = [], 0, set()
    for index, span in enumerate(spans):
        parts.append(body[position : span.start])
        if index == 0:
            parts.append(_markup(inserts.get(None, []), wanted))
        if span.name in wanted and span.name not in seen:
            seen.add(span.name)
            parts.append(wanted[span.name] + _markup(inserts.get(span.name, []), wanted))
        position = span.end
    parts.append(body[position:])
    return "".join(parts)


def _insertions(order: list[str], present: set[str]) -> dict[str | None, list[str]]:
    """Missing regions, keyed by the present region they follow (None: before the first present one)."""
    inserts: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for name in order:
        if name in present:
            anchor = name
        else:
            inserts.setdefault(anchor, []).append(name)
    return inserts


def _markup(names: Sequence[str], wanted: Mapping[str, str]) -> str:
    return "".join(wanted[name] for name in names)


def regions_equal(body: str, regions: Sequence[tuple[str, str]], ignore: frozenset[str] = frozenset()) -> bool:
    """Does the page already carry exactly these regions (apart from ``ignore``), once each, in this order?"""
    spans = [s for s in find_regions(body) if s.name not in ignore]
    expected = [(name, markup) for name, markup in regions if name not in ignore]
    return [(s.name, body[s.start : s.end]) for s in spans] == expected
