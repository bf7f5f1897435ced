"""A worker's cold start, measured by ``bench/evaluate.py`` on its mirror in Redis: a fresh process does
what a restarted ``okrsync worker`` does before it applies its first event, split into parts.

The parent (``measure``) leaves Redis as a running service would: the configuration applied with its
custom field names, the latest report stored, then one event applied to the mirror (an issue resolved
or reopened) with the KRs it touches marked dirty, as the drain does. A child process
(``python bench/cold_start.py --child SOCKET INSTANT``) then runs the worker's own functions on a fresh
``Runtime``: reading the configuration (``ConfigStore.current``) and the mirror into memory
(``MirrorFollower.current``: the snapshot the long-lived worker of ``bench/evaluate.py`` wrote after
its first flush, then the change feed after it: that worker's events and this one), then the flush
(``sync.flush.flush``: the touched KRs evaluated by a pass over the issues, their selections not made
yet, the report stored; no Jira is configured, so nothing is written). Checked, untimed: each KR the
first flush touched equals a full evaluation by a pass over the same issues, every other one is the
previous report's. After that, as INFO: what the flush job does next, making the selections the
flush deferred (``MirrorFollower.keep_deferred``); then every KR marked dirty and flushed again (the
first scheduled recomputation) and its selections made. The child prints its figures as one JSON
line: wall and CPU seconds of each part, the imports apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from okr.incremental import affected_key_results, kr_index  # noqa: E402
from okr.report import Report, stored_report  # noqa: E402
from sync.config_store import ConfigStore  # noqa: E402
from sync.confluence_writer import REPORT, REPORT_NUMBER  # noqa: E402
from sync.dirty import DIRTY, mark, mark_all, ref_text  # noqa: E402
from sync.flush import flush  # noqa: E402
from sync.mirror import RedisMirror  # noqa: E402
from sync.redis_text import decoded  # noqa: E402
from sync.runtime import new_runtime  # noqa: E402

IMPORTED = time.perf_counter()


def measure(
    connection: redis.Redis,
    config_document: dict[str, Any],
    fields: dict[str, str],
    report: Report,
    event: tuple[dict[str, Any], dict[str, Any]],
    at: datetime,
) -> dict[str, Any]:
    """Leave Redis as a running service would (see the module doc), then time a fresh worker on it."""
    store = ConfigStore(connection)
    store.apply(json.dumps(config_document), "bench", "bench", at)  # JSON is YAML
    store.set_field_names(fields)
    config = store.current()
    assert config is not None
    pipe = connection.pipeline(transaction=True)
    pipe.set(REPORT, json.dumps(report.to_dict(), default=str))
    pipe.incr(REPORT_NUMBER)
    pipe.execute()
    before, after = event
    RedisMirror(connection).upsert(after, 10**9)
    touched = affected_key_results(kr_index(config), before, after, report_context(config, fields, at))
    mark(connection, [ref_text(ref) for ref in sorted(touched)], {"kind": "event"})
    socket = connection.connection_pool.connection_kwargs["path"]
    return {"cold_start_touched_krs": len(touched), **child_figures(socket, at)}


def report_context(config: Any, fields: dict[str, str], at: datetime) -> Any:
    from jql.query import JqlContext

    return JqlContext(at=at, tz=config.zone, custom_fields=fields)


def child_figures(socket: str, at: datetime) -> dict[str, Any]:
    """Run the child and read its one JSON line."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", socket, at.isoformat()],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cold-start child failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


class Clock:
    """Wall and CPU seconds of the parts, in order."""

    def __init__(self) -> None:
        self.figures: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.figures[f"cold_start_{name}_s"] = round(wall - self._wall, 3)
        self.figures[f"cold_start_{name}_cpu_s"] = round(cpu - self._cpu, 3)
        self._wall, self._cpu = wall, cpu

    def skip(self) -> None:
        """What ran since the last lap is not timed."""
        self._wall, self._cpu = time.perf_counter(), time.process_time()


def child(socket: str, at: datetime) -> dict[str, Any]:
    """What a restarted worker does before it applies its first event (its own functions, in order),
    then what its flush job does after it, and the first scheduled recomputation."""
    from okrsync.local_stack import settings_from_env

    connection = redis.Redis(unix_socket_path=socket)
    runtime = new_runtime(settings_from_env({}), connection)
    previous = stored_report(json.loads(connection.get(REPORT) or b"null"))
    assert previous is not None, "no report stored before the event"
    touched = {decoded(m) for m in connection.smembers(DIRTY)}
    clock = Clock()
    config = runtime.config_store.current()
    assert config is not None, "no configuration applied"
    live = runtime.mirror_in_memory.current(config.zone, runtime.config_store.field_names())
    clock.lap("read_mirror")
    replayed = runtime.mirror_in_memory._replayed
    made = timed_selections(live)
    first = flush(runtime, now=at)
    clock.lap("first_flush")
    check_first_report(runtime, config, at, previous, touched)
    clock.skip()
    return {
        "cold_start_imports_s": round(IMPORTED - STARTED, 3),
        "cold_start_issues": len(live),
        "cold_start_from_snapshot": runtime.mirror_in_memory.from_snapshot == 1,
        "cold_start_replayed_changes": replayed,
        "cold_start_first_flush_dirty": first.dirty,
        "cold_start_first_selections_s": round(made[0], 3),
        **after_first(runtime, connection, at, clock, made),
        **clock.figures,
    }


def after_first(runtime: Any, connection: redis.Redis, at: datetime, clock: Clock, made: list[float]) -> dict[str, Any]:
    """The deferred selections made (the flush job's next step), then every KR flushed (INFO)."""
    before = made[0]
    deferred = runtime.mirror_in_memory.keep_deferred(at)
    clock.lap("deferred_selections")
    after_deferred = made[0]
    mark_all(connection, {"kind": "schedule"})
    every = flush(runtime, now=at + timedelta(seconds=1))
    runtime.mirror_in_memory.keep_deferred(at + timedelta(seconds=1))
    clock.lap("every_kr")
    return {
        "cold_start_deferred_selections": deferred,
        "cold_start_deferred_selections_made_s": round(after_deferred - before, 3),
        "cold_start_every_kr_selections_s": round(made[0] - after_deferred, 3),
        "cold_start_every_kr_dirty": every.dirty,
    }


def check_first_report(runtime: Any, config: Any, at: datetime, previous: Report, touched: set[str]) -> None:
    """The first flush's report (untimed): each KR it touched equals a full evaluation by a pass over
    the same issues, every other KR is carried from the previous report (the check-in flags the flush
    adds aside: no check-ins are recorded here)."""
    from okr.evaluate import evaluate_report, evaluation_input

    assert runtime.last_report is not None, "the first flush stored no report"
    fields = runtime.config_store.field_names()
    documents = list(runtime.mirror_in_memory.current(config.zone, fields).documents())
    full = key_results(evaluate_report(config, evaluation_input(at, config, documents, [], fields)))
    before, first = key_results(previous), key_results(runtime.last_report[2])
    assert first.keys() == full.keys(), "the first flush's report lacks KRs"
    for ref, kr in first.items():
        expected = full[ref] if ref in touched else before[ref]
        assert unflagged(kr) == unflagged(expected), f"the first flush's {ref}: {kr} where {expected} was expected"


def unflagged(kr: Any) -> Any:
    from okr.checkin_flags import CHECKIN_FLAGS

    return replace(kr, flags=tuple(flag for flag in kr.flags if flag not in CHECKIN_FLAGS))


def key_results(report: Report) -> dict[str, Any]:
    return {f"{s.id}/{kr.id}": kr for s in report.okr_sets for o in s.objectives for kr in o.key_results}


def timed_selections(live: Any) -> list[float]:
    """The wall seconds the live mirror spends making kept selections, added up as it goes."""
    spent = [0.0]
    keep = live._make_selections

    def keep_timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        keep(*args, **kwargs)
        spent[0] += time.perf_counter() - started

    live._make_selections = keep_timed
    return spent


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "--child":
        sys.exit("usage: bench/cold_start.py --child REDIS_SOCKET INSTANT (bench/evaluate.py runs it)")
    print(json.dumps(child(sys.argv[2], datetime.fromisoformat(sys.argv[3]))))
