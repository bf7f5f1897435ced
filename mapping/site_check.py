"""A configuration compared with the Jira site it is meant for (pure: the site's facts come in).

Projects, fields, statuses, priorities, issue types and issue keys the file names must exist on the
site. A name Jira would reject in a query (``status = Doen``, ``projct = CHK``, ``key = SHOP-99999``)
or that the service cannot write to is an error; an issue key the service writes its status onto
(a contributor epic, a KR's ``jira_issue``) that Jira does not show is a warning. Each finding names
the document path and, for a near miss, what was probably meant; a field to write into that the
site lacks altogether says which custom field to create."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from jql.names import KNOWN_FIELD_NAMES, FieldUse, fields_named
from jql.syntax import JqlError
from jql.validate import ISSUE_KEY
from mapping.field_kinds import KR_FIELD_KINDS, create_field_fix
from mapping.models import OkrConfig
from mapping.references import jql_texts

Severity = Literal["error", "warning"]
SIMILARITY = 0.6  # difflib's ratio from which a site's name is offered as "did you mean"
NAMED_VALUES = {"status": "status", "priority": "priority", "issuetype": "issue type", "project": "project"}
KEY_FIELDS = frozenset(("key", "parent", "Epic Link"))


@dataclass(frozen=True)
class EditScreen:
    """The fields on one issue type's edit screen, as the ``editmeta`` of one of its issues lists them."""

    asked: str  # the issue whose editmeta was read: SHOP-1
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field id → its allowed values' names


@dataclass(frozen=True)
class SiteFacts:
    """What the site has, as Jira's REST API lists it. Names are kept as the site spells them."""

    projects: Mapping[str, str] = field(default_factory=dict)  # key → name
    fields: Mapping[str, str] = field(default_factory=dict)  # name → id
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    issues: Mapping[str, str | None] = field(default_factory=dict)  # key asked → None, or why it is not there
    schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # field id → its schema in /field
    issue_type_of: Mapping[str, str] = field(default_factory=dict)  # key asked (and found) → its issue type
    edit_screens: Mapping[str, EditScreen] = field(default_factory=dict)  # issue type → its edit screen, when read
    sampled_epics: tuple[str, ...] = ()  # one epic each contributors.jql finds (its issue type in issue_type_of)

    def names(self, kind: str) -> tuple[str, ...]:
        if kind == "project":
            return (*self.projects, *self.projects.values())
        return {"status": self.statuses, "priority": self.priorities, "issuetype": self.issue_types}[kind]


@dataclass(frozen=True)
class SiteFinding:
    severity: Severity
    where: str  # document path: metrics.checkout.jql, okr_sets[0].projects[1]
    message: str

    def line(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def check_site(config: OkrConfig, facts: SiteFacts) -> list[SiteFinding]:
    """Every name of the file the site does not have; errors first, in document order within each."""
    findings = [
        *_project_findings(config, facts),
        *_jql_findings(config, facts),
        *_writeback_findings(config, facts),
        *_written_issue_findings(config, facts),
    ]
    return sorted(findings, key=lambda f: f.severity != "error")


def did_you_mean(name: str, known: tuple[str, ...]) -> str:
    """``"; did you mean Done?"`` for the closest of ``known``, else the empty string."""
    folded: dict[str, str] = {}
    for name_known in known:  # the first spelling wins: a project's key before its name
        folded.setdefault(name_known.casefold(), name_known)
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=SIMILARITY)
    return f"; did you mean {folded[close[0]]}?" if close else ""


def _has(name: str, known: tuple[str, ...]) -> bool:
    folded = " ".join(name.split()).casefold()
    return any(" ".join(k.split()).casefold() == folded for k in known)


def _project_findings(config: OkrConfig, facts: SiteFacts) -> Iterator[SiteFinding]:
    known = facts.names("project")
    for s, okr_set in enumerate(config.okr_sets):
        for p, project in enumerate(okr_set.projects):
            if not _has(project, known):
                yield _missing("error", f"okr_sets[{s}].projects[{p}]", "project", project, known)
    for p, program in enumerate(config.problem_programs):
        points, where = program.action_points, f"problem_programs[{p}].action_points"
        if not _has(points.project, known):
            yield _missing("error", f"{where}.project", "project", points.project, known)
        if not _has(points.issuetype, facts.issue_types):
            yield _missing("error", f"{where}.issuetype", "issue type", points.issuetype, facts.issue_types)


def _missing(severity: Severity, where: str, kind: str, name: str, known: tuple[str, ...]) -> SiteFinding:
    return SiteFinding(severity, where, f"the site has no {kind} {name!r}{did_you_mean(name, known)}")


def _jql_findings(config: OkrConfig, facts: SiteFacts) -> Iterator[SiteFinding]:
    for where, text in jql_texts(config):
        try:
            uses = fields_named(text)
        except JqlError:
            continue  # malformed JQL is a validation error of its own
        seen: set[tuple[str, str]] = set()
        for use in uses:
            for finding in _use_findings(where, use, facts):
                if (finding.where, finding.message) not in seen:
                    seen.add((finding.where, finding.message))
                    yield finding


def _use_findings(where: str, use: FieldUse, facts: SiteFacts) -> Iterator[SiteFinding]:
    rejected = "Jira rejects the query"
    if use.kind == "custom" and not _has(use.name, tuple(facts.fields)):
        hint = did_you_mean(use.name, (*KNOWN_FIELD_NAMES, *facts.fields))
        yield SiteFinding("error", where, f"the site has no field {use.name!r} ({rejected}){hint}")
    if use.kind == "cf" and f"customfield_{use.name[3:-1]}" not in set(facts.fields.values()):
        yield SiteFinding("error", where, f"the site has no custom field {use.name} ({rejected})")
    if use.kind == "system" and use.name in NAMED_VALUES:
        known = facts.names(use.name)
        for value in use.values:
            if not value.isdigit() and not _has(value, known):
                hint = did_you_mean(value, known)
                kind = NAMED_VALUES[use.name]
                yield SiteFinding("error", where, f"the site has no {kind} {value!r} ({rejected}){hint}")
    if use.kind == "system" and use.name in KEY_FIELDS:
        for value in use.values:
            reason = facts.issues.get(value.upper()) if ISSUE_KEY.fullmatch(value) else None
            if reason:
                yield SiteFinding("error", where, f"{value.upper()} {reason} ({rejected}); check the key")


def _writeback_findings(config: OkrConfig, facts: SiteFacts) -> Iterator[SiteFinding]:
    """A field ``writeback:`` names that the site lacks: the name probably meant, if any, and how to
    create it."""
    known = tuple(facts.fields)
    for where, name, wanted in _written_fields(config):
        if not _has(name, known):
            meant, create = did_you_mean(name, known), create_field_fix(name, wanted)
            fix = f"{meant} If not, {create}" if meant else f"; {create}"
            yield SiteFinding("error", where, f"the site has no field {name!r} to write into{fix}")


def _written_fields(config: OkrConfig) -> list[tuple[str, str, str]]:
    """(path, name, what is written there: a KINDS_WANTED key) of each field ``writeback:`` names."""
    writeback = config.writeback
    named = [("writeback.epic_field", writeback.epic_field, "text")] if writeback.epic_field else []
    named += [(f"writeback.kr_fields.{what}", name, KR_FIELD_KINDS[what]) for what, name in writeback.kr_fields.items()]
    if writeback.health_field:
        named.append(("writeback.health_field", writeback.health_field, "health"))
    if writeback.status_field:
        named.append(("writeback.status_field", writeback.status_field, "text"))
    return named


def _written_issue_findings(config: OkrConfig, facts: SiteFacts) -> Iterator[SiteFinding]:
    for where, key in named_issue_keys(config):
        reason = facts.issues.get(key)
        if reason:
            written = (
                "the weekly digest cannot be commented"
                if where.endswith("].jira_issue") and ".objectives" not in where
                else "its status cannot be written"
            )
            yield SiteFinding("warning", where, f"{key} {reason}; {written} there — check the key")


def named_issue_keys(config: OkrConfig) -> list[tuple[str, str]]:
    """(path, key) of every contributor epic, KR ``jira_issue`` and set ``jira_issue`` the configuration names."""
    found = []
    for s, okr_set in enumerate(config.okr_sets):
        if okr_set.jira_issue:
            found.append((f"okr_sets[{s}].jira_issue", okr_set.jira_issue.upper()))
        for o, objective in enumerate(okr_set.objectives):
            for k, kr in enumerate(objective.key_results):
                where = f"okr_sets[{s}].objectives[{o}].key_results[{k}]"
                if kr.jira_issue:
                    found.append((f"{where}.jira_issue", kr.jira_issue.upper()))
                epics = kr.contributors.epics if kr.contributors is not None else None
                found += [(f"{where}.contributors.epics", key.upper()) for key in epics or []]
    return found


def issue_keys_to_ask(config: OkrConfig) -> list[str]:
    """Every issue key the file names (written onto, or compared in JQL), each once, in order."""
    keys = [key for _, key in named_issue_keys(config)]
    for _, text in jql_texts(config):
        try:
            uses = fields_named(text)
        except JqlError:
            continue
        keys += [v.upper() for u in uses if u.kind == "system" and u.name in KEY_FIELDS for v in u.values]
    return list(dict.fromkeys(key for key in keys if ISSUE_KEY.fullmatch(key)))
