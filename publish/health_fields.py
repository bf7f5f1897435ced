"""The searchable health and status fields (``writeback.health_field``, ``writeback.status_field``), as
plain writes (pure).

Every contributor epic and every KR's ``jira_issue`` gets the health of the KRs it serves in a select
list (``{"value": "Off track"}``) or a labels field (one ``okr-…`` label, Jira's ``update`` form, so the
labels people put there stay), and their status lines in a text field, one line per KR. An issue
serving several KRs shows the worst of their healths. Boards and filters can then ask
``"OKR health" = "Off track"`` or ``labels = okr-off-track``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mapping.field_kinds import HEALTH_OPTIONS, FieldKind
from mapping.models import OkrConfig
from publish.jira import HEALTH_WORDS, KrRef, Write, status_line

# labels hold no spaces: "okr-off-track"
HEALTH_LABELS = {health: "okr-" + words.replace(" ", "-") for health, words in HEALTH_WORDS.items()}
# from worst to best: an issue serving several KRs shows the first of their healths in this order
WORST_FIRST = ("missed", "off_track", "at_risk", "not_measured", "on_track", "done")
HEALTH_KINDS = frozenset(("select", "labels"))


def written_issues(config: OkrConfig, epics: Mapping[KrRef, list[str]]) -> dict[str, list[KrRef]]:
    """Each contributor epic and KR ``jira_issue`` (upper-cased key) → the KRs it serves, sorted."""
    served: dict[str, set[KrRef]] = {}
    for ref, keys in epics.items():
        for key in keys:
            served.setdefault(key.upper(), set()).add(ref)
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                if kr.jira_issue:
                    served.setdefault(kr.jira_issue.upper(), set()).add((okr_set.id, kr.id))
    return {issue: sorted(refs) for issue, refs in sorted(served.items())}


def worst_health(healths: list[str]) -> str:
    """The worst of the healths (an unknown word counts as not measured)."""
    return min(healths, key=lambda h: WORST_FIRST.index(h if h in WORST_FIRST else "not_measured"))


def health_field_writes(
    config: OkrConfig,
    statuses: Mapping[KrRef, dict[str, Any]],
    epics: Mapping[KrRef, list[str]],
    refs: set[KrRef] | None,
    field_ids: Mapping[str, str],
    field_kinds: Mapping[str, FieldKind],
) -> list[Write]:
    """The health and status field writes of every issue the service writes to (those ``refs`` feed,
    when given). A field Jira does not know, or of a kind that cannot hold the value, is left out
    (``okrsync validate --online`` says why)."""
    writeback = config.writeback
    health_id = field_ids.get((writeback.health_field or "").strip().lower())
    status_id = field_ids.get((writeback.status_field or "").strip().lower())
    health_kind = field_kinds.get(health_id or "")
    writes = []
    for issue, served in written_issues(config, epics).items():
        known = [statuses[r] for r in served if r in statuses]
        if not known or (refs is not None and not refs.intersection(served)):
            continue
        if health_id and health_kind in HEALTH_KINDS:
            writes.append(health_write(issue, health_id, health_kind, worst_health([s["health"] for s in known])))
        if status_id and field_kinds.get(status_id) == "text":
            text = "\n".join(status_line(s) for s in known)
            writes.append(Write(f"status-field:{issue}", "fields", issue, {status_id: text}, [status_id, text]))
    return writes


def health_write(issue: str, field_id: str, kind: FieldKind | None, health: str) -> Write:
    """A select list gets the option; a labels field gets the health's label added and the other
    health labels removed, people's labels untouched."""
    content = [field_id, kind, health]
    if kind == "select":
        return Write(f"health-field:{issue}", "fields", issue, {field_id: {"value": HEALTH_OPTIONS[health]}}, content)
    label = HEALTH_LABELS[health]
    operations = [{"add": label}] + [{"remove": other} for other in HEALTH_LABELS.values() if other != label]
    return Write(f"health-field:{issue}", "update", issue, {field_id: operations}, content)
