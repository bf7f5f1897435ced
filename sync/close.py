"""Closing a cycle: its sets' final results frozen into a close record, on command (``okrsync close``)
or by the scheduler once ``close_after`` has passed since the cycle's end.

The flush then reports the frozen results (``okr.closing.with_closes``); ``again`` freezes them anew
on purpose, the earlier freeze kept in the record's history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from mapping.models import Cycle, OkrConfig
from okr.closing import CloseRecord, due_cycles, freeze, sets_of_cycle
from okr.evaluate import evaluate_report
from okr.keep import graded_by_days, held_share
from okr.timeframe import cycle_bounds
from sync.closed import close_records, store_record
from sync.dirty import mark_all
from sync.flush import live_evaluation_input
from sync.history import readings
from sync.runtime import Runtime
from sync.scheduling import schedule_flush
from sync.scope import load_scopes

SCHEDULER = "scheduler"  # who closed a cycle that closed on time


class CloseError(ValueError):
    """A close that cannot be done, said in one sentence."""


def close_cycle(
    runtime: Runtime, cycle_id: str, by: str, again: bool = False, now: datetime | None = None
) -> CloseRecord:
    """Freeze the final results of ``cycle_id``'s sets; ``again`` replaces an earlier freeze. Every KR
    is then recomputed and written with the frozen results."""
    now = now or datetime.now(UTC)
    config = runtime.config_store.current()
    if config is None:
        raise CloseError("no configuration applied yet: run `okrsync apply okrs.yaml` first")
    ended_cycle(config, cycle_id, now)
    earlier = close_records(runtime.redis).get(cycle_id)
    if earlier is not None and not again:
        raise CloseError(
            f"cycle {cycle_id} was closed at {earlier.closed_at} by {earlier.by}; "
            f"`okrsync close {cycle_id} --again` freezes its results anew"
        )
    given = replace(live_evaluation_input(runtime, config, now), scopes=load_scopes(runtime.redis, config))
    report = evaluate_report(config, given)  # frozen with the scopes the flush recorded
    report = graded_by_days(report, keep_shares(runtime, config, config.cycle(cycle_id)))
    stamp = now.isoformat()
    record = earlier.again(report, config, stamp, by) if earlier else freeze(report, config, cycle_id, stamp, by)
    if not store_record(runtime.redis, record, replace=earlier is not None):
        raise CloseError(f"cycle {cycle_id} was closed meanwhile; `okrsync close {cycle_id} --again` freezes it anew")
    mark_all(runtime.redis, {"kind": "close", "cycle": cycle_id})
    schedule_flush(runtime.redis, runtime.queue_name)
    return record


def ended_cycle(config: OkrConfig, cycle_id: str, now: datetime) -> Cycle:
    """The configured cycle ``cycle_id``, once it has ended; CloseError otherwise."""
    known = [cycle.id for cycle in config.cycles]
    if cycle_id not in known:
        raise CloseError(f"unknown cycle {cycle_id!r}: the configuration has {', '.join(known)}")
    cycle = config.cycle(cycle_id)
    end = cycle_bounds(cycle, config.zone)[1]
    if now < end:
        raise CloseError(f"cycle {cycle_id} has not ended yet: it ends at {end.isoformat()} ({config.timezone})")
    return cycle


def close_due_cycles(runtime: Runtime, now: datetime | None = None) -> list[CloseRecord]:
    """Close every cycle whose ``close_after`` has passed since its end and that is not closed yet."""
    config = runtime.config_store.current()
    if config is None:
        return []
    now = now or datetime.now(UTC)
    closed = []
    for cycle_id in due_cycles(config, close_records(runtime.redis), now):
        try:
            closed.append(close_cycle(runtime, cycle_id, SCHEDULER, now=now))
        except CloseError:  # closed by a command meanwhile
            continue
    return closed


def keep_shares(runtime: Runtime, config: OkrConfig, cycle: Cycle) -> dict[tuple[str, str], float]:
    """Each keep KR of the cycle's sets → the share of its recorded days on which its band held."""
    start, end = cycle_bounds(cycle, config.zone)
    shares = {}
    for okr_set in sets_of_cycle(config, cycle.id):
        for kr in (kr for objective in okr_set.objectives for kr in objective.key_results if kr.keep is not None):
            assert kr.keep is not None
            share = held_share(readings(runtime.redis, (okr_set.id, kr.id)), kr.keep, start, end, config.zone)
            if share is not None:
                shares[(okr_set.id, kr.id)] = share
    return shares
