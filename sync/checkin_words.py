"""What a KR's check-in comment says, gathered from Redis: where the KR stood at its last check-in
(its recorded readings), and the page a reader follows for more (the set's Confluence page once it
is written, else the KR's admin page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from connector.confluence import confluence_base_url
from publish.jira import CheckinSince, KrRef, checkin_comment, checkin_facts, checkin_since
from sync.confluence_writer import STATE
from sync.dirty import ref_text
from sync.history import readings
from sync.redis_text import decoded
from sync.runtime import Runtime


@dataclass(frozen=True)
class CheckinWords:
    text: str  # what people read
    facts: dict[str, Any]  # what the comment's property keeps beside its marker


def checkin_words(
    runtime: Runtime, ref: KrRef, status: Mapping[str, Any], old: str, new: str, now: datetime
) -> CheckinWords:
    """The comment's text and its property's facts for the KR's change from ``old`` to ``new`` (no
    change: nothing is read, nothing to say)."""
    if old == new:
        return CheckinWords("", {})
    since = _since(runtime, ref, old, now)
    text = checkin_comment(status, old, new, now, since, kr_link(runtime, ref))
    return CheckinWords(text, checkin_facts(status, old, new, now, since))


def _since(runtime: Runtime, ref: KrRef, old: str, now: datetime) -> CheckinSince | None:
    last = runtime.written.last_checkin(ref_text(ref))
    last_at = datetime.fromtimestamp(last, UTC) if last is not None else None
    return checkin_since(readings(runtime.redis, ref), old, last_at)


def kr_link(runtime: Runtime, ref: KrRef) -> str | None:
    """The KR's set's Confluence page (``viewpage.action``, on Cloud and Data Center) when it has been
    written, else the KR's admin page when the service's public URL is known; None otherwise."""
    settings = runtime.settings
    page_id = runtime.redis.hget(f"{STATE}set:{ref[0]}", "page_id")
    if page_id and settings.confluence_url:
        return f"{confluence_base_url(settings.confluence_url)}/pages/viewpage.action?pageId={decoded(page_id)}"
    if settings.public_url:
        return f"{settings.public_url.rstrip('/')}/admin/sets/{quote(ref[0])}/krs/{quote(ref[1])}"
    return None
