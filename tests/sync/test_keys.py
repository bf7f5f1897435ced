"""Every Redis key the service owns is named in sync/keys.py, and nowhere else; the stored names never change."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from sync import keys

ROOT = Path(__file__).resolve().parents[2]
# The packages whose modules must take their Redis keys from sync/keys.py.
PRODUCT_PACKAGES = ("sync", "okrsync", "connector", "bench", "webhooks")
KEYS_MODULE = Path("sync/keys.py")
KEY_LITERAL = re.compile(r"okrsync:(?!\s)")  # "okrsync: cannot reach Redis" is a message, not a key
TYPES = ("hash", "set", "sorted set", "string", "list", "stream")
NOT_A_KEY = {"PAGES_PREFIX"}  # only the start the page keys share

# The names as stored: data written by an earlier version is read under these, byte for byte.
STORED = {
    "EVENTS": "okrsync:events",
    "DEAD_LETTERS": "okrsync:events:dead",
    "SEEN_PREFIX": "okrsync:seen:",
    "DRAIN_FLAG": "okrsync:drain:pending",
    "STATS": "okrsync:stats",
    "STATS_CALLS": "okrsync:stats:calls",
    "STATS_UNKNOWN_EVENTS": "okrsync:stats:unknown",
    "DIRTY": "okrsync:dirty",
    "DIRTY_TRIGGERS": "okrsync:dirty:triggers",
    "IN_FLUSH": "okrsync:dirty:in-flush",
    "FLUSH_FLAG": "okrsync:flush:pending",
    "LAST_FLUSH": "okrsync:flush:last-started",
    "LAST_FLUSH_QUEUED": "okrsync:flush:last-queued",
    "RECENT_ISSUE_IDS": "okrsync:recent-issue-ids",
    "REPORT": "okrsync:report",
    "REPORT_NUMBER": "okrsync:report:number",
    "KR_HISTORY_PREFIX": "okrsync:history:",
    "KPI_HISTORY_PREFIX": "okrsync:kpi-history:",
    "KR_CHANGES_PREFIX": "okrsync:kr-changes:",
    "PEOPLE_CHECKINS_PREFIX": "okrsync:people-checkins:",
    "PEOPLE_CHECKIN_COMMENTS": "okrsync:people-checkin-comments",
    "CLOSES": "okrsync:closes",
    "SCOPES": "okrsync:scopes",
    "PEOPLE": "okrsync:people",
    "CADENCE_CLAIM_PREFIX": "okrsync:cadence:claim:",
    "CADENCE_REVIEWS": "okrsync:cadence:reviews",
    "CADENCE_PAGES": "okrsync:cadence:pages",
    "CADENCE_FLAG": "okrsync:cadence:scheduled",
    "PROBLEM_REVIEWS": "okrsync:problem-reviews",
    "PAGES_FLAG": "okrsync:pages:scheduled",
    "REMOTE_FLAG": "okrsync:remote:scheduled",
    "SQL_FLAG": "okrsync:sql:scheduled",
    "SCHEDULER_LOCK": "okrsync:scheduler:lock",
    "PAGES_PREFIX": "okrsync:pages:",
    "PAGES_PENDING": "okrsync:pages:pending",
    "PAGE_STATE_PREFIX": "okrsync:pages:state:",
    "PAGE_LOCK_PREFIX": "okrsync:pages:lock:",
    "PAGE_TREND_PREFIX": "okrsync:pages:trend:",
    "CONFIG": "okrsync:config",
    "CONFIG_EDIT_LOCK": "okrsync:config:edit-lock",
    "METRIC_VERSIONS_PREFIX": "okrsync:metric-versions:",
    "JIRA_FIELD_NAMES": "okrsync:jira:field-names",
    "JIRA_FIELD_KINDS": "okrsync:jira:field-kinds",
    "JIRA_OWN_ACCOUNT": "okrsync:jira:own-account",
    "MEASUREMENTS_PREFIX": "okrsync:measurements:",
    "MEASUREMENT_IDEMPOTENCY_PREFIX": "okrsync:measurements:idempotency:",
    "REMOTE_VALUES": "okrsync:remote-values",
    "REMOTE_FAILURES": "okrsync:remote-failures",
    "REMOTE_LINKS": "okrsync:remote-links",
    "SQL_VALUES": "okrsync:sql-values",
    "SQL_FAILURES": "okrsync:sql-failures",
    "MIRROR_ISSUE_PREFIX": "okrsync:mirror:issue:",
    "MIRROR_GONE_PREFIX": "okrsync:mirror:gone:",
    "MIRROR_GONE_AT_PREFIX": "okrsync:mirror:gone-at:",
    "MIRROR_KEYS": "okrsync:mirror:keys",
    "MIRROR_SEQUENCE": "okrsync:mirror:seq",
    "MIRROR_CHANGES": "okrsync:mirror:changes",
    "MIRROR_EPOCH": "okrsync:mirror:epoch",
    "MIRROR_SNAPSHOT": "okrsync:mirror:snapshot",
    "MIRROR_PENDING_LINKS_PREFIX": "okrsync:mirror:pending-links:",
    "RECONCILE_WATERMARK": "okrsync:reconcile:watermark",
    "RECONCILE_LAST": "okrsync:reconcile:last",
    "RESYNC_LAST": "okrsync:resync:last",
    "RESYNC_PROGRESS": "okrsync:resync:progress",
    "WRITTEN": "okrsync:written",
    "WRITEBACK_FAILURES": "okrsync:writeback:failures",
    "KR_HEALTH": "okrsync:kr-health",
    "KR_HEALTH_SEEN": "okrsync:kr-health-seen",
    "CHECKIN_PENDING": "okrsync:checkin-pending",
    "CHECKIN_LAST": "okrsync:checkin-last",
    "CHECKIN_DUE": "okrsync:checkin-due",
    "KPI_BREACH_PREFIX": "okrsync:kpi-breach:",
    "KR_ESCALATION_PREFIX": "okrsync:kr-escalation:",
    "AP_CLAIM_PREFIX": "okrsync:ap-claim:",
    "ADMIN_SESSION_PREFIX": "okrsync:admin:session:",
    "ADMIN_AUTH_FAILURES_PREFIX": "okrsync:admin:auth-failures:",
}


def product_modules() -> list[Path]:
    return sorted(path.relative_to(ROOT) for package in PRODUCT_PACKAGES for path in (ROOT / package).rglob("*.py"))


def key_literals(path: Path) -> list[str]:
    """``line: 'literal'`` for each string constant (f-string parts included) that starts like a key."""
    tree = ast.parse((ROOT / path).read_text(), filename=str(path))
    return [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY_LITERAL.match(node.value)
    ]


def declared() -> dict[str, str]:
    return {name: value for name, value in vars(keys).items() if name.isupper() and isinstance(value, str)}


def test_the_product_packages_are_there() -> None:
    assert all((ROOT / package / "__init__.py").is_file() for package in PRODUCT_PACKAGES)
    assert KEYS_MODULE in product_modules()


@pytest.mark.parametrize("module", [m for m in product_modules() if m != KEYS_MODULE])
def test_no_module_spells_a_key_of_its_own(module: Path) -> None:
    assert key_literals(module) == [], f"{module} names Redis keys itself; take them from sync/keys.py"


def test_the_stored_names_do_not_change() -> None:
    assert declared() == STORED


def test_no_two_names_share_a_key() -> None:
    values = list(declared().values())
    assert len(values) == len(set(values))


def test_every_key_says_what_it_holds_and_its_type() -> None:
    comments = {
        token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO((ROOT / KEYS_MODULE).read_text()).readline)
        if token.type == tokenize.COMMENT
    }
    tree = ast.parse((ROOT / KEYS_MODULE).read_text())
    assigned = {node.target.id: node.lineno for node in tree.body if isinstance(node, ast.AnnAssign)}
    assert set(assigned) == set(STORED)
    untyped = [name for name, line in assigned.items() if not any(kind in comments.get(line, "") for kind in TYPES)]
    assert untyped == sorted(NOT_A_KEY)
    assert all(comments.get(line) for line in assigned.values())
