"""The demo company, a cross-border e-commerce retailer: a few hundred issues of history in Jira
(checkout & payments, fulfilment, operations, platform problems) and two Confluence spaces.

Built in code, seeded, with times relative to the emulator's start, so every run looks alive.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from mapping.field_kinds import HEALTH_OPTIONS as HEALTHS

HEALTH_OPTIONS = list(HEALTHS.values())  # the demo's "OKR health" select list has every health as an option

AP_OVERDUE_DAYS = 4  # the open action point from the last problem review is a few days overdue

USERS = [
    {
        "name": "admin",
        "accountId": "5b10a2844c20165700ede21g",
        "displayName": "OKR Sync",
        "email": "okrsync@shop.example",
    },
    {
        "name": "alice",
        "accountId": "5b10ac8d82e05b22cc7d4ef5",
        "displayName": "Alice Park",
        "email": "alice@shop.example",
    },
    {"name": "bob", "accountId": "5b109f2e9729b51b54dc274d", "displayName": "Bob Mensah", "email": "bob@shop.example"},
    {"name": "chen", "accountId": "5b10ac8d82e05b22cc7d4ef6", "displayName": "Chen Wei", "email": "chen@shop.example"},
    {
        "name": "dana",
        "accountId": "5b10ac8d82e05b22cc7d4ef7",
        "displayName": "Dana Silva",
        "email": "dana@shop.example",
    },
    {  # the company set's owner
        "name": "grace",
        "accountId": "5b10ac8d82e05b22cc7d4ef8",
        "displayName": "Grace Mwangi",
        "email": "ceo@shop.example",
    },
]
PROJECTS = [
    {"key": "CHK", "name": "Checkout & Payments", "lead": "alice", "components": ["Checkout", "Payments", "Cart"]},
    {"key": "FUL", "name": "Fulfilment", "lead": "chen", "components": ["Warehouse", "Carrier", "Returns"]},
    {"key": "OPS", "name": "Operations", "lead": "bob", "components": ["Platform", "Payments", "Search"]},
    {
        "key": "PLAT",
        "name": "Platform",
        "lead": "dana",
        "components": ["deploy", "ci", "on-call", "search-index", "admin-console"],
    },
]
CHECKOUT_EPICS = [
    ("Contract tests for the payment adapters", "kr-escaped"),
    ("Staging parity with production checkout", "kr-escaped"),
    ("Runbooks and one-click rollback", "kr-mttr"),
    ("Alert routing by service owner", "kr-mttr"),
]
BUG_TOPICS = [
    "coupon field",
    "address form",
    "3DS timeout",
    "currency symbol",
    "cart badge",
    "invoice tax line",
    "gift card balance",
    "shipping estimate",
    "saved cards",
    "refund total",
    "PayPal return",
    "Klarna limit",
]
INCIDENT_TOPICS = [
    "payment gateway 502s",
    "checkout down after deploy",
    "search latency",
    "orders stuck in pending",
    "CDN certificate",
    "inventory sync",
    "login loop",
    "price feed stale",
]
PROBLEM_SOURCES = {  # label of the source → summaries people write
    "retro-finding": [
        "Deploy needed a manual rollback",
        "Flaky end-to-end suite blocked the release",
        "On-call handover lost context",
    ],
    "small-change": ["Copy change needed a full release", "Feature flag flip needed a deploy"],
    "interruption": ["Urgent data fix for support", "Ad-hoc export for finance"],
    "walkthrough": ["Admin console search is confusing", "Bulk edit hidden behind three clicks"],
}
CATEGORY_BY_COMPONENT = {
    "deploy": "problem-system",
    "ci": "problem-mechanism",
    "on-call": "problem-people",
    "search-index": "problem-system",
    "admin-console": "problem-mechanism",
}


def demo_scenario(seed: int = 2026, today: date | None = None) -> dict[str, Any]:
    """The demo company; dates (an action point's due date) relative to ``today`` (None: the real one)."""
    rng = random.Random(seed)
    issues: list[dict[str, Any]] = []
    issues += _checkout(rng)
    issues += _fulfilment(rng)
    issues += _operations(rng)
    issues += _platform(rng, today or date.today())
    return {
        "title": "Northwind Goods (demo)",
        "flavor": "cloud",
        "users": USERS,
        "customFields": [
            {"id": "customfield_10016", "name": "Story Points", "type": "number"},
            {"id": "customfield_10100", "name": "OKR score", "type": "number"},
            {"id": "customfield_10101", "name": "OKR health", "custom": "select", "options": HEALTH_OPTIONS},
            {"id": "customfield_10102", "name": "OKR status", "custom": "textarea"},
        ],
        "projects": PROJECTS,
        "issues": issues,
        "confluence": {
            "spaces": [
                {
                    "key": "OKR",
                    "name": "Objectives and Key Results",
                    "pages": [{"title": "OKRs", "body": "<p>Our OKR pages, kept current from Jira by OKR Sync.</p>"}],
                },
                {
                    "key": "PLAT",
                    "name": "Platform",
                    "pages": [{"title": "Platform home", "body": "<p>How the platform team works.</p>"}],
                },
            ]
        },
    }


def _hours_ago(hours: float) -> str:
    return f"-{max(1, int(hours))}h"


def _checkout(rng: random.Random) -> list[dict[str, Any]]:
    issues = _checkout_epics()
    issues.append(
        {
            "project": "CHK",
            "type": "Task",
            "summary": "KR: escaped defects below 15% of bugs",
            "labels": ["okr"],
            "created": "-60d",
        }
    )
    issues += [_checkout_bug(rng, number) for number in range(70)]
    issues += [_checkout_story(rng, number) for number in range(30)]
    issues.append(  # CHK-106: the issue of the KR "no SEV1 incident left open"
        {
            "project": "CHK",
            "type": "Task",
            "summary": "KR: no SEV1 incident left open",
            "labels": ["okr"],
            "assignee": "bob",
            "created": "-60d",
        }
    )
    return issues


def _checkout_epics() -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    for index, (summary, label) in enumerate(CHECKOUT_EPICS):
        done = index in (0, 2)
        issues.append(
            {
                "project": "CHK",
                "type": "Epic",
                "summary": summary,
                "labels": [label],
                "status": "Done" if done else "In Progress",
                "created": "-80d",
                **({"resolved": f"-{20 - 5 * index}d"} if done else {}),
                "assignee": "alice",
            }
        )
    return issues


def _checkout_bug(rng: random.Random, number: int) -> dict[str, Any]:
    created = rng.uniform(2, 85) * 24
    escaped = rng.random() < 0.3
    resolved = created - rng.uniform(12, 20 * 24) if rng.random() < 0.75 else None
    topic = rng.choice(BUG_TOPICS)
    return {
        "project": "CHK",
        "type": "Bug",
        "summary": f"{topic.capitalize()} misbehaves ({number + 1})",
        "labels": ["escaped"] if escaped else [],
        "components": [rng.choice(["Checkout", "Payments", "Cart"])],
        "priority": rng.choice(["High", "Medium", "Medium", "Low"]),
        "created": _hours_ago(created),
        "status": "Done" if resolved and resolved > 1 else rng.choice(["To Do", "In Progress"]),
        **({"resolved": _hours_ago(resolved)} if resolved and resolved > 1 else {}),
    }


def _checkout_story(rng: random.Random, number: int) -> dict[str, Any]:
    return {
        "project": "CHK",
        "type": "Story",
        "summary": f"Checkout improvement {number + 1}",
        "created": _hours_ago(rng.uniform(5, 90) * 24),
        "status": rng.choice(["To Do", "In Progress", "Done"]),
        "fields": {"customfield_10016": rng.choice([1, 2, 3, 5, 8])},
    }


def _fulfilment(rng: random.Random) -> list[dict[str, Any]]:
    issues = [
        {
            "project": "FUL",
            "type": "Epic",
            "summary": "Carrier SLA dashboard",
            "labels": ["kr-otif"],
            "status": "In Progress",
            "created": "-70d",
            "assignee": "chen",
        }
    ]
    for number in range(80):
        created = rng.uniform(1, 80) * 24
        on_time = rng.random() < 0.86
        issues.append(
            {
                "project": "FUL",
                "type": "Task",
                "summary": f"Delivery batch {1000 + number}",
                "labels": ["delivery", "on-time" if on_time else "late"],
                "components": [rng.choice(["Warehouse", "Carrier"])],
                "created": _hours_ago(created),
                "status": "Done",
                "resolved": _hours_ago(max(1, created - rng.uniform(24, 96))),
            }
        )
    return issues


def _operations(rng: random.Random) -> list[dict[str, Any]]:
    issues = []
    for number in range(45):
        created = rng.uniform(2, 110) * 24
        priority = rng.choice(["Highest", "High", "High", "Medium"])
        restore = rng.uniform(1, 14)
        topic = rng.choice(INCIDENT_TOPICS)
        issues.append(
            {
                "project": "OPS",
                "type": "Incident",
                "summary": f"{topic.capitalize()} ({number + 1})",
                "priority": priority,
                "components": [rng.choice(["Platform", "Payments", "Search"])],
                "labels": ["escaped-production"],
                "created": _hours_ago(created),
                "status": "Done",
                "resolved": _hours_ago(max(1, created - restore)),
            }
        )
    return issues


def _platform(rng: random.Random, today: date) -> list[dict[str, Any]]:
    issues = []
    components = list(CATEGORY_BY_COMPONENT)
    for number in range(60):
        source = rng.choice(list(PROBLEM_SOURCES))
        component = rng.choice(components[:3] if rng.random() < 0.6 else components)
        labels = [source] + ([CATEGORY_BY_COMPONENT[component]] if rng.random() < 0.85 else [])
        issues.append(
            {
                "project": "PLAT",
                "type": "Task",
                "summary": f"{rng.choice(PROBLEM_SOURCES[source])} ({number + 1})",
                "labels": labels,
                "components": [component],
                "priority": rng.choice(["High", "Medium", "Low"]),
                "created": _hours_ago(rng.uniform(1, 70) * 24),
            }
        )
    issues.append(
        {
            "project": "PLAT",
            "type": "Task",
            "summary": "Make CI retries visible per test",
            "labels": ["action-point"],
            "assignee": "dana",
            "due": (today - timedelta(days=AP_OVERDUE_DAYS)).isoformat(),
            "created": "-30d",
        }
    )
    return issues
