"""What a warehouse query's answer says: one number, or rows of (at, value) (pure).

    read_rows("conv_dwh", ("rate",), [(97.4,)], fetched_at)            # SqlReading(value=97.4, …)
    read_rows("conv_dwh", ("day", "rate"), [(d1, 97.1), (d2, 97.4)], …)  # the newest row is current

Anything else (no rows, NULL, text, several columns, several rows of one column) is a
:class:`SqlAnswerError` whose message names the metric, what came back and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any

EXPECTED = "expected one number, or rows of (at, value)"
HISTORY_KEPT = 400  # the newest (at, value) rows kept with a reading
LARGEST = 1e15  # the range of every number in the configuration


class SqlAnswerError(ValueError):
    """A query's answer is not a number: the message names the metric and the fix."""


@dataclass(frozen=True)
class SqlReading:
    """The current value, when it was valid (the newest row's ``at``, else the fetch time), the rows read,
    and for a history query the newest rows as (ISO instant, value)."""

    value: float
    at: datetime
    rows: int
    history: tuple[tuple[str, float], ...] = ()


def read_rows(
    metric_id: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], fetched_at: datetime, tz: tzinfo = UTC
) -> SqlReading:
    """The reading a query's answer gives; ``tz``: the zone of dates and of times without one."""
    where = f"metric {metric_id}: the query"
    if len(columns) > 2:
        raise SqlAnswerError(f"{where} returned {len(columns)} columns ({', '.join(columns)}); {EXPECTED}")
    if not rows:
        raise SqlAnswerError(f"{where} returned no rows; {EXPECTED}")
    if len(columns) == 1:
        if len(rows) > 1:
            raise SqlAnswerError(
                f"{where} returned {len(rows)} rows of one column; {EXPECTED} (add an 'at' column, or aggregate)"
            )
        return SqlReading(_number(where, rows[0][0], 1), fetched_at, 1)
    points = sorted((_instant(where, row[0], n, tz), _number(where, row[1], n)) for n, row in enumerate(rows, 1))
    newest_at, newest = points[-1]
    history = tuple((at.isoformat(), value) for at, value in points[-HISTORY_KEPT:])
    return SqlReading(newest, newest_at, len(rows), history)


def _number(where: str, raw: Any, row: int) -> float:
    if raw is None:
        raise SqlAnswerError(f"{where} returned NULL in row {row}; {EXPECTED} (filter NULLs out, or COALESCE them)")
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise SqlAnswerError(
            f"{where} returned {type(raw).__name__} {str(raw)[:40]!r} in row {row} where a number belongs; "
            f"{EXPECTED} (CAST the column to a number)"
        )
    value = float(raw)
    if not math.isfinite(value) or abs(value) > LARGEST:
        raise SqlAnswerError(f"{where} returned {value} in row {row}; expected a finite number within ±1e15")
    return value


def _instant(where: str, raw: Any, row: int, tz: tzinfo) -> datetime:
    """A row's ``at``: a timestamp (a naive one read in ``tz``), a date (its start in ``tz``), or an ISO text."""
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw)
        except ValueError:
            raise SqlAnswerError(
                f"{where} returned {raw[:40]!r} as the 'at' of row {row}; expected a date or a timestamp"
            ) from None
    if isinstance(raw, datetime):
        return raw if raw.tzinfo is not None else raw.replace(tzinfo=tz)
    if isinstance(raw, date):
        return datetime.combine(raw, time(), tz)
    raise SqlAnswerError(
        f"{where} returned {type(raw).__name__} {str(raw)[:40]!r} as the 'at' of row {row}; "
        "expected a date or a timestamp in the first of two columns"
    )
