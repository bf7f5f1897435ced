"""Dates in JQL: absolute literals, relative periods (``-30d``, ``"-1w 2d"``) and the date functions
(``startOfMonth(-1)``, ``endOfWeek("+1w")``), all resolved to aware instants at the context's ``at``
in the context's time zone. Pure."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

_DATE_LITERAL = re.compile(r"^\s*(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?\s*$")
PERIOD_UNITS = frozenset("yYMwWdDhHm")

DATE_FUNCTIONS: dict[str, str] = {  # function → its natural period unit
    "startOfDay": "d",
    "endOfDay": "d",
    "startOfWeek": "w",
    "endOfWeek": "w",
    "startOfMonth": "M",
    "endOfMonth": "M",
    "startOfYear": "y",
    "endOfYear": "y",
}
ONE_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Period:
    """A signed calendar period: ``parts`` are (amount, unit) with units y M w d h m."""

    parts: tuple[tuple[int, str], ...]

    def units(self) -> frozenset[str]:
        return frozenset(unit for _, unit in self.parts)


@lru_cache(maxsize=1024)  # a query is bound again at every instant; its texts stay the same
def parse_date_literal(text: str, tz: tzinfo) -> datetime | None:
    """``2026-10-01``, ``2026/10/01``, optionally with `` 10:00``: that moment in ``tz``."""
    match = _DATE_LITERAL.match(text)
    if not match:
        return None
    year, _, month, day, hour, minute = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None
    return local.replace(tzinfo=tz)


@lru_cache(maxsize=1024)
def parse_period(text: str, default_unit: str = "m") -> Period | None:
    """``-30d``, ``4h``, ``-1w2d``, ``"-1w 2d"``; a bare number takes ``default_unit``
    (minutes for relative dates, as in Jira; the function's own period for date functions).
    Read in one pass over the text: time linear in its length, whatever it holds."""
    body = text.lstrip()
    sign = -1 if body[:1] == "-" else 1
    parts = period_parts(body[1:] if body[:1] in ("-", "+") else body)
    if not parts:
        return None
    try:
        return Period(tuple((sign * int(amount), _unit(unit, default_unit)) for amount, unit in parts))
    except ValueError:  # an amount of more digits than an integer is read from: no period
        return None


def period_parts(body: str) -> list[tuple[str, str]] | None:
    """``1w 2d`` → ``[("1", "w"), ("2", "d")]``: amounts (digits) each with an optional unit letter
    after optional spaces, spaces anywhere between; ``None`` for anything else (a unit without an
    amount, another character)."""
    parts: list[tuple[str, str]] = []
    position, end = 0, len(body)
    while position < end:
        if body[position].isspace():
            position += 1
            continue
        digits_end = _run_end(body, position, str.isdecimal)
        if digits_end == position:
            return None
        unit_at = _run_end(body, digits_end, str.isspace)
        unit = body[unit_at] if unit_at < end and body[unit_at] in PERIOD_UNITS else ""
        parts.append((body[position:digits_end], unit))
        position = unit_at + len(unit)
    return parts


def _run_end(text: str, start: int, belongs: Callable[[str], bool]) -> int:
    """Where the run of characters ``belongs`` accepts, from ``start``, ends."""
    position = start
    while position < len(text) and belongs(text[position]):
        position += 1
    return position


def _unit(unit: str, default_unit: str) -> str:
    if not unit:
        return default_unit
    return unit if unit in ("M", "m") else unit.lower()


def is_date_text(text: str) -> bool:
    """Whether ``text`` is a valid date literal or relative period (for validation at parse time)."""
    return parse_date_literal(text, UTC) is not None or parse_period(text) is not None


def is_relative_period(text: str) -> bool:
    """A period relative to the instant of evaluation (``-30d``), not a calendar date."""
    return parse_date_literal(text, UTC) is None and parse_period(text) is not None


def resolve_date_text(text: str, at: datetime, tz: tzinfo) -> datetime | None:
    """A date literal or a period relative to ``at``; ``None`` when it is neither."""
    moment = parse_date_literal(text, tz)
    if moment is not None:
        return moment
    period = parse_period(text)
    if period is None:
        return None
    return shift(at.astimezone(tz), period)


def shift(moment: datetime, period: Period) -> datetime:
    """Move ``moment`` by ``period``: y M w d on the wall clock of its zone, h m as elapsed time."""
    for amount, unit in period.parts:
        if unit == "y":
            moment = add_months(moment, 12 * amount)
        elif unit == "M":
            moment = add_months(moment, amount)
        elif unit in ("w", "d"):
            moment = moment + timedelta(days=amount * (7 if unit == "w" else 1))
        else:
            elapsed = timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount)
            moment = (moment.astimezone(UTC) + elapsed).astimezone(moment.tzinfo)
    return moment


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar month arithmetic; the day is clamped to the target month (Jan 31 + 1M = Feb 28)."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def start_of(period_unit: str, moment: datetime, week_starts_on: int) -> datetime:
    """The first instant of the day / week / month / year containing ``moment`` (in its zone)."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period_unit == "d":
        return midnight
    if period_unit == "w":
        return midnight - timedelta(days=(midnight.weekday() - week_starts_on) % 7)
    if period_unit == "M":
        return midnight.replace(day=1)
    return midnight.replace(month=1, day=1)


def end_of(period_unit: str, moment: datetime, week_starts_on: int) -> datetime:
    """The last millisecond of the period containing ``moment``."""
    start = start_of(period_unit, moment, week_starts_on)
    following = shift(start, Period(((1, period_unit),)))
    return _wall_to_instant(following) - ONE_MILLISECOND


def date_function(name: str, argument: str | None, at: datetime, tz: tzinfo, week_starts_on: int) -> datetime:
    """``startOfMonth(-1)`` and friends. An offset in the function's own unit moves whole periods
    (``endOfMonth(1)`` is the last moment of next month); other units move the boundary itself
    (``startOfMonth("+14d")`` is the 15th of this month)."""
    unit = DATE_FUNCTIONS[name]
    period = parse_period(argument, unit) if argument is not None else Period(())
    if period is None:
        raise ValueError(f"invalid offset {argument!r}")
    bound = start_of if name.startswith("start") else end_of
    local = at.astimezone(tz)
    if period.units() <= {unit}:
        return bound(unit, shift(local, period), week_starts_on)
    return shift(bound(unit, local, week_starts_on), period)


def _wall_to_instant(moment: datetime) -> datetime:
    """Normalise a wall-clock result (possibly in a DST gap) to a real instant in UTC."""
    return moment.astimezone(UTC)


def day_start(day: date, tz: tzinfo) -> datetime:
    """00:00 of ``day`` in ``tz`` as an instant."""
    return _wall_to_instant(datetime(day.year, day.month, day.day, tzinfo=tz))
