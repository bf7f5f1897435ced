"""The whole product with Confluence: the emulator (Jira and Confluence) on a real port delivering
signed webhooks to the service on a real port, a real Redis, a real worker and scheduler process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis
from flask import request

from okrsync.local_stack import LocalStack
from sync.runtime import forget_runtimes
from tests.support.stack import pages_options
from tests.support.waiting import wait_until

INTERVAL = 0.5
SCENARIO: dict[str, Any] = {
    "users": [
        {
            "name": "admin",
            "accountId": "5b10a2844c20165700ede21g",
            "displayName": "Site Admin",
            "email": "admin@acme.example",
        }
    ],
    "projects": [{"key": "SHOP", "name": "Shop"}],
    "issues": [
        {
            "key": "SHOP-1",
            "type": "Epic",
            "summary": "Contract tests <for> payments & refunds",
            "labels": ["kr-escaped"],
            "status": "Done",
            "created": "-20d",
        },
        *[
            {
                "key": f"SHOP-{n}",
                "type": "Bug",
                "summary": f"Bug {n}",
                "labels": ["escaped"] if n < 4 else [],
                "created": "-3d",
            }
            for n in range(2, 12)
        ],
    ],
    "confluence": {
        "spaces": [
            {
                "key": "OKR",
                "name": "Objectives and Key Results",
                "pages": [{"title": "OKRs", "body": "<p>All OKR pages.</p>"}],
            }
        ]
    },
}
CONFIG = """
version: 1
cycles: [{id: now, start: START, end: END}]
metrics:
  escaped_share:
    description: Share of shop bugs found in production
    source: jira
    aggregate: ratio
    jql: project = SHOP AND issuetype = Bug
    numerator_jql: project = SHOP AND issuetype = Bug AND labels = escaped
    window: 30d
    unit: "%"
okr_sets:
  - id: shop
    name: Shop
    cycle: now
    projects: [SHOP]
    confluence: {space: OKR, title: Shop OKRs, parent: OKRs}
    objectives:
      - id: O1
        title: Dependable checkout
        key_results:
          - id: KR1
            title: Escaped defects from 40% to 10% of bugs
            metric: escaped_share
            baseline: 40
            target: 10
            contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr-escaped}
      - id: O2
        title: Customers come back
        key_results:
          - id: KR2
            title: Repeat purchases
            unmeasured: no survey yet
"""


class EditBeforeNextWrite:
    """Arms a person's save that lands just before the service's next page update reaches Confluence."""

    def __init__(self, emulator: Any, paragraph: str) -> None:
        self.emulator, self.paragraph, self.armed, self.done = emulator, paragraph, False, False

    def __call__(self) -> None:
        if not (self.armed and request.method == "PUT" and "/wiki/rest/api/content/" in request.path):
            return
        self.armed = False
        site = self.emulator.site
        with site.lock:
            page = site.page(request.path.rstrip("/").rsplit("/", 1)[-1])
            page.body += self.paragraph
            page.version += 1
        self.done = True


def page_stack(connection: redis.Redis, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The whole product with Confluence (tests/support/stack.py), a person's edit armed by ``edit``."""
    options = pages_options(SCENARIO, CONFIG, connection, tmp_path, INTERVAL, _edit_hook)
    try:
        with LocalStack(options) as stack:
            yield {
                "local_stack": stack,
                "emulator": stack.emulator,
                "runtime": stack.runtime,
                "jira": stack.runtime.jira,
                "confluence": stack.runtime.confluence,
                "edit": stack.request_hook,
                "log": options.log,
                "site_url": stack.jira_url,
            }
    finally:
        forget_runtimes()


def _edit_hook(emulator: Any) -> EditBeforeNextWrite:
    return EditBeforeNextWrite(emulator, "<p>Saved by a person during the update.</p>")


def wait_for(check: Callable[[], Any], seconds: float = 15, what: str = "the page to change") -> Any:
    """tests.support.waiting.wait_until, with the page tests' default message."""
    return wait_until(check, seconds, what)
