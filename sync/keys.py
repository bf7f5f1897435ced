"""Every Redis key the service owns, in one place.

A name ending in ``_PREFIX`` is the start of a family of keys: the rest of the key (an issue id, a
page key, a delivery id...) is appended as the comment says. The values are the stored names: changing
one orphans what an earlier version wrote, so they never change. RQ's own keys (its queues, its job
registries, its workers) belong to RQ and are reached through RQ's API, never named here.
"""

from __future__ import annotations

from typing import Final

# ------------------------------------------------------------------------------ events and counters

EVENTS: Final = "okrsync:events"  # stream: webhook deliveries not yet applied (consumer group "okrsync-sync")
DEAD_LETTERS: Final = "okrsync:events:dead"  # stream: deliveries that could not be applied, with the error
SEEN_PREFIX: Final = "okrsync:seen:"  # + delivery id or body digest → string "1", expires with the dedupe window
DRAIN_FLAG: Final = "okrsync:drain:pending"  # string "1" with a TTL: a drain job is queued
STATS: Final = "okrsync:stats"  # hash: counter name → count (events, flushes, writes, pages...)
STATS_CALLS: Final = "okrsync:stats:calls"  # hash: "system|operation|outcome" → count of Jira/Confluence calls
STATS_UNKNOWN_EVENTS: Final = "okrsync:stats:unknown"  # hash: unrecognised event name (capped) → count

# ------------------------------------------------------------------------------ dirty KRs and flushes

DIRTY: Final = "okrsync:dirty"  # set: "set-id/kr-id" of KRs waiting for a flush
DIRTY_TRIGGERS: Final = "okrsync:dirty:triggers"  # list: JSON triggers since the last flush (capped)
IN_FLUSH: Final = "okrsync:dirty:in-flush"  # set: the "set-id/kr-id" the running flush took
FLUSH_FLAG: Final = "okrsync:flush:pending"  # string "1" with a TTL: a flush job is queued
LAST_FLUSH: Final = "okrsync:flush:last-started"  # string: POSIX time the latest flush started
LAST_FLUSH_QUEUED: Final = "okrsync:flush:last-queued"  # string: deliveries queued (STATS "queued") by then
RECENT_ISSUE_IDS: Final = "okrsync:recent-issue-ids"  # list: ids of recently changed issues, newest first (capped)
REPORT: Final = "okrsync:report"  # string: JSON of the latest evaluation, written by every flush
REPORT_NUMBER: Final = "okrsync:report:number"  # string: counter of reports written, by any process
KR_HISTORY_PREFIX: Final = "okrsync:history:"  # + "set/kr" → sorted set: JSON readings scored by their time
KPI_HISTORY_PREFIX: Final = "okrsync:kpi-history:"  # + "set/metric" → sorted set: JSON KPI readings by their time
KR_CHANGES_PREFIX: Final = "okrsync:kr-changes:"  # + "set/kr" → list: JSON baseline/target/metric/kind changes
PEOPLE_CHECKINS_PREFIX: Final = "okrsync:people-checkins:"  # + "set/kr" → sorted set: people's JSON check-ins by time
PEOPLE_CHECKIN_COMMENTS: Final = "okrsync:people-checkin-comments"  # hash: comment id → JSON [set/kr, check-in] pairs
CLOSES: Final = "okrsync:closes"  # hash: cycle id → JSON close record: the cycle's frozen KR results, when, by whom
SCOPES: Final = "okrsync:scopes"  # hash: "set-id/kr-id@cycle-id" → JSON recorded contributor scope (okr.scope)

# ------------------------------------------------------------------------------ people and the cadence

PEOPLE: Final = "okrsync:people"  # hash: account id / user key → JSON {"name", "known", "at"} looked up in Jira
CADENCE_CLAIM_PREFIX: Final = "okrsync:cadence:claim:"  # + "set-id/ritual/period" → string: run token or "done"
CADENCE_FLAG: Final = "okrsync:cadence:scheduled"  # string "1" with a TTL: a rituals job waits or runs
PROBLEM_REVIEWS: Final = "okrsync:problem-reviews"  # hash: "program@YYYY-MM-DD" → JSON record of that review
CADENCE_REVIEWS: Final = "okrsync:cadence:reviews"  # hash: "set-id@YYYY-MM" → JSON figures of that monthly review
CADENCE_PAGES: Final = "okrsync:cadence:pages"  # hash: "set-or-program-id/ritual" → JSON latest page write, failure

# ------------------------------------------------------------------------------ scheduling

PAGES_FLAG: Final = "okrsync:pages:scheduled"  # string "1" with a TTL: a pages job waits
REMOTE_FLAG: Final = "okrsync:remote:scheduled"  # string "1" with a TTL: a remote refresh waits or runs
SQL_FLAG: Final = "okrsync:sql:scheduled"  # string "1" with a TTL: a refresh of the SQL metrics waits or runs
SCHEDULER_LOCK: Final = "okrsync:scheduler:lock"  # string: token of the scheduler doing the rounds, with a TTL

# ------------------------------------------------------------------------------ Confluence pages

PAGES_PREFIX: Final = "okrsync:pages:"  # start of every page key below
PAGES_PENDING: Final = "okrsync:pages:pending"  # hash: page key → JSON {"since", "trigger"} of a write waiting
PAGE_STATE_PREFIX: Final = "okrsync:pages:state:"  # + page key → hash: page_id, url, digest, facts, written_at, …
# … and failed_at with the failure's reason
PAGE_LOCK_PREFIX: Final = "okrsync:pages:lock:"  # + page key → string: the publisher's token, with a TTL
PAGE_TREND_PREFIX: Final = "okrsync:pages:trend:"  # + "set/kr" → list: JSON recent values (no longer written)

# ------------------------------------------------------------------------------ configuration and measurements

CONFIG: Final = "okrsync:config"  # hash: text, source, author, applied_at, revision of the applied configuration
CONFIG_EDIT_LOCK: Final = "okrsync:config:edit-lock"  # string: token of the admin edit in progress, with a TTL
METRIC_VERSIONS_PREFIX: Final = "okrsync:metric-versions:"  # + metric id → list: JSON definition changes
JIRA_FIELD_NAMES: Final = "okrsync:jira:field-names"  # string: JSON of the Jira field names learnt from the site
JIRA_FIELD_KINDS: Final = "okrsync:jira:field-kinds"  # string: JSON of field id → kind (select, labels, text, other)
JIRA_OWN_ACCOUNT: Final = "okrsync:jira:own-account"  # string: the service's own Jira account id
MEASUREMENTS_PREFIX: Final = "okrsync:measurements:"  # + metric id → sorted set: JSON measurements scored by time
MEASUREMENT_IDEMPOTENCY_PREFIX: Final = "okrsync:measurements:idempotency:"  # + sha256 → string: JSON push, TTL
REMOTE_VALUES: Final = "okrsync:remote-values"  # hash: "metric@cycle" → JSON MetricValue + measured time
REMOTE_FAILURES: Final = "okrsync:remote-failures"  # hash: "metric@cycle" → JSON {reason, since, last, attempts}
SQL_VALUES: Final = "okrsync:sql-values"  # hash: metric id → JSON MetricValue of its query, with provenance
SQL_FAILURES: Final = "okrsync:sql-failures"  # hash: metric id → JSON {reason, since, last, attempts}

# ------------------------------------------------------------------------------ the Jira mirror

MIRROR_ISSUE_PREFIX: Final = "okrsync:mirror:issue:"  # + issue id → hash: doc, version, key, source...
MIRROR_GONE_PREFIX: Final = "okrsync:mirror:gone:"  # + issue id → string: tombstone version, with a TTL
MIRROR_GONE_AT_PREFIX: Final = "okrsync:mirror:gone-at:"  # + issue id → string: Redis time (ms) of the tombstone
MIRROR_KEYS: Final = "okrsync:mirror:keys"  # hash: issue key → issue id
MIRROR_SEQUENCE: Final = "okrsync:mirror:seq"  # string: counter, the latest change number
MIRROR_CHANGES: Final = "okrsync:mirror:changes"  # sorted set: issue id scored by its latest change number
MIRROR_EPOCH: Final = "okrsync:mirror:epoch"  # string: token of the numbering, new when an emptied mirror restarts it
MIRROR_SNAPSHOT: Final = "okrsync:mirror:snapshot"  # hash: seen (change number), epoch, documents (a JSON list)
MIRROR_PENDING_LINKS_PREFIX: Final = "okrsync:mirror:pending-links:"  # + issue id → hash: link id → JSON ("" gone)
RECONCILE_WATERMARK: Final = "okrsync:reconcile:watermark"  # string: epoch ms, issues updated before it are known
RECONCILE_LAST: Final = "okrsync:reconcile:last"  # string: JSON summary of the latest reconcile
RESYNC_LAST: Final = "okrsync:resync:last"  # string: JSON summary of the latest resync
RESYNC_PROGRESS: Final = "okrsync:resync:progress"  # hash: project → "done" or the number of issues walked

# ------------------------------------------------------------------------------ write-back to Jira

WRITTEN: Final = "okrsync:written"  # hash: target → digest of the content last written
WRITEBACK_FAILURES: Final = "okrsync:writeback:failures"  # hash: target → JSON TargetFailure
KR_HEALTH: Final = "okrsync:kr-health"  # hash: "set/kr" → health last reported
KR_HEALTH_SEEN: Final = "okrsync:kr-health-seen"  # hash: "set/kr" → "<health> <POSIX time>" not yet reported
CHECKIN_PENDING: Final = "okrsync:checkin-pending"  # hash: "set/kr" → "<marker> <POSIX time>" of a comment posting
CHECKIN_LAST: Final = "okrsync:checkin-last"  # hash: "set/kr" → POSIX time of the latest check-in comment
CHECKIN_DUE: Final = "okrsync:checkin-due"  # sorted set: "set/kr" scored by when its held-back check-in may go
REMOTE_LINKS: Final = "okrsync:remote-links"  # hash: "remotelink:ISSUE:set/kr" → JSON {issue, globalId, kr} sent
KPI_BREACH_PREFIX: Final = "okrsync:kpi-breach:"  # + "set/metric" → JSON {issue, since, recovered}, or "creating"
KR_ESCALATION_PREFIX: Final = "okrsync:kr-escalation:"  # + "set/kr" → JSON {issue, since, recovered}, or "creating"
AP_CLAIM_PREFIX: Final = "okrsync:ap-claim:"  # + "program/category/theme" → string: AP key, or "creating <POSIX time>"

# ------------------------------------------------------------------------------ the admin UI

ADMIN_SESSION_PREFIX: Final = "okrsync:admin:session:"  # + sha256 of a session id → string "admin", with a TTL
ADMIN_AUTH_FAILURES_PREFIX: Final = "okrsync:admin:auth-failures:"  # + source address → string counter, TTL
