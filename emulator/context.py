"""What the blueprints share with the app: the ``Emulator`` a request works on, its accessors, and the
error answers more than one API gives.

``app.py`` builds the ``Emulator`` and registers the blueprints; the blueprints reach it through
``current_emulator()`` and never import the app.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Response, current_app, g, jsonify, request

from emulator.custom_fields import jql_clauses
from emulator.delivery import Dispatcher
from emulator.faults import Faults
from emulator.jira_json import View, issue_facts
from emulator.search import CustomClause, JqlContext, JqlError, Query, compile_jql, sort_issues
from emulator.search_cache import SearchCache
from emulator.state import Issue, NotFound, Site, User
from emulator.timefmt import utc_now


@dataclass
class Emulator:
    """Everything a request handler needs: the site, the faults, the webhook dispatcher, settings."""

    site: Site
    faults: Faults
    dispatcher: Dispatcher
    require_auth: bool = False
    data_path: Path | None = None
    public_url: str | None = None
    started: float = field(default_factory=time.time)
    searches: SearchCache = field(default_factory=SearchCache, repr=False)

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return request.host_url.rstrip("/") if request else "http://localhost"

    def view(self, api: str = "2") -> View:
        return View(base=self.base_url(), api=api, flavor=self.site.flavor)

    def now(self) -> datetime:
        """Jira's clock: the wall clock moved by the ``clock_offset_s`` knob. It stamps every change
        (``updated``, changelog, comments), the webhooks those changes send, ``serverTime`` and JQL's now."""
        return utc_now() + timedelta(seconds=self.faults.knobs.clock_offset_s)

    def wall_clock(self) -> datetime:
        """The real time, for what Jira's clock does not stamp (Confluence pages)."""
        return utc_now()

    def jql_context(self, actor: User | None = None) -> JqlContext:
        projects = frozenset(v.lower() for p in self.site.projects for v in (p.key, p.name, p.id))
        return JqlContext(
            now=self.now(),
            current_user=frozenset(actor.aliases()) if actor else frozenset(),
            projects=projects,
            custom_fields=searchable_custom_fields(self.site),
        )

    def search(self, text: str, actor: User | None) -> tuple[Query, list[Issue]]:
        """Issues matching ``text`` in the query's order (do not modify the list: it may be reused for the
        next page until an issue is written). Raises JqlError. Caller holds the lock."""
        context = self.jql_context(actor)
        query = compile_jql(text, context)
        if query.reads_clock:
            return query, self._evaluate(query)
        key, revision = (text, context.current_user), self.site.issue_revision
        cached = self.searches.get(key, revision)
        return query, cached if cached is not None else self.searches.put(key, revision, self._evaluate(query))

    def _evaluate(self, query: Query) -> list[Issue]:
        """Every issue's facts through the query, then its order: the cost a cached answer saves."""
        now = self.now()
        facts = [issue_facts(self.site, issue, now) for issue in self._candidates(query)]
        matched = sort_issues([f for f in facts if query.matches(f)], query.order)
        return [self.site.issues[str(f["_id"])] for f in matched]

    def _candidates(self, query: Query) -> list[Issue]:
        """The issues of the projects the query can match (every issue unless it requires a project)."""
        if query.projects is None:
            return list(self.site.issues.values())
        ids = {p.id for p in self.site.projects if query.may_match_project({p.key.lower(), p.name.lower(), p.id})}
        return [issue for issue in self.site.issues.values() if issue.project_id in ids]

    def matches(self, text: str, issue: Issue) -> bool:
        """Whether a webhook's JQL filter admits ``issue``; a filter that does not parse admits nothing."""
        if not text.strip():
            return True
        context = JqlContext(now=self.now(), custom_fields=searchable_custom_fields(self.site))
        try:
            query = compile_jql(text, context)
        except JqlError:
            return False
        return query.matches(issue_facts(self.site, issue))

    def notify(self, event: str, payload: dict[str, Any], issue: Issue | None = None) -> None:
        """Hand ``payload`` to every enabled webhook that listens to ``event`` (and whose filter matches)."""
        for hook in list(self.site.webhooks.values()):
            if not hook.enabled or event not in hook.events:
                continue
            if issue is not None and hook.jql and not self.matches(hook.jql, issue):
                continue
            self.dispatcher.publish(hook.id, hook.url, hook.secret, event, payload)

    def persist(self) -> None:
        if self.data_path is not None:
            self.site.save(self.data_path)


def searchable_custom_fields(site: Site) -> dict[str, CustomClause]:
    """The custom fields JQL can name on this site, by name or ``cf[NNNNN]``: the scenario's, and Data
    Center's Epic Link, Epic Name and Story Points."""
    return jql_clauses(site.custom_fields)


def current_emulator() -> Emulator:
    """The emulator of the app serving this request (``create_emulator`` put it in the app's extensions)."""
    emulator: Emulator = current_app.extensions["emulator"]
    return emulator


def actor() -> User:
    return g.get("actor") or current_emulator().site.default_user()


# ---------------------------------------------------------------------------- shared error answers


def no_such_resource() -> Response:
    """What Jira's REST layer answers for a path no resource serves."""
    response = jsonify({"message": f"null for uri: {request.url}", "status-code": 404})
    response.status_code = 404
    return response


def not_found(exc: NotFound) -> Response:
    response = jsonify(errorMessages=[str(exc)], errors={})
    response.status_code = 404
    return response
