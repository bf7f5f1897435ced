"""The driven KRs' progress ``lag`` ago, read from their recorded history, for the causal chain's flag
(``okr.chain``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import redis

from mapping.models import OkrConfig, days
from okr.chain import Ref, driven_refs
from okr.history import Reading
from sync.history import history_key


def lagged_progress(connection: redis.Redis, config: OkrConfig, now: datetime) -> dict[tuple[Ref, Ref], float | None]:
    """(leading, driven) → the driven KR's progress in its newest reading at or before now − the
    leading KR's ``lag``; None without one."""
    lags = {
        (okr_set.id, kr.id): days(kr.lag)
        for okr_set in config.okr_sets
        for objective in okr_set.objectives
        for kr in objective.key_results
        if kr.drives
    }
    pairs = [(leading, driven) for leading, drivens in driven_refs(config).items() for driven in drivens]
    if not pairs:
        return {}
    pipe = connection.pipeline(transaction=False)
    for leading, driven in pairs:
        before = (now - timedelta(days=lags[leading])).timestamp()
        pipe.zrevrangebyscore(history_key(driven), before, "-inf", start=0, num=1)
    found: dict[tuple[Ref, Ref], float | None] = {}
    for pair, rows in zip(pairs, pipe.execute(), strict=True):
        found[pair] = _progress(rows)
    return found


def _progress(rows: list[bytes]) -> float | None:
    for raw in rows:
        try:
            return Reading.from_json(raw).progress
        except ValueError:
            return None
    return None
