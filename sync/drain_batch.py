"""One batch of the event stream applied, with as few round trips to Redis as the order allows.

Each entry is parsed once. A run of consecutive issue states (``jira:issue_created`` and
``jira:issue_updated``, nearly every event of a burst) is stored in one pipelined call that also
answers each issue's state before its own upsert; the KRs they move are then found in memory and
marked with the batch's acknowledgement (``DirtyTracker.batch``). Any other event is applied on its
own through the router, in its place in the order. An entry that cannot be parsed or applied is
kept as a dead letter; the others go on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Any

import redis

from okr.live import collector_paused
from sync.handlers import STATE_EVENTS, SyncContext, issue_state, issue_state_stored, kept_newer_state, router
from sync.queue import Entry, EventStream, entry_time_ms
from webhooks.events import IssueEvent, IssueLinkEvent, JiraEvent, parse_event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parsed:
    entry: Entry
    event: JiraEvent
    context: SyncContext  # the drain's context, with the time this delivery was received


@dataclass
class BatchOutcome:
    done: list[str]  # the ids of the entries applied
    origins: Counter[str]  # who the applied events came from (event_origin)


def apply_batch(stream: EventStream, batch: list[Entry], context: SyncContext) -> BatchOutcome:
    """Apply the batch in order: runs of issue states stored together, other events one by one. The
    cyclic collector waits meanwhile: what a batch makes is freed by reference counting as it ends,
    and its passes over the parsed events and documents (a quarter of the CPU per event) find nothing."""
    with collector_paused():
        return _apply_batch(stream, batch, context)


def _apply_batch(stream: EventStream, batch: list[Entry], context: SyncContext) -> BatchOutcome:
    outcome = BatchOutcome([], Counter())
    if context.dirty is not None and any(entry.redelivered for entry in batch):
        # taken back from a worker that stopped mid-batch: its states may be stored and their marks not
        context.dirty.everything_changed({"kind": "redelivered", "entries": str(len(batch))})
    parsed = list(_parse_each(stream, batch, context))
    for stateful, run in groupby(parsed, key=lambda item: item.event.kind in STATE_EVENTS):
        for item in _store_states(stream, list(run)) if stateful else _apply_each(stream, run):
            outcome.done.append(item.entry.entry_id)
            outcome.origins[event_origin(item.event, context.own_account)] += 1
    return outcome


def _parse_each(stream: EventStream, batch: list[Entry], context: SyncContext) -> Iterator[Parsed]:
    for entry in batch:
        try:
            event = parse_event(entry.body)
        except Exception as exc:  # what the edge let through and no longer parses (an older version's)
            _dead(stream, entry, exc)
            continue
        yield Parsed(entry, event, replace(context, received_ms=entry_time_ms(entry.entry_id)))


def _apply_each(stream: EventStream, run: Iterator[Parsed]) -> Iterator[Parsed]:
    for item in run:
        try:
            router.dispatch(item.event, item.context)
        except redis.RedisError:
            raise  # leave the batch pending; the next drain takes it back
        except Exception as exc:  # one bad event must not block the rest
            _dead(stream, item.entry, exc)
            continue
        yield item


@dataclass(frozen=True)
class _State:
    item: Parsed
    event: IssueEvent
    document: dict[str, Any]
    version: int


def _store_states(stream: EventStream, run: list[Parsed]) -> Iterator[Parsed]:
    """Every state of the run stored in one round trip, then each one's KRs found and marked."""
    states = [state for state in (_state(stream, item) for item in run) if state is not None]
    stored = run[0].context.mirror.upsert_events([(state.document, state.version) for state in states])
    for state, (was_stored, before) in zip(states, stored, strict=True):
        if _noted(stream, state, was_stored, before):
            yield state.item


def _state(stream: EventStream, item: Parsed) -> _State | None:
    """The mirror document and version an issue event carries (None: kept as a dead letter)."""
    event = item.event
    try:
        assert isinstance(event, IssueEvent), f"{event.kind} parsed to {type(event).__name__}"
        return _State(item, event, *issue_state(event, item.context))
    except Exception as exc:  # one bad event must not block the rest
        _dead(stream, item.entry, exc)
        return None


def _noted(stream: EventStream, state: _State, was_stored: bool, before: dict[str, Any] | None) -> bool:
    """What follows one upsert: the KRs its state moves marked; False when it became a dead letter."""
    try:
        if was_stored:
            issue_state_stored(state.event, state.document, before, state.item.context)
        else:
            kept_newer_state(state.event)
    except redis.RedisError:
        raise  # leave the batch pending; the next drain takes it back
    except Exception as exc:  # one bad event must not block the rest
        _dead(stream, state.item.entry, exc)
        return False
    return True


def _dead(stream: EventStream, entry: Entry, exc: Exception) -> None:
    log.exception("could not apply delivery %s; kept as a dead letter", entry.delivery)
    stream.dead_letter(entry, f"{type(exc).__name__}: {exc}")


def event_origin(event: JiraEvent, own_account: str | None) -> str:
    """Who an applied event comes from, as counted: the service's own account (its write-backs and
    action points), an issue link (Jira names no user on those), or anyone else."""
    if isinstance(event, IssueLinkEvent):
        return "applied_links"
    if own_account is not None and event.user is not None and event.user.identity == own_account:
        return "applied_own"
    return "applied_others"
