"""Something out of bounds for too long becomes a problem: one Jira issue, opened once, with its recovery
(and a later relapse) noted on the same issue. A KPI out of its band (``sync.kpi_breaches``) and a KR
off track (``sync.kr_escalation``) are watched this way.

Each watched thing is claimed in Redis before its issue is created, so repeated or concurrent flushes
open one issue, never two; the claim keeps the issue's key for good: ``{"issue", "since", "recovered"}``
(``"creating"`` while it is made). The issue carries what it answers in the issue property
``okrsync.escalation`` (``{"claim", "marker", "watched", "since"}``), set in the create request, out of
the description people read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connector.errors import ConnectorError
from sync.configured import configured_jira
from sync.redis_text import decoded
from sync.runtime import Runtime

log = logging.getLogger(__name__)

CREATING = "creating"
CREATING_SECONDS = 3600  # a claim left by a worker that died while creating is given up after this
ESCALATION_PROPERTY = "okrsync.escalation"  # on a problem the service opened: what it answers
MARKER_PREFIX = "okrsync-escalation:"


@dataclass
class EscalationReport:
    opened: list[str] = field(default_factory=list)  # issue keys
    noted: list[str] = field(default_factory=list)  # "KEY: recovered" / "KEY: out again"


@dataclass(frozen=True)
class Watched:
    """One thing watched: ``out`` now (since ``since``, the start of its latest unbroken run out),
    ``back`` now, and what to say when its issue is opened, when it relapses and when it is back."""

    name: str  # for the log: "KPI shop/pay_success"
    claim: str  # its Redis key
    out: bool
    back: bool
    since: datetime | None
    after: timedelta
    fields: Callable[[datetime], dict[str, Any]]  # the issue to open, given since when it is out
    again: Callable[[datetime], str]
    recovered: str


def watch(runtime: Runtime, watched: Watched, now: datetime, done: EscalationReport) -> None:
    """Open the issue once ``watched`` has been out for ``after``; note its recovery and relapses on it.
    A failed Jira call is logged and tried again at the next flush."""
    try:
        _watch(runtime, watched, now, done)
    except ConnectorError as exc:
        log.warning("%s not escalated (tried again at the next flush): %s", watched.name, exc)


def _watch(runtime: Runtime, watched: Watched, now: datetime, done: EscalationReport) -> None:
    raw = runtime.redis.get(watched.claim)
    claim = None if raw is None or decoded(raw) == CREATING else json.loads(raw)
    if watched.out:
        if watched.since is None or now - watched.since < watched.after:
            return
        if raw is None:
            _open(runtime, watched, watched.since, done)
        elif claim is not None and claim["recovered"]:
            _note(runtime, watched.claim, claim, False, watched.again(watched.since))
            done.noted.append(f"{claim['issue']}: out again")
    elif watched.back and claim is not None and not claim["recovered"]:
        _note(runtime, watched.claim, claim, True, watched.recovered)
        done.noted.append(f"{claim['issue']}: recovered")


def _open(runtime: Runtime, watched: Watched, since: datetime, done: EscalationReport) -> None:
    if not runtime.redis.set(watched.claim, CREATING, nx=True, ex=CREATING_SECONDS):
        return
    try:
        created = configured_jira(runtime).create_issue(
            watched.fields(since), {ESCALATION_PROPERTY: escalation_property(watched, since)}
        )
    except ConnectorError:
        runtime.redis.delete(watched.claim)  # not opened: the next flush tries again
        raise
    issue = str(created["key"])
    runtime.redis.set(watched.claim, json.dumps({"issue": issue, "since": since.isoformat(), "recovered": False}))
    log.info("%s out since %s: problem %s opened", watched.name, since.isoformat(), issue)
    done.opened.append(issue)


def marker(claim: str) -> str:
    """What tells the issue of one watched thing from every other: its claim, hashed."""
    return MARKER_PREFIX + hashlib.sha256(claim.encode()).hexdigest()[:12]


def escalation_property(watched: Watched, since: datetime) -> dict[str, str]:
    """The issue property of the problem opened for ``watched``: its claim and marker, what is watched,
    since when it is out."""
    claim = watched.claim
    return {"claim": claim, "marker": marker(claim), "watched": watched.name, "since": since.isoformat()}


def _note(runtime: Runtime, key: str, claim: dict[str, Any], recovered: bool, text: str) -> None:
    configured_jira(runtime).add_comment(claim["issue"], f"{text} (OKR Sync)")
    runtime.redis.set(key, json.dumps({**claim, "recovered": recovered}))
