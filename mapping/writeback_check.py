"""The fields ``writeback:`` names, against the site (pure): each is of a kind that can hold what is
written, a health select list has every health as an option, and each is on the edit screen of every
issue type written to — else Jira refuses the write. Each finding names its document path and the fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mapping.field_kinds import (
    CUSTOM_FIELDS,
    HEALTH_OPTIONS,
    KINDS_WANTED,
    KR_FIELD_KINDS,
    field_kind,
    field_type_words,
)
from mapping.models import OkrConfig
from mapping.site_check import EditScreen, SiteFacts, SiteFinding


@dataclass(frozen=True)
class NamedField:
    where: str  # writeback.health_field
    name: str  # as the file spells it
    wanted: str  # the kind of value written: "health", "text" or "number" (KINDS_WANTED)
    issues: tuple[str, ...]  # the issue keys it is written on, as the file names them


def named_fields(config: OkrConfig, sampled_epics: tuple[str, ...] = ()) -> list[NamedField]:
    """Each field ``writeback:`` names, with the issues it is written on: those the file lists, and
    ``sampled_epics`` (epics its ``contributors.jql`` found)."""
    writeback = config.writeback
    listed, kr_issues = _written_keys(config)
    epics = tuple(dict.fromkeys(listed + sampled_epics))
    named = []
    if writeback.epic_field:
        named.append(NamedField("writeback.epic_field", writeback.epic_field, "text", epics))
    named += [
        NamedField(f"writeback.kr_fields.{what}", name, KR_FIELD_KINDS[what], kr_issues)
        for what, name in writeback.kr_fields.items()
    ]
    if writeback.health_field:
        named.append(NamedField("writeback.health_field", writeback.health_field, "health", epics + kr_issues))
    if writeback.status_field:
        named.append(NamedField("writeback.status_field", writeback.status_field, "text", epics + kr_issues))
    return named


def _written_keys(config: OkrConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(contributor epics listed, KR ``jira_issue`` keys), upper-cased, each once, in document order."""
    epics: list[str] = []
    kr_issues: list[str] = []
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                if kr.jira_issue:
                    kr_issues.append(kr.jira_issue.upper())
                listed = kr.contributors.epics if kr.contributors is not None else None
                epics += [key.upper() for key in listed or []]
    return tuple(dict.fromkeys(epics)), tuple(dict.fromkeys(kr_issues))


def contributor_jqls(config: OkrConfig) -> list[str]:
    """The contributor JQL of each KR (each text once), when a field is written on contributor epics."""
    writeback = config.writeback
    if not (writeback.epic_field or writeback.health_field or writeback.status_field):
        return []
    texts = [
        kr.contributors.jql
        for okr_set in config.okr_sets
        for objective in okr_set.objectives
        for kr in objective.key_results
        if kr.contributors is not None and kr.contributors.jql
    ]
    return list(dict.fromkeys(texts))


def check_writeback_fields(config: OkrConfig, facts: SiteFacts) -> list[SiteFinding]:
    """The kind, options and screen findings of every field the site has (a missing one is
    ``check_site``'s finding)."""
    ids = {" ".join(name.split()).casefold(): field_id for name, field_id in facts.fields.items()}
    findings = []
    for named in named_fields(config, facts.sampled_epics):
        field_id = ids.get(" ".join(named.name.split()).casefold())
        if field_id is not None:
            findings += list(_field_findings(named, field_id, facts))
    return findings


def _field_findings(named: NamedField, field_id: str, facts: SiteFacts) -> Iterator[SiteFinding]:
    schema = facts.schemas.get(field_id)
    kind = field_kind(schema)
    if schema is not None and kind not in KINDS_WANTED[named.wanted][0]:
        needed = KINDS_WANTED[named.wanted][1]
        yield SiteFinding(
            "error",
            named.where,
            f"{named.name!r} is a {field_type_words(schema)} field and cannot hold what is written there; "
            f"it must be {needed}: create one ({CUSTOM_FIELDS} → Create custom field) and name it here",
        )
        return
    for issue_type, screen in _screens_written(named, facts):
        if field_id not in screen.options:
            yield _off_screen(named, issue_type, screen.asked)
        elif named.wanted == "health" and kind == "select":
            yield from _missing_options(named, issue_type, screen.asked, screen.options[field_id])


def _screens_written(named: NamedField, facts: SiteFacts) -> Iterator[tuple[str, EditScreen]]:
    seen = set()
    for key in named.issues:
        issue_type = facts.issue_type_of.get(key)
        if issue_type is not None and issue_type not in seen and issue_type in facts.edit_screens:
            seen.add(issue_type)
            yield issue_type, facts.edit_screens[issue_type]


def _off_screen(named: NamedField, issue_type: str, asked: str) -> SiteFinding:
    project = asked.rsplit("-", 1)[0]
    return SiteFinding(
        "error",
        named.where,
        f"{named.name!r} is not on the edit screen of {issue_type} issues in {project} (the editmeta of {asked} "
        f"lacks it), so Jira refuses the write; add it: Jira settings → Issues → Screen schemes → {project}'s "
        f"screen scheme → the edit screen of {issue_type} → Add field {named.name!r}",
    )


def _missing_options(named: NamedField, issue_type: str, asked: str, options: tuple[str, ...]) -> Iterator[SiteFinding]:
    have = {" ".join(o.split()).casefold() for o in options}
    missing = [o for o in HEALTH_OPTIONS.values() if o.casefold() not in have]
    if missing:
        yield SiteFinding(
            "error",
            named.where,
            f"{named.name!r} has no option {', '.join(repr(m) for m in missing)} for {issue_type} issues "
            f"(the editmeta of {asked}); add them: {CUSTOM_FIELDS} → {named.name} → Contexts and default value → "
            "Edit options",
        )
