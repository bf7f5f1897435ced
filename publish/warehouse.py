"""Where a warehouse number comes from, and a KPI's band, in the words pages and the admin show (pure).

sql_provenance_words({"connection": "dwh", "query_digest": "sha256:…", "rows": 3, "fetched_at": …})
# '3 rows from dwh (query sha256:…) · fetched 2026-11-04 09:00 UTC'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def sql_provenance_words(provenance: Mapping[str, Any]) -> str:
    rows = int(provenance.get("rows") or 0)
    words = f"{rows} row{'s' if rows != 1 else ''} from {provenance.get('connection')} "
    words += f"(query {provenance.get('query_digest')})"
    fetched = provenance.get("fetched_at")
    if fetched:
        words += f" · fetched {datetime.fromisoformat(str(fetched)):%Y-%m-%d %H:%M %Z}".rstrip()
    return words
