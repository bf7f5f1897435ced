"""The whole product with Confluence: the emulator (Jira and Confluence) on a real port delivering
signed webhooks to the service on a real port, a real Redis, a real worker and scheduler process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis
from flask import request

from emulator.app import create_emulator
from okrsync.app import create_app
from okrsync.ops import apply_config_file, register_webhook
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.reconcile import resync
from sync.runtime import forget_runtimes
from tests.conftest import QUEUE, SECRET
from tests.sync.conftest import serve

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
    app = create_emulator(SCENARIO, flavor="cloud", knobs={"webhook_retry_delays_s": [0.05, 0.1, 0.2]})
    emulator = app.extensions["emulator"]
    edit = EditBeforeNextWrite(emulator, "<p>Saved by a person during the update.</p>")
    app.before_request(edit)
    site_server, site_url = serve(app)
    socket_path = connection.connection_pool.connection_kwargs["path"]
    env = {
        "OKRSYNC_WEBHOOK_SECRET": SECRET,
        "OKRSYNC_REDIS_URL": f"unix://{socket_path}",
        "OKRSYNC_QUEUE_NAME": QUEUE,
        "OKRSYNC_JIRA_URL": site_url,
        "OKRSYNC_JIRA_USER": "admin@acme.example",
        "OKRSYNC_JIRA_TOKEN": "any",
        "OKRSYNC_CONFLUENCE_URL": f"{site_url}/wiki",
        "OKRSYNC_CONFLUENCE_USER": "admin@acme.example",
        "OKRSYNC_CONFLUENCE_TOKEN": "any",
        "OKRSYNC_DATA_DIR": str(tmp_path),
        "OKRSYNC_PAGES_INTERVAL_SECONDS": str(INTERVAL),
    }
    settings = Settings(**{k.removeprefix("OKRSYNC_").lower(): v for k, v in env.items()}, _env_file=None)
    server, url = serve(create_app(settings, connection=connection))
    runtime = build_runtime(settings, connection)
    config = tmp_path / "okrs.yaml"
    config.write_text(CONFIG.replace("START", "2020-01-01").replace("END", time.strftime("%Y-%m-%d", time.gmtime())))
    apply_config_file(runtime, config, author="e2e")
    register_webhook(runtime, f"{url}/webhooks/jira")
    resync(runtime)
    log = tmp_path / "processes.log"
    processes = [
        _launch(["worker"], env, log),
        _launch(["scheduler", "--interval", "0.1", "--recompute-every", "3600", "--reconcile-every", "3600"], env, log),
    ]
    try:
        yield {
            "emulator": emulator,
            "runtime": runtime,
            "jira": runtime.jira,
            "confluence": runtime.confluence,
            "edit": edit,
            "log": log,
            "site_url": site_url,
        }
    finally:
        for process in processes:
            _stop(process)
        server.shutdown()
        site_server.shutdown()
        emulator.dispatcher.stop()
        forget_runtimes()


OKRSYNC = str(Path(sys.executable).parent / "okrsync")


def _launch(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    output = open(log, "ab")
    return subprocess.Popen(
        [OKRSYNC, *arguments],
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(check: Callable[[], Any], seconds: float = 15, what: str = "the page to change") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what} after {seconds:g} s")
