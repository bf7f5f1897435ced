"""The stream of activity the demo plays: what people do in Jira and Confluence all day, and a data
pipeline pushing measurements. Each action returns one line saying what it did. People act through
their own sessions (Alice in checkout, Bob on call, Dana in platform), never the service's account, so
nothing they do is taken for the service's own writes."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from mapping.measurements import Measurement
from okrsync.demo.people import People
from okrsync.demo.scenario import BUG_TOPICS, INCIDENT_TOPICS, PROBLEM_SOURCES
from sync.configured import configured_jira
from sync.dirty import mark
from sync.runtime import Runtime
from sync.scheduling import schedule_flush

STATUS_IDS = {"To Do": "10000", "In Progress": "3", "In Review": "10001", "Done": "10002"}
CHECKINS = [  # what people comment on a KR's Jira issue: their check-ins
    ("alice@shop.example", "/checkin 0.6 Escapes are down since the contract tests; asks: one QA person for 3DS"),
    ("bob@shop.example", "/checkin medium The payment adapter fix is in review\nblockers: staging is flaky"),
    ("dana@shop.example", "/checkin 0.8 The flaky-test quarantine is paying off"),
    ("chen@shop.example", "/checkin low Two escapes this week in returns; asks: a review of the refund flow"),
]


class DemoActivity:
    def __init__(self, runtime: Runtime, emulator_url: str, seed: int = 7) -> None:
        self.runtime = runtime
        self.jira = configured_jira(runtime)
        self.emulator_url = emulator_url.rstrip("/")
        self.rng = random.Random(seed)
        self.sessions = {person: _signed_in(person) for person in ("alice", "bob", "dana")}
        self.session = self.sessions["alice"]
        self.conversion = 2.5
        self.nps = 33.0
        self.descoped: str | None = None
        self.people = People(self.session, self.emulator_url, self.rng)

    def actions(self) -> list[tuple[float, Callable[[], str]]]:
        """(weight, action): the mix of a working day."""
        return [
            (3, self.move_work),
            (2, self.report_bug),
            (1.5, self.open_incident),
            (1.5, self.resolve_incident),
            (1.5, self.raise_problem),
            (1, self.push_conversion),
            (1, self.push_nps),
            (0.5, self.edit_page),
            (0.5, self.drop_unfinished_epic),
            (0.5, self.check_in),
        ]

    def step(self) -> str:
        weights, actions = zip(*self.actions(), strict=False)
        action = self.rng.choices(actions, weights=weights)[0]
        return action()

    # ------------------------------------------------------------------ Jira

    def move_work(self) -> str:
        issues = list(
            self.jira.search(
                "project = CHK AND issuetype in (Bug, Story) AND statusCategory != Done",
                fields=["status"],
                page_size=50,
            )
        )
        if not issues:
            return self.report_bug()
        issue = self.rng.choice(issues)
        target = "Done" if issue["fields"]["status"]["name"] != "To Do" else "In Progress"
        self._transition(issue["key"], target)
        return f"{issue['key']} moved to {target}"

    def report_bug(self) -> str:
        escaped = self.rng.random() < 0.25
        topic = self.rng.choice(BUG_TOPICS)
        created = self._create(
            "alice",
            {
                "project": {"key": "CHK"},
                "issuetype": {"name": "Bug"},
                "summary": f"{topic.capitalize()} fails {'in production' if escaped else 'in staging'}",
                "labels": ["escaped"] if escaped else [],
                "priority": {"name": self.rng.choice(["High", "Medium"])},
            },
        )
        return f"{created['key']} new bug{' (escaped to production)' if escaped else ''}"

    def open_incident(self) -> str:
        """An incident logged when it began some hours ago (Jira's clock moved back for that call)."""
        priority = self.rng.choice(["Highest", "High", "High"])
        hours = self.people.incident_age_hours()
        fields = {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Incident"},
            "priority": {"name": priority},
            "summary": f"{self.rng.choice(INCIDENT_TOPICS).capitalize()} (live)",
            "labels": ["escaped-production"],
        }
        with self.people.jira_clock_back(hours):
            created = self._create("bob", fields)
        return f"{created['key']} incident opened ({priority}), began {hours:g} hours ago"

    def resolve_incident(self) -> str:
        open_incidents = list(
            self.jira.search(
                "project = OPS AND issuetype = Incident AND statusCategory != Done", fields=["summary"], page_size=20
            )
        )
        if not open_incidents:
            return self.open_incident()
        key = self.rng.choice(open_incidents)["key"]
        self._transition(key, "Done", "bob")
        return f"{key} incident resolved"

    def raise_problem(self) -> str:
        source = self.rng.choice(list(PROBLEM_SOURCES))
        component = self.rng.choice(["deploy", "ci", "on-call"])
        category = {"deploy": "problem-system", "ci": "problem-mechanism", "on-call": "problem-people"}[component]
        created = self._create(
            "dana",
            {
                "project": {"key": "PLAT"},
                "issuetype": {"name": "Task"},
                "priority": {"name": "High"},
                "summary": self.rng.choice(PROBLEM_SOURCES[source]),
                "labels": [source, category],
                "components": [{"name": component}],
            },
        )
        return f"{created['key']} problem raised ({source}, {component})"

    def drop_unfinished_epic(self) -> str:
        """Once: a lead takes an unfinished epic off a KR (its label goes); the KR's delivery keeps it
        in the scope it started with, listed as dropped unfinished."""
        if self.descoped is not None:
            return self.move_work()
        epics = list(
            self.jira.search(
                "project = CHK AND issuetype = Epic AND labels = kr-mttr AND statusCategory != Done",
                fields=["labels"],
                page_size=10,
            )
        )
        if not epics:
            return self.move_work()
        key = str(epics[0]["key"])
        url = f"{self.emulator_url}/rest/api/2/issue/{key}"
        self.session.put(url, json={"update": {"labels": [{"remove": "kr-mttr"}]}}, timeout=10).raise_for_status()
        self.descoped = key
        return f"{key} taken off checkout O1.KR1 unfinished (label kr-mttr removed)"

    def _transition(self, key: str, status: str, person: str = "alice") -> None:
        url = f"{self.emulator_url}/rest/api/2/issue/{key}/transitions"
        answer = self.sessions[person].post(url, json={"transition": {"id": STATUS_IDS[status]}}, timeout=10)
        answer.raise_for_status()

    def _create(self, person: str, fields: dict[str, Any]) -> dict[str, Any]:
        """An issue created by ``person`` at their own browser: the service's account is not its author."""
        url = f"{self.emulator_url}/rest/api/2/issue"
        answer = self.sessions[person].post(url, json={"fields": fields}, timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    # ------------------------------------------------------------------ measurements

    def check_in(self) -> str:
        """A person's `/checkin` comment on a KR's Jira issue, made as that person."""
        config = self.runtime.config_store.current()
        sets = config.okr_sets if config else []
        issues = [k.jira_issue for s in sets for o in s.objectives for k in o.key_results if k.jira_issue]
        if not issues:
            return self.move_work()
        key = issues[0]
        person, text = self.rng.choice(CHECKINS)
        url = f"{self.emulator_url}/rest/api/2/issue/{key}/comment"
        requests.post(url, json={"body": text}, auth=(person, "demo"), timeout=10).raise_for_status()
        return f"{person.split('@')[0]} checked in on {key}: {text.splitlines()[0]}"

    def push_conversion(self) -> str:
        self.conversion = round(min(3.2, max(2.0, self.conversion + self.rng.uniform(-0.05, 0.12))), 2)
        return self._push("checkout_conversion", self.conversion, "%")

    def push_nps(self) -> str:
        self.nps = round(min(50, max(20, self.nps + self.rng.uniform(-1, 2.5))), 1)
        return self._push("nps", self.nps, "points")

    def _push(self, metric: str, value: float, unit: str) -> str:
        self.runtime.measurements.add(
            Measurement(metric=metric, value=value, at=datetime.now(UTC), source="demo pipeline")
        )
        config = self.runtime.config_store.current()
        if config is not None:
            refs = [
                f"{s.id}/{kr.id}"
                for s in config.okr_sets
                for o in s.objectives
                for kr in o.key_results
                if kr.metric == metric
            ]
            mark(self.runtime.redis, refs, {"kind": "measurement", "metric": metric})
            schedule_flush(self.runtime.redis, self.runtime.queue_name)
        return f"{metric} measured at {value:g} {unit}"

    # ------------------------------------------------------------------ Confluence

    def edit_page(self) -> str:
        """A person adds a note to the page in their browser (their own session, not the service's client)."""
        if self.runtime.confluence is None:
            return self.move_work()
        note = self.people.add_note("OKR", "Checkout & Payments OKRs", f"{datetime.now(UTC):%H:%M}")
        if note is None:
            return "the Checkout & Payments page is not written yet"
        again = ", saved again after the service's update" if note.saves > 1 else ""
        return f"{note.author} added a note to the page '{note.title}'{again}"


def _signed_in(person: str) -> requests.Session:
    """A session of one of the demo's people (``alice`` → alice@shop.example)."""
    session = requests.Session()
    session.auth = (f"{person}@shop.example", "demo")
    return session
