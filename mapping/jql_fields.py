"""Fields a configuration's JQL names that neither the local subset nor the site's field list knows.

``projct = CHK`` is valid JQL: ``projct`` reads as a custom field, the metric is evaluated remotely
by Jira and, there being no such field, never measured. Each such field is a warning naming it, the
document path of the query and, when one is close, the known field that was probably meant."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jql.names import KNOWN_FIELD_NAMES, FieldUse, fields_named
from jql.syntax import JqlError
from mapping.models import OkrConfig
from mapping.references import jql_texts

SIMILARITY = 0.75  # difflib's ratio from which a known name is offered as "did you mean"


@dataclass(frozen=True)
class UnknownField:
    where: str  # the document path of the query: metrics.checkout.jql
    field: str  # as written: projct, cf[10999]
    suggestion: str | None  # the nearest known field
    site_fields_known: bool  # whether the site's field list was compared too

    @property
    def message(self) -> str:
        site = " nor one of the site's fields" if self.site_fields_known else ""
        subject = "the metric" if self.where.startswith("metrics.") else "the query"
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        if not hint and not self.site_fields_known:
            hint = "; if it is a custom field, `okrsync validate --online` checks that the site has it"
        return (
            f"the field {self.field!r} is not a field the local JQL subset knows{site}: {subject} will be "
            f"evaluated remotely by Jira, which answers nothing for a field the site does not have{hint}"
        )


def unknown_fields(config: OkrConfig, site_fields: Mapping[str, str] | None = None) -> list[UnknownField]:
    """Every unknown field of every JQL text, once per text. ``site_fields`` maps lower-cased field
    names to ids (``story points`` → ``customfield_10016``), from Jira's field list when it is known;
    without it only system fields count as known (and ``cf[NNNNN]`` is taken on trust)."""
    found = []
    for where, text in jql_texts(config):
        try:
            uses = fields_named(text)
        except JqlError:
            continue  # malformed JQL is an error of its own
        found += _unknown_in(where, uses, site_fields)
    return found


def _unknown_in(where: str, uses: Iterable[FieldUse], site_fields: Mapping[str, str] | None) -> list[UnknownField]:
    known = site_fields is not None
    ids = set((site_fields or {}).values())
    seen: set[str] = set()
    found = []
    for use in uses:
        if use.kind in ("system", "unmirrored") or use.name in seen:
            continue
        seen.add(use.name)
        if use.kind == "cf" and (not known or f"customfield_{use.name[3:-1]}" in ids):
            continue
        if use.kind == "custom" and _site_has(use.name, site_fields or {}):
            continue
        found.append(UnknownField(where, use.name, nearest_field(use.name, site_fields or {}), known))
    return found


def _site_has(name: str, site_fields: Mapping[str, str]) -> bool:
    folded = " ".join(name.split()).casefold()
    return any(key.casefold() == folded for key in site_fields)


def nearest_field(name: str, site_fields: Mapping[str, str]) -> str | None:
    """The known field name closest to ``name`` (system fields, then the site's), if any is close."""
    candidates = {known.lower(): known for known in (*site_fields, *KNOWN_FIELD_NAMES)}
    close = difflib.get_close_matches(" ".join(name.lower().split()), candidates, n=1, cutoff=SIMILARITY)
    return candidates[close[0]] if close else None
