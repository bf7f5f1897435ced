"""Operations the CLI commands run: applying configuration, learning Jira's facts, the webhook."""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mapping.field_kinds import field_kinds
from mapping.models import OkrConfig
from okrsync.settings import Settings
from sync.config_store import Applied
from sync.configured import configured_jira
from sync.dirty import mark_all
from sync.reconcile import mapped_projects, project_clause
from sync.runtime import Runtime
from sync.scheduling import schedule_flush
from webhooks.router import ROUTED_EVENTS

log = logging.getLogger(__name__)

WEBHOOK_NAME = "OKR Sync for Jira"
WEBHOOK_EVENTS = list(ROUTED_EVENTS)  # the event types the worker has handlers for


def apply_config_file(runtime: Runtime, path: Path, author: str | None = None) -> Applied:
    """Validate and store a configuration file; everything it affects is recomputed. Raises ConfigError."""
    return apply_config_text(runtime, path.read_text(encoding="utf-8"), author or _author(), str(path))


def apply_config_text(runtime: Runtime, text: str, author: str, source: str) -> Applied:
    """Validate and store a configuration (file, admin API); everything it affects is recomputed."""
    applied = runtime.config_store.apply(text, source, author, datetime.now(UTC))
    if applied.changed:
        mark_all(runtime.redis, {"kind": "config", "revision": str(applied.revision), "author": author})
        schedule_flush(runtime.redis, runtime.queue_name)
    return applied


def apply_configured_file(runtime: Runtime) -> Applied | None:
    """At start: apply OKRSYNC_CONFIG when it is set (a no-op when it is already applied)."""
    config = service_settings(runtime).config
    if config is None:
        return None
    return apply_config_file(runtime, config, author="OKRSYNC_CONFIG")


def service_settings(runtime: Runtime) -> Settings:
    """The service's settings the runtime was built from (the jobs see only the part they read)."""
    if not isinstance(runtime.settings, Settings):
        raise TypeError(f"this runtime was built from {type(runtime.settings).__name__}, not the service's Settings")
    return runtime.settings


def learn_jira_facts(runtime: Runtime) -> None:
    """Field names (to resolve custom fields in JQL) and the service's own account (to ignore its writes)."""
    if runtime.jira is None:
        return
    entries = runtime.jira.fields()
    names = {
        f["name"].strip().lower(): f["id"]
        for f in entries
        if isinstance(f.get("name"), str) and isinstance(f.get("id"), str)
    }
    runtime.config_store.set_field_names(names)
    runtime.config_store.set_field_kinds(dict(field_kinds(entries)))
    me = runtime.jira.myself()
    identity = me.get("accountId") or me.get("key") or me.get("name")
    if identity:
        runtime.config_store.set_own_account(str(identity))


@dataclass(frozen=True)
class WebhookResult:
    action: str  # "created", "unchanged", "replaced"
    url: str
    jql: str
    webhook: dict[str, Any]


def register_webhook(runtime: Runtime, url: str) -> WebhookResult:
    """Idempotent: an identical registration is left alone; one for the same URL that differs is replaced."""
    config = runtime.config_store.current()
    if config is None:
        raise RuntimeError(
            "no configuration applied: the webhook's JQL filter covers the mapped projects; "
            "run `okrsync apply okrs.yaml` first"
        )
    if not mapped_projects(config):
        raise RuntimeError("no mapped projects: list them under okr_sets[].projects in okrs.yaml")
    jql = webhook_jql(config)
    secret = service_settings(runtime).require_webhook_secrets()[0].decode()
    jira = configured_jira(runtime)
    existing = [w for w in jira.list_webhooks() if str(w.get("url", "")).rstrip("/") == url.rstrip("/")]
    for webhook in existing:
        if sorted(webhook.get("events", [])) == sorted(WEBHOOK_EVENTS) and _jql_of(webhook) == jql:
            return WebhookResult("unchanged", url, jql, webhook)
    for webhook in existing:
        jira.delete_webhook(_id_of(webhook))
    created = jira.register_webhook(WEBHOOK_NAME, url, WEBHOOK_EVENTS, jql, secret)
    return WebhookResult("replaced" if existing else "created", url, jql, created)


def webhook_jql(config: OkrConfig) -> str:
    """The webhook's filter: the mapped projects, and the KRs' own issues outside them (people's
    `/checkin` comments arrive on those)."""
    projects = mapped_projects(config)
    own = {
        kr.jira_issue.upper()
        for okr_set in config.okr_sets
        for objective in okr_set.objectives
        for kr in objective.key_results
        if kr.jira_issue
    }
    outside = sorted(key for key in own if key.rsplit("-", 1)[0] not in projects)
    return project_clause(projects) + (f" OR key in ({', '.join(outside)})" if outside else "")


def manual_webhook_steps(url: str, jql: str) -> str:
    return (
        "Register the webhook by hand (Jira administrator):\n"
        "  1. Jira settings → System → WebHooks → Create a WebHook\n"
        f"  2. Name: {WEBHOOK_NAME}\n"
        f"  3. URL: {url}\n"
        "  4. Secret: the value of OKRSYNC_WEBHOOK_SECRET\n"
        f"  5. JQL: {jql}\n"
        "  6. Events: Issue created, updated, deleted; Issue link created, deleted; Comment created, updated, deleted\n"
    )


def _jql_of(webhook: dict[str, Any]) -> str:
    filters = webhook.get("filters") or {}
    return str(filters.get("issue-related-events-section") or webhook.get("jqlFilter") or "")


def _id_of(webhook: dict[str, Any]) -> str:
    if webhook.get("id") is not None:
        return str(webhook["id"])
    return str(webhook.get("self", "")).rstrip("/").rsplit("/", 1)[-1]


def _author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
