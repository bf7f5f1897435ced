"""When a set's rituals are due, and which period a run belongs to (pure).

    period("weekly", day)          # "2026-W49": the ISO week of the local day
    period("monthly", day)         # "2026-12"
    is_due("weekly", cadence, day) # from the cadence's weekday on, within that ISO week
    set_zone(config, okr_set)      # the set's cadence timezone, else the configuration's

A period's ritual runs once: the claim that makes sure of it is ``sync.cadence``'s.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from mapping.models import Cadence, OkrConfig, OkrSet

Ritual = Literal["weekly", "monthly"]
RITUALS: tuple[Ritual, ...] = ("weekly", "monthly")


def set_zone(config: OkrConfig, okr_set: OkrSet) -> ZoneInfo:
    return ZoneInfo(okr_set.cadence.timezone) if okr_set.cadence.timezone else config.zone


def local_date(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def period(ritual: Ritual, day: date) -> str:
    """The period a run on local ``day`` belongs to: ``2026-W49`` (ISO year and week) or ``2026-12``."""
    if ritual == "weekly":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"{day:%Y-%m}"


def is_due(ritual: Ritual, cadence: Cadence, day: date) -> bool:
    """Due from the cadence's day on, for the rest of its week or month (a scheduler that was down on
    the day catches up the day after; the claim still allows one run per period)."""
    if ritual == "weekly":
        return day.weekday() >= cadence.weekday
    return day.day >= cadence.monthly


def due_text(ritual: Ritual, cadence: Cadence) -> str:
    """When the ritual is due, in words: "on monday" / "on day 1 of the month"."""
    return f"on {cadence.weekly}" if ritual == "weekly" else f"on day {cadence.monthly} of the month"
