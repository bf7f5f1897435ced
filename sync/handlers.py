"""What the worker does with each event type: small functions, registered on one router."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.dirty import DirtyTracker
from sync.documents import issue_document, link_entry
from sync.mirror import RedisMirror
from sync.people_checkins import CommentCheckins, comment_checkins
from webhooks.events import CommentEvent, IssueEvent, IssueLinkEvent
from webhooks.router import Router

log = logging.getLogger(__name__)

router = Router()


@dataclass(frozen=True)
class SyncContext:
    mirror: RedisMirror
    dirty: DirtyTracker | None = None
    own_account: str | None = None  # the service's Jira account: its own writes start nothing
    own_fields: frozenset[str] = frozenset()  # lower-cased names of the fields it writes
    received_ms: int | None = None  # when the service received the delivery being applied
    on_clamped: Callable[[str], None] | None = None  # told the key of an issue whose version was clamped
    people_checkins: CommentCheckins | None = None  # where `/checkin` comments on KR issues go


FUTURE_SKEW_MS = 5 * 60 * 1000  # how far ahead of its receipt an event's ``updated`` may lie


def event_version(event: IssueEvent, context: SyncContext, version: int | None = None) -> int:
    """The event's version (or ``version``), at most its receiving time: a far-future ``updated`` (a
    skewed clock, a forged body) must not make every later state of the issue lose to it."""
    version = event.version if version is None else version
    if context.received_ms is not None and version > context.received_ms + FUTURE_SKEW_MS:
        log.warning(
            "%s: a time %d s after the delivery was received (updated %s); counted as received",
            event.issue.key,
            (version - context.received_ms) // 1000,
            event.issue.fields.get("updated"),
        )
        if context.on_clamped:
            context.on_clamped(event.issue.key)
        return context.received_ms
    return version


STATE_EVENTS = ("jira:issue_created", "jira:issue_updated")  # the drain stores runs of these in one round trip


@router.register(*STATE_EVENTS)
def mirror_issue_state(event: IssueEvent, context: SyncContext) -> None:
    document, version = issue_state(event, context)
    before = context.mirror.get(event.issue.id) if context.dirty else None
    if context.mirror.upsert(document, version):
        issue_state_stored(event, document, before, context)
    else:
        kept_newer_state(event)


def issue_state(event: IssueEvent, context: SyncContext) -> tuple[dict[str, Any], int]:
    """The mirror document an issue event carries, and its version."""
    return issue_document(event.issue.model_dump()), event_version(event, context)


def issue_state_stored(
    event: IssueEvent, document: dict[str, Any], before: dict[str, Any] | None, context: SyncContext
) -> None:
    """After an event's state of an issue was stored over ``before``: the KRs it can move are marked,
    unless the service's own write caused it."""
    if context.dirty is not None:
        context.dirty.heard_of(event.issue.id)
        if not caused_by_own_write(event, context.own_account, context.own_fields):
            context.dirty.issue_changed(before, document, _trigger(event))


def kept_newer_state(event: IssueEvent) -> None:
    log.info("kept newer mirror state of %s (delivery is older)", event.issue.key)


@router.register("jira:issue_deleted")
def forget_deleted_issue(event: IssueEvent, context: SyncContext) -> None:
    before = context.mirror.get(event.issue.id) if context.dirty else None
    deleted_at = event_version(event, context, max(event.timestamp or 0, event.version))
    if context.mirror.delete(event.issue.id, event.issue.key, deleted_at) and context.dirty and before:
        context.dirty.issue_changed(before, None, _trigger(event))


@router.register("issuelink_created", "issuelink_deleted")
def mirror_issue_link(event: IssueLinkEvent, context: SyncContext) -> None:
    link = event.issue_link
    source, target = str(link.source_issue_id), str(link.destination_issue_id)
    link_id = str(link.id)
    created = event.kind == "issuelink_created"
    for this, other, direction in ((source, target, "outward"), (target, source, "inward")):
        entry = None
        if created:
            other_doc = context.mirror.get(other) or {}
            other_ref = {"id": other, "key": other_doc.get("key", "")}
            entry = link_entry(link_id, link.link_type.name, direction, other_ref)
        context.mirror.set_link(this, link_id, entry)


@router.register("comment_created", "comment_updated", "comment_deleted")
def record_people_checkin(event: CommentEvent, context: SyncContext) -> None:
    """A `/checkin` comment on a KR's issue stored (replaced, removed) as that KR's check-in."""
    if context.people_checkins is None:
        return
    changed = comment_checkins(event, context.people_checkins)
    if changed and context.dirty is not None:
        trigger = {"kind": "checkin", "event": event.kind, "comment": str(event.comment.id)}
        context.dirty.krs_changed(changed, trigger)


def caused_by_own_write(event: IssueEvent, own_account: str | None, own_fields: frozenset[str] = frozenset()) -> bool:
    """An update made by the service's account that touched only what the service writes."""
    if own_account is None or event.user is None or event.user.identity != own_account:
        return False
    items = event.changelog.items if event.changelog else []
    ours = {"comment", "okrsync.status"} | own_fields
    return all(item.field.lower() in ours for item in items)


def _trigger(event: IssueEvent) -> dict[str, str]:
    return {"kind": "webhook", "event": event.kind, "issue": event.issue.key}
