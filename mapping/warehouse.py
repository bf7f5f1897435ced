"""What a ``source: sql`` metric needs in ``okrs.yaml``, and the names it implies (pure).

connection_variable("dwh")        # 'OKRSYNC_SQL_DWH_URL': where the connection's URL is set
query_digest("SELECT 1")          # 'sha256:…' (12 hex digits): the query's identity in provenance
duration_seconds("1h")            # 3600.0
"""

from __future__ import annotations

import hashlib
import re

CONNECTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
SQL_DURATION = re.compile(r"^[1-9][0-9]{0,5}(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def connection_variable(name: str) -> str:
    """The environment variable that holds the SQLAlchemy URL of connection ``name``."""
    return f"OKRSYNC_SQL_{name.upper()}_URL"


def duration_seconds(text: str) -> float:
    """'30s', '2m', '1h', '1d' → seconds."""
    return float(text[:-1]) * _UNIT_SECONDS[text[-1]]


def query_digest(query: str) -> str:
    """A short digest of the query with its whitespace normalised: it names the query in provenance
    without repeating its text, and changes whenever the query does."""
    normalised = " ".join(query.split())
    return "sha256:" + hashlib.sha256(normalised.encode()).hexdigest()[:12]


def sql_metric_problem(
    source: str, aggregate: str, connection: str | None, query: str | None, jql: str | None
) -> str | None:
    """What a metric's fields lack or contradict for ``source: sql`` (None: nothing, or another source)."""
    if source != "sql":
        if connection is not None or query is not None:
            return f"'connection' and 'query' belong to source sql metrics (this one is source {source})"
        return None
    if not connection:
        return "source sql needs 'connection' (a name; its URL is then read from OKRSYNC_SQL_<NAME>_URL)"
    if not query or not query.strip():
        return "source sql needs 'query' (a read-only SELECT returning one number, or rows of (at, value))"
    if jql is not None:
        return "source sql reads its value from 'query'; remove 'jql'"
    if aggregate != "latest":
        return "source sql supports only aggregate latest (the query's newest value)"
    return None
