"""The words a closed cycle's results carry on the pages and in the admin (pure).

closed_text("2027-01-04T06:00:00+00:00", tz)   # "Final — closed 4 Jan 2027"
late_text(kr_result, "%")                       # "late correction: now reads 3 (score 0.4, missed)"
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from okr.report import KeyResultReport
from publish.confluence.formatting import score_text, with_unit


def closed_text(closed_at: str | None, tz: tzinfo) -> str | None:
    """``Final — closed 4 Jan 2027`` (the day in ``tz``); None while the cycle is not closed."""
    if closed_at is None:
        return None
    day = datetime.fromisoformat(closed_at).astimezone(tz)
    return f"Final — closed {day.day} {day:%b %Y}"


def late_text(result: KeyResultReport, unit: str | None = None) -> str | None:
    """What a later evaluation reads when it differs from the frozen result; None when it does not."""
    correction = result.late_correction
    if correction is None:
        return None
    value = with_unit(correction.get("current"), unit)
    health = str(correction.get("health", "not_measured")).replace("_", " ")
    return (
        f"late correction: now reads {value} (score {score_text(correction.get('score'))}, {health}); "
        "the grade stays the frozen one until the cycle is closed again"
    )
