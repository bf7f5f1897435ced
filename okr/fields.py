"""Reading times and numbers out of mirror documents, by the field names users write in okrs.yaml."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from jql.evaluator import as_number
from okr.timeframe import start_of

_ALIASES = {
    "resolved": "resolutiondate",
    "resolutiondate": "resolutiondate",
    "created": "created",
    "updated": "updated",
    "duedate": "duedate",
    "due": "duedate",
    "createddate": "created",
    "updateddate": "updated",
}


def field_value(document: Mapping[str, Any], name: str, custom_fields: Mapping[str, str]) -> Any:
    """A system field by name, or a custom field by its name or ``customfield_NNNNN`` id."""
    key = _ALIASES.get(name.strip().lower())
    if key is not None:
        return document.get(key)
    custom = document.get("custom") or {}
    field_id = custom_fields.get(name.strip().lower(), name.strip())
    return custom.get(field_id) if isinstance(custom, Mapping) else None


def field_key(name: str, custom_fields: Mapping[str, str]) -> str:
    """Where ``field_value`` reads the field: a document key, or the id under the document's ``custom``."""
    return _ALIASES.get(name.strip().lower()) or custom_fields.get(name.strip().lower(), name.strip())


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> frozenset[str]:
    """The document keys, and the ids under ``custom``, whose values differ between two states of an
    issue (strictly: ``1`` and ``True`` differ, as do ``1`` and ``1.0``)."""
    changed = {key for key in before.keys() | after.keys() if not same_value(before.get(key), after.get(key))}
    if "custom" in changed:
        old, new = before.get("custom"), after.get("custom")
        old = old if isinstance(old, Mapping) else {}
        new = new if isinstance(new, Mapping) else {}
        changed.update(key for key in old.keys() | new.keys() if not same_value(old.get(key), new.get(key)))
    return frozenset(changed)


def same_value(one: Any, other: Any) -> bool:
    """Equal and of the same types all the way down (JSON values)."""
    if one is other:
        return True
    if type(one) is not type(other):
        return False
    if isinstance(one, Mapping):
        return one.keys() == other.keys() and all(same_value(value, other[key]) for key, value in one.items())
    if isinstance(one, (list, tuple)):
        return len(one) == len(other) and all(map(same_value, one, other))
    return bool(one == other)


def field_time(document: Mapping[str, Any], name: str, custom_fields: Mapping[str, str], tz: tzinfo) -> datetime | None:
    """The field as an aware instant; a date-only value means the start of that day in ``tz``."""
    return time_of(field_value(document, name, custom_fields), tz)


def field_times(
    documents: Iterable[Mapping[str, Any]], name: str, custom_fields: Mapping[str, str], tz: tzinfo
) -> list[datetime | None]:
    """``field_time`` of each document, the field's name resolved once (a pass over many issues)."""
    key = _ALIASES.get(name.strip().lower())
    if key is None:
        return [field_time(document, name, custom_fields, tz) for document in documents]
    return [time_of(document.get(key), tz) for document in documents]


def time_of(value: Any, tz: tzinfo) -> datetime | None:
    """A field's value as an aware instant (``field_time``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return start_of(date.fromisoformat(value), tz)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def field_number(document: Mapping[str, Any], name: str, custom_fields: Mapping[str, str]) -> float | None:
    """The field as a number (numbers and numeric text), the way JQL compares custom fields."""
    return as_number(field_value(document, name, custom_fields))


def field_finite_number(document: Mapping[str, Any], name: str, custom_fields: Mapping[str, str]) -> float | None:
    """The field as a number a metric can aggregate: ``NaN`` and infinities are not measurements."""
    number = field_number(document, name, custom_fields)
    return number if number is not None and math.isfinite(number) else None


def field_duration(
    document: Mapping[str, Any],
    begin: str,
    finish: str,
    unit_seconds: float,
    custom_fields: Mapping[str, str],
    tz: tzinfo,
) -> float | None:
    """From one date field to another, in units of ``unit_seconds``; ``None`` when either is missing."""
    start = field_time(document, begin, custom_fields, tz)
    end = field_time(document, finish, custom_fields, tz)
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / unit_seconds
