"""A set's KPIs: health metrics with a band, read at the set's instant, kept out of objective scores (pure).

    kpi_result(Kpi(metric="pay_success", keep=Keep(above=97), warn=0.5), value)
    # KpiReport(current=97.3, healthy=True, state="warning", …): within 0.5 of the bound

A KPI is healthy while its value lies in the band (at or above ``above``, at or below ``below``);
``warn`` is a margin inside the band where it is still healthy but reads as a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from mapping.models import Keep, Kpi
from okr.metrics import MetricValue
from okr.report import KpiReport

STATES = ("healthy", "warning", "breached", "not_measured")


def kpi_state(keep: Keep, warn: float | None, current: float | None) -> str:
    if current is None:
        return "not_measured"
    if not keep.holds(current):
        return "breached"
    if warn is not None:
        bound = keep.above if keep.above is not None else keep.below
        assert bound is not None
        if abs(current - bound) <= warn:
            return "warning"
    return "healthy"


def kpi_result(kpi: Kpi, value: MetricValue) -> KpiReport:
    state = kpi_state(kpi.keep, kpi.warn, value.value)
    return KpiReport(
        metric=kpi.metric,
        current=value.value,
        healthy=None if state == "not_measured" else state != "breached",
        state=state,
        keep=kpi.keep.model_dump(exclude_none=True),
        warn=kpi.warn,
        evaluated=value.evaluated,
        count=value.count,
        stale=value.stale,
        provenance=value.provenance,
    )


def breached_since(readings: Sequence[Mapping[str, Any]]) -> datetime | None:
    """When the KPI's latest unbroken run of breached readings began (None: its latest reading is not
    breached). ``readings``: recorded KPI readings, oldest first (``{"at", "v", "s"}``)."""
    return run_since([(datetime.fromisoformat(r["at"]), r.get("s") == "breached") for r in readings])


def run_since(points: Sequence[tuple[datetime, bool]]) -> datetime | None:
    """When the latest unbroken run of ``True`` points began (None: the latest point is not one);
    ``points`` oldest first."""
    since = None
    for at, out in points:
        since = (since or at) if out else None
    return since


def breach_evidence(readings: Sequence[Mapping[str, Any]], since: datetime, kept: int = 10) -> list[str]:
    """The readings since the breach began, as 'YYYY-MM-DD HH:MM UTC: value' lines (the newest ``kept``)."""
    lines = []
    for reading in readings:
        at = datetime.fromisoformat(reading["at"])
        if at >= since:
            value = "—" if reading.get("v") is None else f"{reading['v']:g}"
            lines.append(f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {value}")
    return lines[-kept:]
