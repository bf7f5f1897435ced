"""What the demo's people do outside the service: notes they add to an OKR page in Confluence (through
their own session, so their calls are not the service's), and incidents logged some hours after they began
(the emulated Jira's clock moved back for that one call, so time to restore reads in hours)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from typing import Any

import requests

NOTES = [
    ("Alice Park", "the escaped-defects trend is what we discuss on Monday."),
    ("Bob Mensah", "two of last week's incidents share a root cause in the payment adapter; see the problem review."),
    ("Chen Wei", "carrier data for the on-time KR arrives on Thursdays, so mid-week readings lag."),
    ("Dana Silva", "CI retries are down since the flaky-test quarantine; expect fewer deploy delays."),
    ("Alice Park", "we agreed to hold the coupon redesign until the 3DS fix is out."),
    ("Bob Mensah", "on-call handover notes now link the runbook; restore times should follow."),
    ("Chen Wei", "returns volume peaks after the sale; staffing plan is in the fulfilment space."),
    ("Dana Silva", "the rollback drill is booked for Wednesday 14:00; all leads welcome."),
]
SAVE_ATTEMPTS = 3  # a person whose save loses a race with the service reloads the page and saves again
INCIDENT_HOURS = (2.0, 9.0)  # how long before it is logged an incident began


@dataclass(frozen=True)
class PageNote:
    """One note a person saved, and how many saves it took (more than one: the service wrote in between)."""

    title: str
    author: str
    saves: int


class People:
    """The demo's people at their own browsers: ``session`` signs in as one of them."""

    def __init__(self, session: requests.Session, emulator_url: str, rng: random.Random) -> None:
        self.session, self.base, self.rng = session, emulator_url.rstrip("/"), rng

    def add_note(self, space: str, title: str, when: str) -> PageNote | None:
        """A note drawn from NOTES appended to the page; None when the page does not exist yet."""
        author, text = self.rng.choice(NOTES)
        paragraph = f"<p>Note from {escape(author)} ({when}): {escape(text)}</p>"
        for saves in range(1, SAVE_ATTEMPTS + 1):
            page = self._page(space, title)
            if page is None:
                return None
            answer = self._save(page, page["body"]["storage"]["value"] + paragraph)
            if answer.status_code != 409:
                answer.raise_for_status()
                return PageNote(title, author, saves)
        raise RuntimeError(f"{author}'s note on '{title}' lost {SAVE_ATTEMPTS} races with the service's writes")

    def incident_age_hours(self) -> float:
        return round(self.rng.uniform(*INCIDENT_HOURS), 1)

    @contextmanager
    def jira_clock_back(self, hours: float) -> Iterator[None]:
        """Jira's clock ``hours`` behind for the calls made inside (the emulator's ``clock_offset_s``)."""
        self._set_clock_offset(-hours * 3600)
        try:
            yield
        finally:
            self._set_clock_offset(0)

    def _set_clock_offset(self, seconds: float) -> None:
        url = f"{self.base}/_emulator/faults"
        self.session.put(url, json={"clock_offset_s": seconds}, timeout=10).raise_for_status()

    def _page(self, space: str, title: str) -> dict[str, Any] | None:
        url = f"{self.base}/wiki/rest/api/content"
        params = {"spaceKey": space, "title": title, "expand": "body.storage,version"}
        answer = self.session.get(url, params=params, timeout=10)
        answer.raise_for_status()
        results = answer.json().get("results") or []
        return dict(results[0]) if results else None

    def _save(self, page: dict[str, Any], body: str) -> requests.Response:
        payload = {
            "type": "page",
            "title": page["title"],
            "version": {"number": int(page["version"]["number"]) + 1, "message": "A person's note"},
            "body": {"storage": {"value": body, "representation": "storage"}},
        }
        return self.session.put(f"{self.base}/wiki/rest/api/content/{page['id']}", json=payload, timeout=10)
