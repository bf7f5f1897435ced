"""The charts of the admin pages, from the configuration, the latest evaluation and the recorded
readings (pure; the drawing is :mod:`publish.charts`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mapping.models import KeyResult, OkrConfig, OkrSet
from okr import history
from okr.history import Reading
from okr.report import KeyResultReport
from okr.timeframe import cycle_bounds
from publish.charts import Chart, KrHistory, cluster_chart, delivery_chart, kr_chart, progress_chart

CHART_POINTS = 400  # the moves a KR page's chart draws at most (its table lists the last 12)


def kr_history(
    config: OkrConfig,
    okr_set: OkrSet,
    kr: KeyResult,
    found: KeyResultReport | None,
    readings: Sequence[Reading],
    now: datetime,
) -> KrHistory:
    """The KR's recorded moves inside its cycle and where it stands now, with its kind, unit, baseline
    and target."""
    start, end = cycle_bounds(config.cycle(okr_set.cycle), config.zone)
    points = history.trend_points(readings, start, end, now, CHART_POINTS)
    metric = config.metrics.get(kr.metric or "")
    return KrHistory(
        kind=found.kind if found else "level",
        unit=metric.unit if metric else None,
        start=start,
        end=end,
        baseline=kr.baseline,
        target=kr.target,
        points=tuple((p["at"], p["value"]) for p in points),
    )


def kr_page_charts(
    config: OkrConfig,
    okr_set: OkrSet,
    kr: KeyResult,
    found: KeyResultReport | None,
    readings: Sequence[Reading],
    now: datetime,
) -> list[Chart]:
    """The KR page's charts: its value over the cycle (a burn-up, a budget) and the delivery of its recorded scope."""
    charts = [kr_chart(kr_history(config, okr_set, kr, found, readings, now), config.zone, kr.id)]
    if found is not None and found.scope is not None:
        charts.append(delivery_chart(found.scope))
    return [c for c in charts if c is not None]


def set_progress_chart(card: Mapping[str, Any]) -> Chart | None:
    """An overview card's KRs (``O1 KR1``; ``O1.KR1`` already names its objective) by progress, beside the
    progress expected today."""
    rows = [
        {
            "label": kr["id"] if str(kr["id"]).startswith(f"{o['id']}.") else f"{o['id']} {kr['id']}",
            "progress": kr["score"],
        }
        for o in card["objectives"]
        for kr in o["key_results"]
    ]
    return progress_chart(
        rows, card.get("expected"), f"{card['name']}: progress of each key result", f"progress-{card['id']}"
    )


def program_chart(result: Mapping[str, Any] | None, window: str) -> Chart | None:
    """A problem program's top clusters by frequency over its window (the report's ranked clusters)."""
    return cluster_chart(result.get("clusters", ()), window, f"clusters-{result.get('id')}") if result else None
