"""What a validation KR's keep-or-stop decision needs in ``okrs.yaml`` (``decide_by``, ``kill_below``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def kill_below_problem(fields: Mapping[str, Any]) -> str | None:
    """Why a KR's ``kill_below`` cannot stand with its other (already validated) fields, or None.

    ``kill_below`` is read against the KR's metric on its ``decide_by`` date, so it needs both."""
    if not fields.get("metric"):
        return (
            "kill_below is compared with the KR's metric: give the KR a metric (with a baseline and a target), "
            "or remove kill_below"
        )
    if fields.get("decide_by") is None and "decide_by" in fields:
        return "kill_below needs decide_by, the date the keep-or-stop decision is due (such as 2027-01-15)"
    return None
