"""The tables behind the pages' charts (pure): what Confluence's chart macro draws.

The chart macro (``<ac:structured-macro ac:name="chart">``) draws the table in its body; with
``dataOrientation`` vertical the first column is the axis (the day) and every other column a series
named by its heading. Confluence Cloud and Data Center both render it, so the chart lives on the page.

    kr_chart_table(label, history, tz)      # a KR's recorded values by day, with baseline, target, expected
    cluster_chart_table(clusters, window)   # the top problem clusters' frequency over the window
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from okr.problems.model import NO_THEME, Cluster
from publish.charts import PLOTTABLE, TITLES, TOP_CLUSTERS, KrHistory, history_rows

WIDTH, HEIGHT = 640, 300


def kr_chart_table(label: str, history: KrHistory, tz: tzinfo) -> dict[str, Any] | None:
    """A line chart of the KR's recorded values, one row per local day (its last value that day), with
    the lines it is read against; None with fewer than two days with a value."""
    by_day: dict[str, dict[str, Any]] = {}
    for row in history_rows(history):
        if row[history.series[0]] is not None:
            by_day[_day(row["at"], tz)] = row
    if len(by_day) < 2:
        return None
    unit = history.unit or ""
    return {
        "type": "line",
        "title": f"{label}: {TITLES.get(history.kind, TITLES['level'])}",
        "y_label": unit,
        "orientation": "",
        "width": WIDTH,
        "height": HEIGHT,
        "columns": ["Day", *history.series],
        "rows": [[day, *(cell(row.get(name)) for name in history.series)] for day, row in by_day.items()],
    }


def cluster_chart_table(clusters: Sequence[Cluster], window: str) -> dict[str, Any] | None:
    """A horizontal bar chart of the top clusters by frequency (as ranked); None without a cluster."""
    top = list(clusters)[:TOP_CLUSTERS]
    if not top:
        return None
    return {
        "type": "bar",
        "title": f"Problems per cluster over the last {window}",
        "y_label": "problems",
        "orientation": "horizontal",
        "width": WIDTH,
        "height": max(200, 60 + 30 * len(top)),
        "columns": ["Cluster", "problems in the window"],
        "rows": [[_cluster(c), str(c.frequency)] for c in top],
    }


def cell(value: float | None) -> str:
    """A number the chart macro reads: plain digits and a point, at most 2 decimals; empty for none
    (and for a value no chart can place, NaN, an infinity, 1e308)."""
    if value is None or not math.isfinite(value) or abs(value) >= PLOTTABLE:
        return ""
    rounded = round(value, 2) + 0.0
    return f"{rounded:.2f}".rstrip("0").rstrip(".")


def _cluster(cluster: Cluster) -> str:
    theme = "no theme" if cluster.ref.theme == NO_THEME else cluster.ref.theme
    return f"{cluster.ref.category} · {theme}"


def _day(at: Any, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return f"{local.day} {local:%b}"
