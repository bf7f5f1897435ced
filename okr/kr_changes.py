"""What changed in a KR's definition between two configurations (pure): baseline, target, metric, kind.

    kr_changes(old_config, new_config)   # [KrChange(set, kr, "target", 2.0, 3.0), ...]

Only KRs present in both are compared: a KR that is new has no earlier definition. The kind compared
is the KR's effective kind (``okr.kinds.kr_kind``): a target moved across the baseline turns an
``accumulate`` into a ``cap``, and that is a change of kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapping.models import KeyResult, OkrConfig
from okr.kinds import kr_kind

FIELDS = ("baseline", "target", "metric", "kind")
Value = float | str | None


@dataclass(frozen=True, slots=True)
class KrChange:
    set_id: str
    kr_id: str
    field: str  # one of FIELDS
    old: Value
    new: Value


def kr_changes(old: OkrConfig | None, new: OkrConfig) -> list[KrChange]:
    """Each changed field of each KR both configurations have, in the new configuration's order."""
    if old is None:
        return []
    before = _definitions(old)
    changes = []
    for ref, after in _definitions(new).items():
        earlier = before.get(ref)
        if earlier is None:
            continue
        changes += [KrChange(*ref, f, earlier[f], after[f]) for f in FIELDS if earlier[f] != after[f]]
    return changes


def _definitions(config: OkrConfig) -> dict[tuple[str, str], dict[str, Value]]:
    return {
        (okr_set.id, kr.id): _definition(config, kr)
        for okr_set in config.okr_sets
        for objective in okr_set.objectives
        for kr in objective.key_results
    }


def _definition(config: OkrConfig, kr: KeyResult) -> dict[str, Value]:
    metric = config.metrics.get(kr.metric or "")
    return {"baseline": kr.baseline, "target": kr.target, "metric": kr.metric, "kind": kr_kind(kr, metric)}
