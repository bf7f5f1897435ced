"""Times as Atlassian writes them, and the relative/absolute forms a scenario or JQL may use."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


def utc_now() -> datetime:
    return datetime.now(UTC)


def jira_time(moment: datetime) -> str:
    """``2019-02-15T19:01:52.971+0000``: milliseconds and a colon-less offset, as Jira sends."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + "+0000"


def iso_time(moment: datetime) -> str:
    """``2024-05-01T10:00:00.000Z``: the form Confluence v2 uses."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def relative_offset(text: str) -> timedelta | None:
    """``-7d`` → minus seven days; ``2w``, ``-4h``, ``30m`` likewise. None when not relative."""
    match = _RELATIVE.match(text.strip())
    if not match:
        return None
    sign, amount, unit = match.groups()
    offset = int(amount) * _UNITS[unit]
    return -offset if sign == "-" else offset


def parse_moment(value: object, now: datetime) -> datetime:
    """A scenario or JQL time: relative (``-3d``), a date, a date and time, or full ISO-8601."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    offset = relative_offset(text)
    if offset is not None:
        return now + offset
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            pass
    iso = text[:-1] + "+00:00" if text.endswith("Z") else text
    iso = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", iso)
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use -7d / -4h style offsets, 2024-05-01, '2024-05-01 10:00' or ISO-8601"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start_of_day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
