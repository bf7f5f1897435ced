"""Reading what a Jira site has (projects, fields, statuses, priorities, issue types, the issues a
configuration names, the edit screens of the issue types it writes to) for ``mapping.site_check`` and
``mapping.writeback_check``, and printing their findings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import click

from mapping.models import OkrConfig
from mapping.site_check import EditScreen, SiteFacts, SiteFinding, check_site, issue_keys_to_ask
from mapping.writeback_check import check_writeback_fields, contributor_jqls, named_fields

KEYS_CHECKED = 200  # a configuration naming more issue keys is checked for its first ones only
JQL_SAMPLED = 20  # contributor JQL texts asked for one epic each (whose edit screen is then read)


@runtime_checkable
class SiteReader(Protocol):
    """The Jira calls the check makes (``connector.JiraPort`` has them)."""

    def fields(self) -> list[dict[str, Any]]: ...
    def projects(self) -> list[dict[str, Any]]: ...
    def statuses(self) -> list[dict[str, Any]]: ...
    def priorities(self) -> list[dict[str, Any]]: ...
    def issue_types(self) -> list[dict[str, Any]]: ...
    def get_issue(self, key: str, fields: Sequence[str] | None = None) -> dict[str, Any]: ...
    def edit_meta(self, key: str) -> dict[str, Any]: ...
    def search(
        self, jql: str, fields: Sequence[str] | None = None, expand_changelog: bool = False, page_size: int = 100
    ) -> Iterator[dict[str, Any]]: ...


def read_site_facts(jira: SiteReader, config: OkrConfig) -> SiteFacts:
    """The site's facts the configuration is compared with. Raises ConnectorError when Jira cannot be
    read (the credentials, the network) — not for an issue key it does not have."""
    entries = [f for f in jira.fields() if isinstance(f.get("name"), str) and isinstance(f.get("id"), str)]
    issues, issue_types = _issue_answers(jira, issue_keys_to_ask(config)[:KEYS_CHECKED])
    sampled = _sampled_epics(jira, config)
    issue_types = {**sampled, **issue_types}
    return SiteFacts(
        projects={str(p["key"]): str(p.get("name") or p["key"]) for p in jira.projects() if p.get("key")},
        fields={f["name"].strip(): f["id"] for f in entries},
        statuses=_names(jira.statuses()),
        priorities=_names(jira.priorities()),
        issue_types=_names(jira.issue_types()),
        issues=issues,
        schemas={f["id"]: f["schema"] for f in entries if isinstance(f.get("schema"), dict)},
        issue_type_of=issue_types,
        edit_screens=_edit_screens(jira, config, issue_types, tuple(sampled)),
        sampled_epics=tuple(sampled),
    )


def _names(entries: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(e["name"]) for e in entries if isinstance(e, dict) and e.get("name")))


def _issue_answers(jira: SiteReader, keys: list[str]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each key → None when Jira has it, else why not (404, or not visible to the account); and each
    key found → its issue type's name."""
    from connector import AuthError, NotFound

    answers: dict[str, str | None] = {}
    issue_types: dict[str, str] = {}
    for key in keys:
        try:
            found = jira.get_issue(key, fields=["summary", "issuetype"])
            answers[key] = None
            issue_type = ((found.get("fields") or {}).get("issuetype") or {}).get("name")
            if isinstance(issue_type, str):
                issue_types[key] = issue_type
        except NotFound:
            answers[key] = "does not exist in Jira (404)"
        except AuthError as exc:
            if exc.status == 401:
                raise  # the credentials, not the key
            answers[key] = f"is not visible to the service's account ({exc.status})"
    return answers, issue_types


def _sampled_epics(jira: SiteReader, config: OkrConfig) -> dict[str, str]:
    """Key → issue type of the first epic each contributor JQL finds (a JQL Jira refuses is its own finding)."""
    from connector import AuthError, BadRequest, NotFound

    found: dict[str, str] = {}
    for jql in contributor_jqls(config)[:JQL_SAMPLED]:
        try:
            first = next(iter(jira.search(jql, fields=["issuetype"], page_size=1)), None)
        except (BadRequest, NotFound, AuthError) as exc:
            if exc.status == 401:
                raise
            continue
        issue_type = ((first or {}).get("fields") or {}).get("issuetype") or {}
        if first and isinstance(first.get("key"), str) and isinstance(issue_type.get("name"), str):
            found.setdefault(first["key"].upper(), issue_type["name"])
    return found


def _edit_screens(
    jira: SiteReader, config: OkrConfig, issue_types: dict[str, str], sampled: tuple[str, ...]
) -> dict[str, EditScreen]:
    """The edit screen of each issue type the configured fields are written on, from the editmeta of
    the first such issue (none asked when ``writeback:`` names no field)."""
    from connector import AuthError, NotFound

    first_of_type: dict[str, str] = {}
    for key in (key for named in named_fields(config, sampled) for key in named.issues):
        if key in issue_types:
            first_of_type.setdefault(issue_types[key], key)
    screens = {}
    for issue_type, key in first_of_type.items():
        try:
            meta = jira.edit_meta(key)
        except (NotFound, AuthError) as exc:
            if exc.status == 401:
                raise
            continue  # the key's own finding says why it cannot be read
        screens[issue_type] = EditScreen(key, _allowed_values(meta))
    return screens


def _allowed_values(meta: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Field id → the names of its allowed values (a select list's options; empty for other fields)."""
    fields = meta.get("fields") if isinstance(meta.get("fields"), dict) else {}
    return {
        str(field_id): tuple(
            str(v.get("value") or v.get("name")) for v in entry.get("allowedValues") or [] if isinstance(v, dict)
        )
        for field_id, entry in (fields or {}).items()
        if isinstance(entry, dict)
    }


def site_findings(jira: SiteReader, config: OkrConfig) -> list[SiteFinding] | None:
    """The findings, or None (said on stderr) when the site could not be read."""
    from connector import ConnectorError

    try:
        facts = read_site_facts(jira, config)
    except ConnectorError as exc:
        click.echo(f"warning: the file was not checked against Jira: {exc}", err=True)
        return None
    found = check_site(config, facts) + check_writeback_fields(config, facts)
    return sorted(found, key=lambda f: f.severity != "error")


def report_site_findings(jira: SiteReader, config: OkrConfig) -> int:
    """Print each finding on one line (stderr); the exit code: 2 with any error, else 0."""
    findings = site_findings(jira, config) or []
    for finding in findings:
        click.echo(finding.line(), err=True)
    errors = sum(1 for f in findings if f.severity == "error")
    if errors:
        click.echo(f"{errors} error(s): the site does not have what the file names", err=True)
    return 2 if errors else 0


def report_unknown_fields(config: OkrConfig, site_fields: dict[str, str] | None) -> None:
    """Offline: a warning (stderr) per JQL field neither the local subset nor ``site_fields`` knows."""
    from mapping.jql_fields import unknown_fields

    for unknown in unknown_fields(config, site_fields):
        click.echo(f"warning: {unknown.where}: {unknown.message}", err=True)
