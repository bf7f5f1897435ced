"""Each KR's readings, recorded in Redis as they happen: trends read the past as it was.

One sorted set per KR (``okrsync:history:<set>/<kr>``), compact JSON readings scored by their time.
The flush records a KR's reading when it says something new; a flush over every KR (the scheduled
recomputation) also records the first reading of each local day, so a KR that does not move still
has one reading a day. Each set is trimmed when written: readings older than two cycle lengths of
the KR's cycle go, and at most ``READINGS_KEPT`` are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import redis

from mapping.models import OkrConfig
from okr.history import Reading, reading_of, worth_recording
from okr.report import KrEntry, Report
from sync import keys

log = logging.getLogger(__name__)

HISTORY = keys.KR_HISTORY_PREFIX
READINGS_KEPT = 2000  # per KR, the newest
CYCLES_KEPT = 2  # readings are kept for this many lengths of the KR's cycle
TIE_STEP = 0.001  # a reading taken at the instant of the one before it sorts after it by this much
RefSet = set[tuple[str, str]]


def history_key(ref: tuple[str, str]) -> str:
    return f"{HISTORY}{ref[0]}/{ref[1]}"


def record_readings(
    connection: redis.Redis,
    config: OkrConfig,
    report: Report,
    trigger: Mapping[str, str],
    refs: RefSet | None = None,
) -> int:
    """Record the readings of the KRs among ``refs`` (every KR when None) that say something new, and
    with ``refs`` None the first of each local day; returns how many were recorded."""
    entries = [e for e in report.key_results() if refs is None or e.ref in refs]
    if not entries:
        return 0
    reads = connection.pipeline(transaction=False)
    for entry in entries:
        reads.zrange(history_key(entry.ref), -1, -1, withscores=True)
    writes = connection.pipeline(transaction=False)
    recorded = 0
    for entry, last in zip(entries, reads.execute(), strict=True):
        reading = reading_of(entry.kr, report.at, trigger)
        if worth_recording(reading, _stored(raw for raw, _ in last), refs is None, config.zone):
            score = max([reading.instant.timestamp(), *(s + TIE_STEP for _, s in last)])
            _add(writes, entry.ref, reading, score, _kept_for(config, entry))
            recorded += 1
    if recorded:
        writes.execute()
    return recorded


def _add(
    pipe: redis.client.Pipeline, ref: tuple[str, str], reading: Reading, score: float, kept_for: timedelta
) -> None:
    key = history_key(ref)
    pipe.zadd(key, {reading.to_json(): score})
    pipe.zremrangebyscore(key, "-inf", f"({score - kept_for.total_seconds()}")
    pipe.zremrangebyrank(key, 0, -READINGS_KEPT - 1)


def _kept_for(config: OkrConfig, entry: KrEntry) -> timedelta:
    okr_set = next((s for s in config.okr_sets if s.id == entry.okr_set.id), None)
    if okr_set is None:  # a report of another configuration: the longest cycle's length
        length = max((c.end - c.start for c in config.cycles), default=timedelta(0))
    else:
        cycle = config.cycle(okr_set.cycle)
        length = cycle.end - cycle.start
    return CYCLES_KEPT * (length + timedelta(days=1))


def _stored(rows: Iterable[Any]) -> Reading | None:
    """The first stored reading among ``rows``; a row that is not one (an older version's) is skipped."""
    for raw in rows:
        try:
            return Reading.from_json(raw)
        except ValueError:
            log.warning("a stored reading is skipped: %s", raw[:120])
    return None


def _all_stored(rows: Iterable[Any]) -> list[Reading]:
    return [r for r in (_stored([raw]) for raw in rows) if r is not None]


def readings(connection: redis.Redis, ref: tuple[str, str], newest: int | None = None) -> list[Reading]:
    """A KR's recorded readings, oldest first: all of them, or the ``newest`` few."""
    return _all_stored(connection.zrange(history_key(ref), -newest if newest else 0, -1))


def readings_of_many(
    connection: redis.Redis, refs: list[tuple[str, str]], newest: int
) -> dict[tuple[str, str], list[Reading]]:
    """The ``newest`` readings of each KR, oldest first, in one round trip."""
    pipe = connection.pipeline(transaction=False)
    for ref in refs:
        pipe.zrange(history_key(ref), -newest, -1)
    return {ref: _all_stored(rows) for ref, rows in zip(refs, pipe.execute(), strict=True)}


def readings_at(
    connection: redis.Redis, refs: list[tuple[str, str]], instant: datetime
) -> dict[tuple[str, str], Reading | None]:
    """Each KR's latest reading taken at or before ``instant`` (None when it has none), in one round trip."""
    pipe = connection.pipeline(transaction=False)
    for ref in refs:
        pipe.zrevrangebyscore(history_key(ref), instant.timestamp(), "-inf", start=0, num=1)
    return {ref: _stored(rows) for ref, rows in zip(refs, pipe.execute(), strict=True)}
