"""What the worker does with each event type: small functions, registered on one router."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sync.documents import issue_document, link_entry
from sync.mirror import Mirror
from webhooks.events import IssueEvent, IssueLinkEvent
from webhooks.router import Router

log = logging.getLogger(__name__)

router = Router()


@dataclass(frozen=True)
class SyncContext:
    mirror: Mirror


@router.register("jira:issue_created", "jira:issue_updated")
def mirror_issue_state(event: IssueEvent, context: SyncContext) -> None:
    document = issue_document(event.issue.model_dump())
    if not context.mirror.upsert(document, event.version):
        log.info("kept newer mirror state of %s (delivery is older)", event.issue.key)


@router.register("jira:issue_deleted")
def forget_deleted_issue(event: IssueEvent, context: SyncContext) -> None:
    deleted_at = max(event.timestamp or 0, event.version)
    context.mirror.delete(event.issue.id, event.issue.key, deleted_at)


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
