"""Problem reviews: each program's review, every ``review_every``, as a dated record and a dated child
page of the program's page ("Platform problem review — 2026-12-03"), written once per review day.

The scheduler finds the reviews owed (``owed_problem_reviews``: Redis reads only) and has a worker run
them (``run_problem_reviews``: the worker's copy of the mirror); ``okrsync cadence problems`` runs them
now. A review is due once ``review_every`` has passed since the latest one's day (the first one at
once); the claim on (program, day) makes it one page whoever runs it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from functools import partial

from connector.confluence import Page
from connector.errors import NotFound
from mapping.models import OkrConfig, ProblemProgram, days
from okr.metrics import EvaluationInput, FilterCache, program_result
from publish.confluence.dated_review import DatedReview, dated_review_page, dated_review_title, review_record
from sync import keys
from sync.cadence import CadenceError, Outcome, RitualRun, create_once, once, page_written
from sync.cadence_writes import record_failed, record_written
from sync.confluence_writer import STATE, people_of
from sync.flush import live_evaluation_input
from sync.people import refresh_people
from sync.redis_text import decoded
from sync.review_records import has_review, latest_review, store_review
from sync.runtime import Runtime

log = logging.getLogger(__name__)

CLAIM = keys.CADENCE_CLAIM_PREFIX  # + "program/problems/YYYY-MM-DD"


def _claim(program: ProblemProgram, day: date) -> str:
    return f"{CLAIM}{program.id}/problems/{day:%Y-%m-%d}"


def review_due(runtime: Runtime, program: ProblemProgram, day: date) -> bool:
    """Due when ``review_every`` has passed since the latest review's day, or there has been none."""
    latest = latest_review(runtime.redis, program.id)
    if latest is None or "day" not in latest:
        return True
    return day >= date.fromisoformat(str(latest["day"])) + timedelta(days=days(program.review_every))


def _programs(runtime: Runtime, program_id: str | None = None) -> tuple[OkrConfig, list[ProblemProgram]]:
    if runtime.confluence is None:
        raise CadenceError("no Confluence is configured: set OKRSYNC_CONFLUENCE_URL (the reviews write pages)")
    config = runtime.config_store.current()
    if config is None:
        raise CadenceError("no configuration is applied: run `okrsync apply okrs.yaml` first")
    chosen = [p for p in config.problem_programs if program_id is None or p.id == program_id]
    if program_id is not None and not chosen:
        known = ", ".join(p.id for p in config.problem_programs) or "none"
        raise CadenceError(
            f"there is no problem program {program_id!r} in the configuration in force (programs: {known})"
        )
    with_page = [p for p in chosen if p.confluence is not None]
    if program_id is not None and not with_page:
        raise CadenceError(
            f"problem program {program_id!r} has no 'confluence' page: give it confluence: {{space, title}}"
        )
    return config, with_page


def owed_problem_reviews(runtime: Runtime, now: datetime | None = None) -> list[tuple[str, str]]:
    """(program, day) of each review due and not claimed: no Confluence call (the scheduler's)."""
    try:
        config, programs = _programs(runtime)
    except CadenceError:
        return []
    day = (now or datetime.now(UTC)).astimezone(config.zone).date()
    return [
        (p.id, f"{day:%Y-%m-%d}")
        for p in programs
        if page_written(runtime, f"program:{p.id}")
        and review_due(runtime, p, day)
        and not runtime.redis.exists(_claim(p, day))
    ]


def run_problem_reviews(
    runtime: Runtime, program_id: str | None = None, now: datetime | None = None, force: bool = False
) -> list[RitualRun]:
    """Each program's review that is due (``force``: whatever ``review_every`` says), once per day."""
    config, programs = _programs(runtime, program_id)
    at = now or datetime.now(UTC)
    day = at.astimezone(config.zone).date()
    due = [p for p in programs if force or review_due(runtime, p, day)]
    if not due:
        return []
    given = live_evaluation_input(runtime, config, at)
    runs = []
    for program in due:
        write = partial(_write, runtime, config, program, given, day)
        outcome, detail = once(runtime, _claim(program, day), write)
        if outcome == "failed":
            log.warning("problem review of %s on %s not written: %s", program.id, day, detail)
            title = dated_review_title(program.confluence.title if program.confluence else program.name, day)
            record_failed(runtime.redis, program.id, "problems", title, detail, at)
        runs.append(RitualRun(program.id, "problems", f"{day:%Y-%m-%d}", outcome, detail or f"{day:%Y-%m-%d}"))
    return runs


def _write(
    runtime: Runtime, config: OkrConfig, program: ProblemProgram, given: EvaluationInput, day: date
) -> tuple[Outcome, str]:
    where = program.confluence
    assert where is not None
    parent = program_page(runtime, program)
    result = program_result(program, given, FilterCache())
    previous = latest_review(runtime.redis, program.id, before=day)  # not this day's own, when run again
    since = datetime.fromisoformat(str(previous["at"])) if previous and "at" in previous else None
    names = refresh_people(runtime, [*([program.owner] if program.owner else []), *people_of(program, result)])
    review = DatedReview(program, result, day, where.title, config.zone, since, runtime.settings.jira_url, names)
    rendered = dated_review_page(review)
    page = create_once(runtime, where, rendered, parent)
    if page is not None:
        record_written(runtime.redis, program.id, "problems", rendered.title, page.url, review.result.at)
    if page is not None or not has_review(runtime.redis, program.id, day):  # the page there, its record lost
        store_review(runtime.redis, program.id, review_record(review))
    return ("exists" if page is None else "created"), rendered.title


def program_page(runtime: Runtime, program: ProblemProgram) -> Page:
    """The program's own page: the dated reviews' parent."""
    confluence, where = runtime.confluence, program.confluence
    assert confluence is not None and where is not None
    page_id = runtime.redis.hget(STATE + f"program:{program.id}", "page_id")
    if page_id is not None:
        try:
            return confluence.get_page(decoded(page_id))
        except NotFound:
            pass
    found = confluence.find_page(where.space, where.title)
    if found is None:
        raise NotFound(
            f"the program's page “{where.title}” is not in space {where.space} yet; the first flush after "
            "`okrsync apply` writes it, and the reviews are written under it once it is there"
        )
    return found
