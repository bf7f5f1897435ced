"""What started an evaluation, in words and with its time (pure): ``a Jira change to OPS-61 at 06:48``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from publish.words import clock, moment

_WEBHOOK_WORDS = {
    "jira:issue_created": "a new Jira issue {issue}",
    "jira:issue_deleted": "the deletion of Jira issue {issue}",
}
_TRIGGER_WORDS = {
    "webhook": "a Jira change to {issue}",
    "measurement": "a pushed measurement of {metric}",
    "sql": "a warehouse query of {metric}",
    "remote": "a Jira search for {metric}",
    "resync": "a full resync from Jira",
    "reconcile": "a reconciliation with Jira",
    "config": "a configuration change (revision {revision}{by})",
    "schedule": "a scheduled recomputation",
    "recovery": "a recomputation of work a stopped worker left",
    "close": "the close of cycle {cycle}",
    "rescope": "a rescope of {kr}{by}",
    "checkin": "a check-in on {kr}",
    "page": "the page getting its address",
    "retry": "a retry of writes that had failed",
    "check-in held back": "a check-in comment held back until its health held",
    "check-in in flight": "a check-in comment being posted",
}


def trigger_words(trigger: Mapping[str, str] | None, tz: tzinfo, now: datetime) -> str:
    """What started an evaluation, in words and with its time: ``a Jira change to OPS-61 at 06:48``,
    ``a pushed measurement of nps at 09:14``, ``a configuration change (revision 4 by alice)``."""
    if not trigger:
        return _TRIGGER_WORDS["schedule"]
    kind = str(trigger.get("kind") or "")
    pattern = _pattern(kind, trigger)
    if pattern is None:
        text = kind.replace("_", " ") if kind else "an update"
    else:
        author = trigger.get("author")
        text = pattern.format_map(_Said({**trigger, "by": f" by {author}" if author else ""}))
    at = _epoch(trigger.get("at"))
    if at is not None:
        text += f" at {clock(at, tz, now)}"
    coalesced = trigger.get("coalesced")
    return f"{text}, with {coalesced} changes taken together" if coalesced else text


def _pattern(kind: str, trigger: Mapping[str, str]) -> str | None:
    if kind == "webhook":
        pattern = _WEBHOOK_WORDS.get(str(trigger.get("event") or ""), _TRIGGER_WORDS["webhook"])
        return pattern if trigger.get("issue") else "a Jira change"
    if kind == "checkin" and not trigger.get("kr"):
        return "a check-in comment in Jira"
    return _TRIGGER_WORDS.get(kind)


class _Said(dict[str, Any]):
    """A trigger's fields for its words; one it lacks reads as ``?``."""

    def __missing__(self, key: str) -> str:
        return "?"


def _epoch(value: Any) -> datetime | None:
    """A trigger's ``at``: epoch seconds, as a number or its text."""
    try:
        return moment(float(value))
    except (TypeError, ValueError):
        return moment(value) if isinstance(value, str) else None
