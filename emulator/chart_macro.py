"""Confluence's chart macro drawn as the viewer's inline SVG, with pygal (pure).

The macro draws the table in its body. With ``dataOrientation`` ``vertical`` the first column is the
axis and every other column a series named by its heading; otherwise (Confluence's default,
``horizontal``) the heading row is the axis and every other row a series named by its first cell.
``type`` is ``line``, ``bar``, ``area`` or ``pie`` (any other draws as a line); ``orientation``
``horizontal`` lays bars on their side; ``title``, ``yLabel``, ``xLabel``, ``width``, ``height`` and
``legend`` are honoured. A cell that is no number is a gap. A body without a table, or a table
without a number, is said in words instead of drawn.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pygal

AC = "http://atlassian.com/content"
WIDTH, HEIGHT = 640, 300


@dataclass(frozen=True)
class Table:
    axis: list[str]
    series: list[tuple[str, list[float | None]]]


def chart_html(macro: ElementTree.Element, parameters: Mapping[str, str]) -> str:
    """The macro as a ``<figure>`` holding the SVG, or a sentence naming what is missing."""
    table = macro.find(f"{{{AC}}}rich-text-body/table")
    if table is None:
        return '<div class="macro">[chart macro: its body holds no table to draw]</div>'
    data = read_table(_cells(table), parameters.get("dataOrientation", "horizontal") == "vertical")
    if not any(v is not None for _, values in data.series for v in values):
        return '<div class="macro">[chart macro: its table holds no number to draw]</div>'
    svg = _drawn(data, parameters)
    title = html.escape(parameters.get("title", "chart"), quote=True)
    return f'<figure class="chart" data-macro="chart" aria-label="{title}">{svg}</figure>'


def _cells(table: ElementTree.Element) -> list[list[str]]:
    return [["".join(cell.itertext()).strip() for cell in row if cell.tag in ("th", "td")] for row in table.iter("tr")]


def read_table(rows: list[list[str]], vertical: bool) -> Table:
    """The axis labels and the named series of the macro's table."""
    rows = [row for row in rows if row]
    if not rows:
        return Table([], [])
    if not vertical:  # the heading row is the axis, each further row a series
        width = len(rows[0])
        rows = [[row[i] if i < len(row) else "" for row in rows] for i in range(width)]
    heading, body = rows[0], rows[1:]
    axis = [row[0] if row else "" for row in body]
    series = [(name, [_number(row[i]) if i < len(row) else None for row in body]) for i, name in enumerate(heading)]
    return Table(axis, series[1:])


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("%", "").strip())
    except ValueError:
        return None


def _drawn(data: Table, parameters: Mapping[str, str]) -> str:
    kind, orientation = parameters.get("type", "pie"), parameters.get("orientation", "vertical")
    chart = _chart_class(kind, orientation)(**_config(parameters))
    if kind == "bar" and orientation == "horizontal":  # Confluence lists the first row on top, pygal at the bottom
        data = Table(data.axis[::-1], [(name, values[::-1]) for name, values in data.series])
    if kind == "pie":
        for name, values in data.series:
            chart.add(name, [v for v in values if v is not None])
    else:
        chart.x_labels = data.axis
        for name, values in data.series:
            chart.add(name, values)
    return _without_scripts(chart.render(is_unicode=True))


def _chart_class(kind: str, orientation: str) -> Any:
    if kind == "bar":
        return pygal.HorizontalBar if orientation == "horizontal" else pygal.Bar
    if kind == "pie":
        return pygal.Pie
    return pygal.Line


def _config(parameters: Mapping[str, str]) -> dict[str, Any]:
    return {
        "title": parameters.get("title") or None,
        "y_title": parameters.get("yLabel") or None,
        "x_title": parameters.get("xLabel") or None,
        "width": _size(parameters.get("width"), WIDTH),
        "height": _size(parameters.get("height"), HEIGHT),
        "show_legend": parameters.get("legend", "true").lower() != "false",
        "fill": parameters.get("type") == "area",
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "js": [],
        "disable_xml_declaration": True,
    }


def _size(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() and 50 <= int(text) <= 4000 else default


def _without_scripts(svg: str) -> str:
    while (start := svg.find("<script")) >= 0:
        end = svg.find("</script>", start)
        svg = svg[:start] + ("" if end < 0 else svg[end + len("</script>") :])
    return svg
