"""People by name (pure): the display name a person's account id or user key reads as.

The names are looked up in Jira and cached by ``sync.people``; renderers take the lookup as a plain
mapping (reference → display text) and fall back to the reference itself while a name is not known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mapping.models import KeyResult, OkrConfig, OkrSet

Names = Mapping[str, str]
UNKNOWN = "(unknown user)"
NO_NAMES: Names = {}


def unknown_user(reference: str) -> str:
    """How a reference Jira does not know reads: the reference, then "(unknown user)"."""
    return f"{reference} {UNKNOWN}"


def person(reference: str, names: Names) -> str:
    """The display name of ``reference``; the reference itself until it has been looked up."""
    return names.get(reference, reference)


def people_text(references: Iterable[str], names: Names) -> str:
    return ", ".join(person(r, names) for r in references)


def kr_owners_text(kr: KeyResult, names: Names) -> str:
    """``Ada Lovelace (accountable), Alan Turing``; "no owner named" without owners."""
    if not kr.owners:
        return "no owner named"
    accountable = kr.accountable_person
    return ", ".join(
        f"{person(o, names)} (accountable)" if accountable == o and len(kr.owners) > 1 else person(o, names)
        for o in kr.owners
    )


def roles_text(kr: KeyResult, names: Names) -> list[tuple[str, str]]:
    """(role, people) for each role a KR fills: its roles, else its owners as responsible."""
    roles = kr.roles
    responsible = roles.responsible if roles and roles.responsible else kr.owners
    accountable = kr.accountable_person
    rows = [
        ("responsible", people_text(responsible, names)),
        ("accountable", person(accountable, names) if accountable else ""),
        ("consulted", people_text(roles.consulted, names) if roles else ""),
        ("informed", people_text(roles.informed, names) if roles else ""),
    ]
    return [(role, text) for role, text in rows if text]


def people_of_set(okr_set: OkrSet) -> list[str]:
    """Everyone a set names: its owner, then each KR's owners and roles, each once."""
    named = [okr_set.owner] if okr_set.owner else []
    named += [p for o in okr_set.objectives for kr in o.key_results for p in kr.people]
    return list(dict.fromkeys(named))


def people_of_config(config: OkrConfig) -> list[str]:
    """Everyone the configuration names: the sets' people and the problem sources' owners."""
    named = [p for s in config.okr_sets for p in people_of_set(s)]
    named += [src.owner for program in config.problem_programs for src in program.sources if src.owner]
    return list(dict.fromkeys(named))
