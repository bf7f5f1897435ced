"""Where a warehouse number comes from, and a KPI's band, in the words pages and the admin show (pure).

sql_provenance_words({"connection": "dwh", "query_digest": "sha256:…", "rows": 3, "fetched_at": …})
# '3 rows from dwh (query sha256:…) · fetched 4 Nov 2026, 09:00' (in the zone given)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any

from publish.words import when


def sql_provenance_words(provenance: Mapping[str, Any], tz: tzinfo = UTC) -> str:
    rows = int(provenance.get("rows") or 0)
    words = f"{rows} row{'s' if rows != 1 else ''} from {provenance.get('connection')} "
    words += f"(query {provenance.get('query_digest')})"
    fetched = provenance.get("fetched_at")
    if fetched:
        words += f" · fetched {when(str(fetched), tz)}"
    return words


KPI_STATE_WORDS = {
    "healthy": "HEALTHY",
    "warning": "WARNING",
    "breached": "OUT OF BAND",
    "not_measured": "NOT MEASURED",
}
KPI_STATE_COLOURS = {"healthy": "Green", "warning": "Yellow", "breached": "Red", "not_measured": "Grey"}


def band_words(keep: Mapping[str, float], unit: str | None = None, warn: float | None = None) -> str:
    """'≥ 97 %' or '≤ 2 incidents', with the warning margin: '≥ 97 % (warning within 0.5)'."""
    suffix = f" {unit}" if unit else ""
    band = f"≥ {keep['above']:g}{suffix}" if "above" in keep else f"≤ {keep['below']:g}{suffix}"
    return f"{band} (warning within {warn:g})" if warn else band


def kpi_source_words(kpi: Any, tz: tzinfo = UTC) -> str:
    """Where a KPI's value came from: the warehouse's provenance, or the source and what it counted."""
    if kpi.provenance is not None:
        return sql_provenance_words(kpi.provenance, tz)
    where = {"local": "local", "remote": "via Jira search", "sql": "warehouse", "none": "not evaluated"}
    return f"{kpi.count} counted · {where.get(kpi.evaluated, kpi.evaluated)}"
