"""The charts drawn by pygal (pure): the series and legend each one names, units and days on its axes,
no script, a stable output, and exactly the styles a page's policy must allow."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta

import pytest

from okr.scope import ScopeFacts
from publish.charts import (
    Chart,
    KrHistory,
    cluster_chart,
    delivery_chart,
    history_rows,
    kr_chart,
    progress_chart,
)
from publish.confluence.chart_tables import kr_chart_table

SVG = "{http://www.w3.org/2000/svg}"
START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


def history(kind: str = "level", baseline: float | None = 400.0, target: float | None = 200.0) -> KrHistory:
    days = (3, 30, 40)
    values = (390.0, 300.0, 310.0) if kind != "accumulate" else (2.0, 9.0, 14.0)
    points = tuple((START + timedelta(days=d), v) for d, v in zip(days, values, strict=True))
    return KrHistory(kind, "ms", START, END, baseline, target, points)


def texts(chart: Chart, css_class: str) -> list[str]:
    root = ElementTree.fromstring(chart.svg)
    return ["".join(g.itertext()) for g in root.iter(f"{SVG}g") if css_class in (g.get("class") or "").split()]


def legend(chart: Chart) -> list[str]:
    return texts(chart, "legend")


@pytest.mark.parametrize(
    "kind, names",
    [
        ("level", ["value", "baseline", "target", "expected"]),
        ("accumulate", ["done so far", "baseline", "target", "expected"]),
        ("cap", ["used", "cap", "allowed by today"]),
    ],
)
def test_a_kr_chart_names_its_series_in_the_legend_and_draws_each(kind: str, names: list[str]) -> None:
    chart = kr_chart(history(kind, baseline=0.0 if kind == "accumulate" else 400.0), UTC, "O1.KR1")
    assert chart is not None and chart.series == tuple(names) and legend(chart) == names
    root = ElementTree.fromstring(chart.svg)
    assert len(
        [p for p in root.iter(f"{SVG}path") if {"line", "reactive"} <= set((p.get("class") or "").split())]
    ) == len(names)
    assert "<script" not in chart.svg and "<!--" not in chart.svg


def test_a_kr_chart_reads_days_and_values_with_their_unit() -> None:
    chart = kr_chart(history(), UTC, "O1.KR1")
    assert chart is not None
    labels = " ".join(texts(chart, "axis"))
    assert "400 ms" in labels or "380 ms" in labels
    assert "Oct" in labels and "Nov" in labels and "2026-" not in labels
    assert "O1.KR1: value over the cycle" in chart.svg


def test_the_expected_line_runs_from_baseline_to_target_with_the_cycle() -> None:
    rows = history_rows(history())
    assert [r["value"] for r in rows] == [390.0, 300.0, 310.0]
    assert {r["baseline"] for r in rows} == {400.0} and {r["target"] for r in rows} == {200.0}
    middle = START + (END - START) / 2
    assert history().expected(START) == 400.0 and history().expected(END) == 200.0
    assert math.isclose(history().expected(middle) or 0, 300.0)
    assert math.isclose(history("cap", target=90.0).expected(middle) or 0, 45.0)  # half the cap by half the cycle


def test_without_two_measured_points_or_a_target_there_is_less_to_draw() -> None:
    lonely = KrHistory("level", None, START, END, 1.0, 2.0, ((START, 1.5), (END, math.nan)))
    assert kr_chart(lonely, UTC, "KR") is None
    no_target = KrHistory("level", None, START, END, 1.0, None, history().points)
    chart = kr_chart(no_target, UTC, "KR")
    assert chart is not None and legend(chart) == ["value", "baseline"]


def test_a_chart_renders_the_same_every_time_and_lists_the_styles_it_holds() -> None:
    first, again = kr_chart(history(), UTC, "KR"), kr_chart(history(), UTC, "KR")
    assert first is not None and again is not None and first.svg == again.svg
    root = ElementTree.fromstring(first.svg)
    held = [s.text for s in root.iter(f"{SVG}style")] + [e.get("style") for e in root.iter() if e.get("style")]
    assert set(held) == set(first.styles) and root.get("id") == "chart-kr"


def test_delivery_shows_the_recorded_scope_and_what_was_added_or_dropped() -> None:
    facts = ScopeFacts("2026-10-01T00:00:00+00:00", False, 5, 2, 1, 0, (("SHOP-7", "2026-10-10"),), None)
    chart = delivery_chart(facts)
    assert legend(chart) == ["delivered", "open", "descoped"]
    assert "recorded scope (5)" in chart.svg and "added later (1)" in chart.svg


def test_progress_and_clusters_are_bars_with_their_names() -> None:
    chart = progress_chart([{"label": "O1 KR1", "progress": 0.3}, {"label": "O1 KR2", "progress": None}], 0.5, "Shop")
    assert chart is not None and legend(chart) == ["progress", "expected today"]
    assert "O1 KR1" in chart.svg and "O1 KR2" not in chart.svg and "30%" in chart.svg
    assert progress_chart([{"label": "O1 KR2", "progress": None}], 0.5, "Shop") is None
    clusters = [{"category": "system", "theme": f"theme {i}", "frequency": 10 - i} for i in range(10)]
    drawn = cluster_chart(clusters, "56 days", "clusters-ops")
    assert drawn is not None and legend(drawn) == ["problems in the window"]
    assert "theme 7" in drawn.svg and "theme 8" not in drawn.svg  # the top 8
    assert "over the last 56 days" in drawn.svg and 'id="chart-clusters-ops"' in drawn.svg
    assert cluster_chart([], "56 days") is None


@pytest.mark.parametrize("kind", ["level", "accumulate", "cap"])
@pytest.mark.parametrize(
    "values, baseline, target",
    [
        ((1e308, -1e308, math.nan), 1e308, -1e308),
        ((math.inf, 1.0, 2.0), 0.0, math.inf),
        ((5.0, 5.0, 5.0), 5.0, 5.0),
        ((1e11, -1e11, 3.0), -1e11, 1e11),
    ],
)
def test_any_numbers_a_kr_holds_draw_or_leave_the_chart_out_never_raise(
    kind: str, values: tuple[float, ...], baseline: float, target: float
) -> None:
    points = tuple((START + timedelta(days=10 * i), v) for i, v in enumerate(values))
    recorded = KrHistory(kind, "ms", START, END, baseline, target, points)
    chart = kr_chart(recorded, UTC, "KR")
    assert chart is None or ("<svg" in chart.svg and "nan" not in " ".join(texts(chart, "axis")).lower())
    table = kr_chart_table("KR", recorded, UTC)
    cells = [c for row in (table or {}).get("rows", []) for c in row[1:]]
    assert all(c == "" or float(c) == float(c) for c in cells) and not any("e+" in c or "inf" in c for c in cells)
    progress = progress_chart([{"label": "KR", "progress": v} for v in values], values[0], "t")
    assert progress is None or "<svg" in progress.svg


def test_a_caps_chart_holds_its_allowed_line_from_the_cycles_first_day() -> None:
    """The budget allowed by today is 0 on the first day: the value axis reaches it even when every
    reading came later (it used to start at the lowest reading, drawing the line below the axis)."""
    points = tuple((START + timedelta(days=d), v) for d, v in ((40, 1.0), (60, 2.0)))
    chart = kr_chart(KrHistory("cap", None, START, END, 6.0, 4.0, points), UTC, "O1.KR2")
    assert chart is not None
    root = ElementTree.fromstring(chart.svg)
    y_axis = [g for g in root.iter(f"{SVG}g") if {"axis", "y"} <= set((g.get("class") or "").split())]
    marks = [float(text) for g in y_axis for text in g.itertext() if text.strip()]
    assert min(marks) <= 0.0 and max(marks) >= 4.0  # from the first day's 0 allowed up to the cap
