"""Jira's timestamps (``2019-02-15T19:01:52.971-0800``), parsed in one place for the edge and the jobs."""

from __future__ import annotations

from datetime import datetime


def parse_jira_time(value: object) -> datetime:
    """Jira's ``2019-02-15T19:01:52.971-0800`` (also ISO-8601 with ``Z`` or ``+00:00``)."""
    if not isinstance(value, str):
        raise TypeError(f"expected a time string, got {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return moment
