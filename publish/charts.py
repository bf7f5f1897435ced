"""Charts people read at a glance, drawn by pygal as inline SVG (pure: data in, SVG text out).

    history = KrHistory(kind, unit, start, end, baseline, target, points)   # a KR over its cycle
    history_rows(history)            # the table behind it: per recorded point value, baseline, target, expected
    kr_chart(history, tz, title)     # level: value · baseline · target · expected; accumulate: a burn-up;
                                     # cap: used against what is allowed by today
    delivery_chart(scope_facts)      # the recorded scope delivered, open and descoped, and the epics added later
    progress_chart(rows, expected)   # each KR's progress beside the progress expected today
    cluster_chart(clusters)          # the frequency of each top problem cluster over its window

Every chart is a :class:`Chart`: the SVG (no script, no comment, a stable element id) and the text of
each style it holds, so a page's Content-Security-Policy can allow exactly those styles by hash.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import pygal
from pygal.style import Style

from okr.scope import ScopeFacts
from publish.confluence.formatting import number, with_unit

SVG = "{http://www.w3.org/2000/svg}"
TOP_CLUSTERS = 8
DOTS_UP_TO = 60  # a KR with more recorded moves is drawn as a line alone (a dot each would weigh the page)
PLOTTABLE = 1e12  # a larger value (left by bad data, 1e308) is no point on a chart: it is left out
WIDTH, HEIGHT = 720, 320
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#172b4d",
    foreground_strong="#172b4d",
    foreground_subtle="#6b778c",
    font_family="system-ui, sans-serif",
    colors=("#0c66e4", "#626f86", "#1f845a", "#b38600", "#c9372c", "#6e5dc6"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    guide_stroke_color="#dfe1e6",
    major_guide_stroke_color="#c1c7d0",
    guide_stroke_dasharray="2, 4",
)
DELIVERY_STYLE = Style(**{**STYLE.to_dict(), "colors": ("#1f845a", "#8590a2", "#c9372c")})
# The series of a KR's chart by its kind: the measured one first, then the lines it is read against.
SERIES = {
    "level": ("value", "baseline", "target", "expected"),
    "accumulate": ("done so far", "baseline", "target", "expected"),
    "cap": ("used", "cap", "allowed by today"),
}
TITLES = {"level": "value over the cycle", "accumulate": "burn-up over the cycle", "cap": "budget over the cycle"}


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart: ``styles`` are the texts of its style elements and attributes."""

    svg: str
    styles: tuple[str, ...]
    series: tuple[str, ...]


@dataclass(frozen=True)
class KrHistory:
    """A KR's recorded values inside its cycle, with what they are read against."""

    kind: str  # level | accumulate | cap
    unit: str | None
    start: datetime
    end: datetime
    baseline: float | None
    target: float | None
    points: tuple[tuple[datetime, float | None], ...]  # (when, value) as recorded, oldest first

    @property
    def series(self) -> tuple[str, ...]:
        return SERIES.get(self.kind, SERIES["level"])

    def share(self, at: datetime) -> float:
        """How much of the cycle has passed at ``at``: 0 at its start, 1 at its end."""
        span = (self.end - self.start).total_seconds()
        return 0.0 if span <= 0 else max(0.0, min(1.0, (at - self.start).total_seconds() / span))

    def expected(self, at: datetime) -> float | None:
        """Where the KR is expected at ``at``: from baseline to target in step with the cycle (a cap:
        the share of its target the time gone allows)."""
        if self.target is None:
            return None
        if self.kind == "cap":
            return self.target * self.share(at)
        if self.baseline is None:
            return None
        return self.baseline + (self.target - self.baseline) * self.share(at)


def history_rows(history: KrHistory) -> list[dict[str, Any]]:
    """One row per recorded point: ``at`` and a value per series (None where there is none)."""
    rows = []
    for at, value in history.points:
        lines = {name: _finite_or_none(v) for name, v in _lines_at(history, at).items()}
        rows.append({"at": at, history.series[0]: _finite_or_none(value), **lines})
    return rows


def _lines_at(history: KrHistory, at: datetime) -> dict[str, float | None]:
    if history.kind == "cap":
        return {"cap": history.target, "allowed by today": history.expected(at)}
    return {"baseline": history.baseline, "target": history.target, "expected": history.expected(at)}


def kr_chart(history: KrHistory, tz: tzinfo, title: str) -> Chart | None:
    """The KR over its cycle on a time axis read as days (``3 Nov``); None without two recorded points."""
    measured = [(at, v) for at, v in history.points if _finite(v)]
    if len(measured) < 2:
        return None
    lines = _lines(history)
    chart = pygal.DateTimeLine(
        **_config(f"{title}: {TITLES.get(history.kind, TITLES['level'])}", history.unit),
        x_value_formatter=lambda at: _day(at, tz),
        value_formatter=lambda v: with_unit(v, history.unit),
        range=_padded(_plotted_values(history, lines)),
    )
    chart.add(history.series[0], measured, show_dots=len(measured) <= DOTS_UP_TO)
    for name, line in lines.items():
        chart.add(name, line, show_dots=False, stroke_style={"width": 1.5, "dasharray": "6, 4"})
    return _rendered(chart, "kr")


def _plotted_values(history: KrHistory, lines: Mapping[str, Sequence[tuple[datetime, float]]]) -> list[float]:
    """Every value the chart draws: the recorded rows and the reference lines' ends (a cap's "allowed by
    today" starts at 0 on the cycle's first day, before any reading), so the value axis holds them all."""
    rows = [v for row in history_rows(history) for v in row.values() if _finite(v)]
    return rows + [value for line in lines.values() for _, value in line]


def _lines(history: KrHistory) -> dict[str, list[tuple[datetime, float]]]:
    """The reference lines across the whole cycle, each from its start to its end."""
    ends = (history.start, history.end)
    lines: dict[str, list[tuple[datetime, float]]] = {}
    for name in history.series[1:]:
        values = [_lines_at(history, at)[name] for at in ends]
        if all(_finite(v) for v in values):
            lines[name] = [(at, float(v)) for at, v in zip(ends, values, strict=True) if v is not None]
    return lines


def _padded(values: Sequence[float]) -> tuple[float, float] | None:
    """The value axis's range: every value with a margin, so no line runs along the frame."""
    if not values:
        return None
    low, high = min(values), max(values)
    margin = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    return low - margin, high + margin


def _whole_steps(high: int) -> list[int]:
    """Axis marks at whole numbers from 0 to ``high`` (at most about 10 of them): counts have no halves."""
    step = max(1, math.ceil(high / 10))
    return list(range(0, high + step, step))


def delivery_chart(facts: ScopeFacts) -> Chart | None:
    """The recorded scope's epics delivered, open and dropped unfinished, and those added later."""
    descoped = len(facts.descoped)
    config = {**_sideways(_config("Delivery of the recorded scope (epics)", "epics", 240)), "style": DELIVERY_STYLE}
    chart = pygal.HorizontalStackedBar(**config)
    chart.x_labels = [f"recorded scope ({facts.total})", f"added later ({facts.added})"]
    chart.config.y_labels = _whole_steps(max(facts.total, facts.added, 1))
    chart.add("delivered", [facts.done, facts.added_done])
    chart.add("open", [max(0, facts.total - facts.done - descoped), max(0, facts.added - facts.added_done)])
    chart.add("descoped", [descoped, 0])
    return _rendered(chart, "delivery")


def progress_chart(
    rows: Sequence[Mapping[str, Any]], expected: float | None, title: str, name: str = "progress"
) -> Chart | None:
    """Each KR's progress (``rows``: ``label`` and ``progress``, 0–1) beside the progress expected today."""
    shown = [r for r in rows if _finite(r.get("progress"))]
    if not shown:
        return None
    shown.reverse()  # pygal lays the first bar at the bottom: the first KR reads on top
    chart = pygal.HorizontalBar(
        **_sideways(_config(f"{title} (% of the way from baseline to target)", None, 120 + 34 * len(shown))),
        value_formatter=lambda v: f"{number(v)}%",
    )
    chart.x_labels = [str(r["label"]) for r in shown]
    chart.add("progress", [round(float(r["progress"]) * 100, 1) for r in shown])
    if expected is not None and _finite(expected):
        chart.add("expected today", [round(expected * 100, 1)] * len(shown))
    return _rendered(chart, name)


def cluster_chart(clusters: Sequence[Mapping[str, Any]], window: str, name: str = "clusters") -> Chart | None:
    """``clusters``: ``category``, ``theme`` and ``frequency``, ranked; the top ones as bars."""
    top = list(clusters)[:TOP_CLUSTERS][::-1]  # the first cluster reads on top
    if not top:
        return None
    chart = pygal.HorizontalBar(
        **_sideways(_config(f"Problems per cluster over the last {window}", "problems", 120 + 30 * len(top))),
        value_formatter=number,
        y_labels=_whole_steps(max(int(c["frequency"]) for c in top)),
    )
    chart.x_labels = [f"{c['category']} · {c['theme']}" for c in top]
    chart.add("problems in the window", [int(c["frequency"]) for c in top])
    return _rendered(chart, name)


# ---------------------------------------------------------------------------- drawing


def _config(title: str, unit: str | None, height: int = HEIGHT) -> dict[str, Any]:
    return {
        "title": title,
        "y_title": unit or None,
        "style": STYLE,
        "width": WIDTH,
        "height": height,
        "js": [],  # no tooltip script: the pages run none
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "truncate_legend": -1,
        "truncate_label": -1,
        "show_x_guides": False,
        "margin": 12,
    }


def _sideways(config: dict[str, Any]) -> dict[str, Any]:
    """A horizontal bar chart has no axis title: its left axis holds the bars' names, its title or value
    labels say the unit (an axis title under it would push pygal's legend out of the picture)."""
    return {**config, "y_title": None, "margin_bottom": 30, "margin_right": 24}


def _rendered(chart: Any, name: str) -> Chart | None:
    # the SVG's id (chart-<name>) and the prefix of its styles: the same on every render
    chart.uuid = "".join(c if c.isascii() and c.isalnum() else "-" for c in name)
    try:
        drawn = chart.render(is_unicode=True)
    except (ArithmeticError, ValueError):  # numbers pygal cannot lay out: no chart, never a failed page
        return None
    svg = _without(_without(drawn, "<script", "</script>"), "<!--", "-->")
    return Chart(svg=svg, styles=_styles(svg), series=tuple(str(config["title"]) for _, config in chart.raw_series))


def _without(text: str, opening: str, closing: str) -> str:
    """``text`` without any span from ``opening`` to ``closing`` (both included)."""
    while (start := text.find(opening)) >= 0:
        end = text.find(closing, start)
        if end < 0:
            return text[:start]
        text = text[:start] + text[end + len(closing) :]
    return text


def _styles(svg: str) -> tuple[str, ...]:
    """The text of each ``<style>`` element and ``style`` attribute, as a browser reads them."""
    root = ElementTree.fromstring(svg)
    texts = [element.text or "" for element in root.iter(f"{SVG}style")]
    texts += [element.get("style", "") for element in root.iter() if element.get("style") is not None]
    return tuple(dict.fromkeys(texts))


def _day(at: datetime, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return f"{local.day} {local:%b}"


def _finite(value: Any) -> bool:
    """A number a chart can place: finite and below :data:`PLOTTABLE` in size."""
    return isinstance(value, int | float) and math.isfinite(value) and abs(value) < PLOTTABLE


def _finite_or_none(value: float | None) -> float | None:
    return value if _finite(value) else None
