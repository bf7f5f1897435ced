"""What the worker does with each event type: small functions, registered on one router."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sync.dirty import DirtyTracker
from sync.documents import issue_document, link_entry
from sync.mirror import Mirror
from webhooks.events import IssueEvent, IssueLinkEvent
from webhooks.router import Router

log = logging.getLogger(__name__)

router = Router()


@dataclass(frozen=True)
class SyncContext:
    mirror: Mirror
    dirty: DirtyTracker | None = None
    own_account: str | None = None  # the service's Jira account: its own writes start nothing
    own_fields: frozenset[str] = frozenset()  # lower-cased names of the fields it writes


@router.register("jira:issue_created", "jira:issue_updated")
def mirror_issue_state(event: IssueEvent, context: SyncContext) -> None:
    document = issue_document(event.issue.model_dump())
    before = context.mirror.get(event.issue.id) if context.dirty else None
    if not context.mirror.upsert(document, event.version):
        log.info("kept newer mirror state of %s (delivery is older)", event.issue.key)
        return
    if context.dirty is not None:
        context.dirty.heard_of(event.issue.id)
        if not caused_by_own_write(event, context.own_account, context.own_fields):
            context.dirty.issue_changed(before, document, _trigger(event))


@router.register("jira:issue_deleted")
def forget_deleted_issue(event: IssueEvent, context: SyncContext) -> None:
    before = context.mirror.get(event.issue.id) if context.dirty else None
    deleted_at = max(event.timestamp or 0, event.version)
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


def caused_by_own_write(event: IssueEvent, own_account: str | None, own_fields: frozenset[str] = frozenset()) -> bool:
    """An update made by the service's account that touched only what the service writes."""
    if own_account is None or event.user is None or event.user.identity != own_account:
        return False
    items = event.changelog.items if event.changelog else []
    ours = {"comment", "okrsync.status"} | own_fields
    return all(item.field.lower() in ours for item in items)


def _trigger(event: IssueEvent) -> dict[str, str]:
    return {"kind": "webhook", "event": event.kind, "issue": event.issue.key}
