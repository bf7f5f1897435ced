"""A screenshot of a contributor epic in the emulator's Jira issue view. Run by hand:

    .venv/bin/python docs/screenshot_issue.py [--chromium /usr/bin/chromium] [--out docs/jira-issue.png]

It starts the emulator on a free port with a small checkout team, gives one epic what OKR Sync writes
on it (a remote link per key result, one of them done and so resolved; the health select field and
the status text field; a check-in comment) through Jira's REST API, and photographs
``/browse/CHK-1`` with headless Chromium: 1280 × 800 CSS pixels at 0.8 scale, a 1024 × 640 image.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from werkzeug.serving import make_server

from emulator.app import create_emulator

REPO = Path(__file__).resolve().parents[1]
WINDOW = (1280, 800)
SCALE = 0.8
MAX_BYTES = 300 * 1024
HEALTH, STATUS_LINE = "customfield_10100", "customfield_10101"
SITE: dict[str, Any] = {
    "title": "Northwind Goods",
    "users": [
        {"name": "okrsync", "displayName": "OKR Sync", "email": "okrsync@shop.example"},
        {"name": "alice", "displayName": "Alice Park", "email": "alice@shop.example"},
        {"name": "dana", "displayName": "Dana Silva", "email": "dana@shop.example"},
    ],
    "customFields": [
        {"id": "customfield_10016", "name": "Story Points", "type": "number"},
        {"id": HEALTH, "name": "OKR health", "type": "option"},
        {"id": STATUS_LINE, "name": "OKR status", "type": "string"},
    ],
    "projects": [{"key": "CHK", "name": "Checkout & Payments", "components": ["Payments", "Cart"]}],
    "issues": [
        {
            "key": "CHK-1",
            "type": "Epic",
            "summary": "Contract tests for the payment adapters",
            "description": "Every payment adapter gets a contract test that runs on each merge, so an "
            "adapter change that breaks checkout is caught before it ships.",
            "labels": ["kr-escaped", "kr-mttr"],
            "components": ["Payments"],
            "priority": "High",
            "assignee": "alice",
            "reporter": "dana",
            "status": "In Progress",
            "created": "-41d",
        },
        {"key": "CHK-2", "type": "Story", "summary": "Adyen adapter contract", "parent": "CHK-1", "status": "Done"},
        {"key": "CHK-3", "type": "Story", "summary": "Stripe adapter contract", "parent": "CHK-1"},
    ],
    "confluence": {"spaces": [{"key": "OKR", "name": "Objectives and Key Results", "pages": [{"title": "OKRs"}]}]},
}
ICONS = {  # a 16 px dot per health, as data URLs
    "on track": "#22a06b",
    "at risk": "#e2b203",
    "off track": "#c9372c",
    "done": "#1d7afc",
}


def main() -> None:
    options = arguments()
    with emulator() as url:
        key = fill(url)
        shoot(options.chromium, f"{url}/browse/{key}", options.out)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="chromium", help="the Chromium binary")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "jira-issue.png", help="the PNG to write")
    return parser.parse_args()


class emulator:
    """The emulator with ``SITE`` on a free local port, for the length of a ``with`` block."""

    def __enter__(self) -> str:
        self.app = create_emulator(SITE, flavor="cloud")
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.app.extensions["emulator"].dispatcher.stop()


def fill(url: str) -> str:
    """What OKR Sync leaves on the epic, written through Jira's REST API; the epic's key."""
    jira = requests.Session()
    jira.auth = ("okrsync@shop.example", "any-token")
    page = f"{url}/wiki/spaces/OKR/pages/65000"
    links = [
        link("checkout/O1.KR2", "O1.KR2 Escaped bug share · 32 % → 20 % · on track · score 0.40", "on track", page),
        link("checkout/O1.KR1", "O1.KR1 Median time to restore · 12 h → 4 h · done · score 1.00", "done", page),
    ]
    for body in links:
        answer(jira.post(f"{url}/rest/api/2/issue/CHK-1/remotelink", json=body, timeout=10))
    fields = {HEALTH: {"value": "On track"}, STATUS_LINE: "O1.KR2 on track · 0.40 · O1.KR1 done · 1.00"}
    answer(jira.put(f"{url}/rest/api/2/issue/CHK-1", json={"fields": fields}, timeout=10))
    checkin = (
        "OKR check-in — O1.KR2 Escaped bug share: *at risk → on track*. Now 32 % (baseline 40 %, target 20 %), "
        "score 0.40, expected progress 45 %. "
        f"([Checkout & Payments OKRs|{page}])"
    )
    answer(jira.post(f"{url}/rest/api/2/issue/CHK-1/comment", json={"body": checkin}, timeout=10))
    return "CHK-1"


def link(global_id: str, title: str, health: str, url: str) -> dict[str, Any]:
    """A remote link as OKR Sync writes one per KR: its health's icon, resolved when done."""
    icon = {"url16x16": dot(ICONS[health]), "title": health.capitalize()}
    item: dict[str, Any] = {"url": url, "title": title, "summary": "Checkout & Payments OKRs", "icon": icon}
    if health == "done":
        item["status"] = {"resolved": True, "icon": icon}
    return {"globalId": f"okrsync:{global_id}", "application": {"type": "okrsync", "name": "OKR Sync"}, "object": item}


def dot(colour: str) -> str:
    circle = f"<circle cx='8' cy='8' r='6' fill='{colour}'/>"
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>{circle}</svg>"
    return "data:image/svg+xml," + quote(svg)


def answer(response: requests.Response) -> None:
    if response.status_code >= 300:
        raise SystemExit(f"{response.request.method} {response.url} answered {response.status_code}: {response.text}")


def shoot(chromium: str, url: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={target}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                f"--force-device-scale-factor={SCALE}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    size = target.stat().st_size
    print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: {size // 1024} KB")
    if size > MAX_BYTES:
        print(f"warning: {target.name} is over 300 KB", file=sys.stderr)


if __name__ == "__main__":
    main()
