"""Recorded contributor scopes: kept per (set, KR, cycle) in Redis, brought up to date by the flush,
set again on purpose by a rescope. The rule that reads them is pure (``okr.scope``)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

import redis

from mapping.models import KeyResult, OkrConfig, OkrSet
from okr.evaluate import contributor_states, epic_done_lookup, evaluation_input
from okr.metrics import EvaluationInput, FilterCache
from okr.scope import RecordedScope, Rescope, first_scope, kr_scope
from okr.timeframe import cycle_bounds
from sync import keys
from sync.dirty import mark
from sync.redis_text import decoded
from sync.runtime import Runtime
from sync.scheduling import schedule_flush

SCOPES = keys.SCOPES
KrRef = tuple[str, str]


class RescopeError(ValueError):
    """A rescope that cannot be done, in one sentence; ``status`` is the HTTP answer it deserves."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def scope_field(set_id: str, kr_id: str, cycle_id: str) -> str:
    """The field of one recorded scope: ``set/kr@cycle``."""
    return f"{set_id}/{kr_id}@{cycle_id}"


def load_scopes(connection: redis.Redis, config: OkrConfig) -> dict[KrRef, RecordedScope]:
    """The recorded scope of each KR in its set's cycle (a stored one that cannot be read counts as none)."""
    stored = {decoded(k): decoded(v) for k, v in connection.hgetall(SCOPES).items()}
    scopes = {}
    for okr_set, kr in _krs_with_contributors(config):
        raw = stored.get(scope_field(okr_set.id, kr.id, okr_set.cycle))
        if raw is None:
            continue
        try:
            scopes[(okr_set.id, kr.id)] = RecordedScope.from_dict(json.loads(raw))
        except ValueError:
            continue
    return scopes


def record_scopes(
    runtime: Runtime, config: OkrConfig, given: EvaluationInput, refs: set[KrRef] | None, now: datetime
) -> EvaluationInput:
    """``given`` with the recorded scopes: each KR evaluated inside its cycle (those of ``refs``, all
    when None) gets its scope recorded the first time, and its departed epics noted; only what changed
    is written."""
    scopes = load_scopes(runtime.redis, config)
    changed: dict[Any, str] = {}
    filters = FilterCache()
    for okr_set, kr in _krs_with_contributors(config):
        ref = (okr_set.id, kr.id)
        cycle = config.cycle(okr_set.cycle)
        start, end = cycle_bounds(cycle, config.zone)
        if (refs is not None and ref not in refs) or not start <= now < end:
            continue
        current = contributor_states(kr.contributors, given, filters)
        local = now.astimezone(config.zone)
        scoped = kr_scope(scopes.get(ref), current, local, cycle.start, epic_done_lookup(given))
        if scoped is not None and scoped[0] != scopes.get(ref):
            scopes[ref] = scoped[0]
            changed[scope_field(okr_set.id, kr.id, okr_set.cycle)] = json.dumps(scoped[0].to_dict())
    if changed:
        runtime.redis.hset(SCOPES, mapping=changed)
    return replace(given, scopes=scopes)


def rescope(runtime: Runtime, set_id: str, kr_id: str, reason: str, author: str, now: datetime) -> RecordedScope:
    """Record the KR's current contributors as its scope on purpose, and have it recomputed.
    RescopeError when there is no such KR, it has no contributor set, or no reason is given."""
    config = runtime.config_store.current()
    if config is None:
        raise RescopeError("no configuration applied yet: run `okrsync apply okrs.yaml`", 409)
    okr_set, kr = _find(config, set_id, kr_id)
    if not reason.strip():
        raise RescopeError("a rescope needs a reason (--reason TEXT)")
    given = evaluation_input(now, config, list(runtime.mirror.documents()), custom_fields=_fields(runtime))
    current = contributor_states(kr.contributors, given, FilterCache())
    if current is None:
        raise RescopeError(f"key result {kr_id} of {set_id} has no contributing epics to rescope", 409)
    local = now.astimezone(config.zone)
    on_purpose = Rescope(reason=reason.strip(), author=author, at=local.isoformat())
    scope = first_scope(current, local, config.cycle(okr_set.cycle).start, rescoped=on_purpose)
    runtime.redis.hset(SCOPES, scope_field(set_id, kr_id, okr_set.cycle), json.dumps(scope.to_dict()))
    mark(runtime.redis, [f"{set_id}/{kr_id}"], {"kind": "rescope", "kr": f"{set_id}/{kr_id}", "author": author})
    schedule_flush(runtime.redis, runtime.queue_name)
    return scope


def _fields(runtime: Runtime) -> dict[str, str]:
    return dict(runtime.config_store.field_names() or {})


def _find(config: OkrConfig, set_id: str, kr_id: str) -> tuple[OkrSet, KeyResult]:
    okr_set = next((s for s in config.okr_sets if s.id == set_id), None)
    if okr_set is None:
        raise RescopeError(f"no OKR set {set_id!r} in the configuration in force", 404)
    kr = next((k for o in okr_set.objectives for k in o.key_results if k.id == kr_id), None)
    if kr is None:
        raise RescopeError(f"no key result {kr_id!r} in OKR set {set_id!r}", 404)
    return okr_set, kr


def _krs_with_contributors(config: OkrConfig) -> list[tuple[OkrSet, KeyResult]]:
    return [
        (okr_set, kr)
        for okr_set in config.okr_sets
        for objective in okr_set.objectives
        for kr in objective.key_results
        if kr.contributors is not None
    ]
