"""The rituals of the OKR cadence: each set's weekly digest and monthly review, written as child
pages of the set's Confluence page, once per period.

Once means once: a run claims (set, ritual, period) in Redis with ``SET NX`` before it writes, so a
second scheduler, a restart or ``okrsync cadence`` run twice never makes a second page for the same
week or month; a run that fails gives its claim back (a run that dies loses it after
``CLAIM_SECONDS``), and a page already there under the period's title is never written again. The
pages are frozen: the flush's page writer only writes the set and program pages, never these.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Literal

from connector.confluence import Page
from connector.errors import BadRequest, ConnectorError, NotFound
from mapping.models import ConfluenceTarget, OkrConfig, OkrSet
from okr.cadence import RITUALS, Ritual, due_text, is_due, local_date, period, set_zone
from okr.report import Report
from publish.confluence.cadence_pages import (
    DigestInput,
    KrWeek,
    OverdueAp,
    PreviousReview,
    ReviewInput,
    digest_comment,
    digest_page,
    digest_title,
    review_figures,
    review_page,
    review_title,
)
from publish.confluence.formatting import browse_url
from publish.confluence.okr_page import RenderedPage, kr_label
from publish.people import people_of_set
from sync import keys
from sync.cadence_writes import record_failed, record_written
from sync.confluence_writer import STATE, latest_report
from sync.history import readings_at
from sync.people import refresh_people
from sync.redis_text import decoded
from sync.runtime import Runtime

log = logging.getLogger(__name__)

CLAIM = keys.CADENCE_CLAIM_PREFIX  # + "set/ritual/period": a run's token while it writes, then "done"
REVIEWS = keys.CADENCE_REVIEWS  # "set@YYYY-MM" → the review's figures, for the next one
CLAIM_SECONDS = 900  # a run that died mid-way: its period may be tried again after this
DONE_SECONDS = 400 * 24 * 3600  # a written period is remembered for more than a year
WEEK = timedelta(days=7)

Outcome = Literal["created", "refreshed", "unchanged", "exists", "already", "not_due", "failed"]
RITUAL_WORDS = {
    "weekly": "weekly digest",
    "monthly": "monthly review",
    "close": "close page of cycle",
    "problems": "problem review",
}


class CadenceError(Exception):
    """A ritual cannot run at all (no configuration, no evaluation yet, no Confluence, an unknown set)."""


class NotEvaluatedYet(Exception):
    """The latest evaluation has no result for the set (it was added since): a later run writes it."""


@dataclass(frozen=True)
class RitualRun:
    set_id: str  # the set's id (the program's, for a problem review)
    ritual: str  # "weekly", "monthly", "close" or "problems"
    period: str  # "2026-W49" | "2026-12" | the cycle id
    outcome: Outcome
    detail: str  # the page's title, or why nothing was written

    def sentence(self) -> str:
        what = f"{self.set_id}: {RITUAL_WORDS[self.ritual]} {self.period}"
        return {
            "created": f"{what} written: “{self.detail}”",
            "refreshed": f"{what} refreshed (the service's panels; people's words kept): “{self.detail}”",
            "unchanged": f"{what} already says this: “{self.detail}”",
            "exists": f"{what} already in Confluence (“{self.detail}”); left as it is",
            "already": f"{what} already written once; not written again",
            "not_due": f"{what} not due yet ({self.detail})",
            "failed": f"{what} not written: {self.detail}",
        }[self.outcome]


# ---------------------------------------------------------------------------------- entry points


def run_rituals(
    runtime: Runtime, ritual: Ritual, set_id: str | None = None, now: datetime | None = None, force: bool = True
) -> list[RitualRun]:
    """Run ``ritual`` for one set or every set with a page (``force``: whatever its cadence day says);
    each period is still written once. CadenceError when it cannot run at all."""
    config, report = _inputs(runtime)
    chosen = [s for s in config.okr_sets if set_id is None or s.id == set_id]
    if set_id is not None and not chosen:
        known = ", ".join(s.id for s in config.okr_sets) or "none"
        raise CadenceError(f"there is no OKR set {set_id!r} in the configuration in force (sets: {known})")
    with_page = [s for s in chosen if s.confluence is not None]
    if not with_page:
        raise CadenceError(
            f"{'OKR set ' + repr(set_id) if set_id else 'no OKR set'} has no 'confluence' page: "
            "the rituals write child pages of a set's page; give the set confluence: {space, title}"
        )
    at = now or datetime.now(UTC)
    return [run_ritual(runtime, config, report, s, ritual, at, force) for s in with_page]


def run_due_rituals(runtime: Runtime, now: datetime | None = None) -> list[RitualRun]:
    """The scheduler's round: every ritual whose cadence day has come and whose period is not written
    yet. Quiet (no runs) without Confluence, a configuration or an evaluation."""
    try:
        config, report = _inputs(runtime)
    except CadenceError:
        return []
    at = now or datetime.now(UTC)
    runs = []
    for okr_set in (s for s in config.okr_sets if s.confluence is not None):
        for ritual in RITUALS:
            run = run_ritual(runtime, config, report, okr_set, ritual, at, force=False)
            if run.outcome not in ("not_due", "already"):
                runs.append(run)
    return runs


def owed_rituals(runtime: Runtime, now: datetime | None = None) -> list[tuple[str, Ritual, str]]:
    """(set, ritual, period) of each ritual due and not claimed yet: a few Redis reads, no Confluence
    call (the scheduler asks this, and has a worker run them)."""
    config = runtime.config_store.current() if runtime.confluence is not None else None
    if config is None:
        return []
    at = now or datetime.now(UTC)
    owed: list[tuple[str, Ritual, str]] = []
    for okr_set in (s for s in config.okr_sets if s.confluence is not None and page_written(runtime, f"set:{s.id}")):
        day = local_date(at, set_zone(config, okr_set))
        owed += [
            (okr_set.id, ritual, period(ritual, day))
            for ritual in RITUALS
            if is_due(ritual, okr_set.cadence, day) and not runtime.redis.exists(_claim(okr_set.id, ritual, day))
        ]
    return owed


def page_written(runtime: Runtime, page_key: str) -> bool:
    """Has the page writer written this set's or program's page ("set:shop")? Until then nothing is
    owed under it (the first flush writes it)."""
    return bool(runtime.redis.hexists(STATE + page_key, "page_id"))


def _claim(set_id: str, ritual: Ritual, day: date) -> str:
    return f"{CLAIM}{set_id}/{ritual}/{period(ritual, day)}"


def _inputs(runtime: Runtime) -> tuple[OkrConfig, Report]:
    if runtime.confluence is None:
        raise CadenceError("no Confluence is configured: set OKRSYNC_CONFLUENCE_URL (the rituals write pages)")
    config = runtime.config_store.current()
    if config is None:
        raise CadenceError("no configuration is applied: run `okrsync apply okrs.yaml` first")
    report = latest_report(runtime.redis)
    if report is None:
        raise CadenceError("nothing is evaluated yet: start `okrsync worker` and `okrsync scheduler` and try again")
    return config, report


# ---------------------------------------------------------------------------------- one run, once


def run_ritual(
    runtime: Runtime, config: OkrConfig, report: Report, okr_set: OkrSet, ritual: Ritual, now: datetime, force: bool
) -> RitualRun:
    day = local_date(now, set_zone(config, okr_set))
    key = period(ritual, day)
    if not force and not is_due(ritual, okr_set.cadence, day):
        return RitualRun(okr_set.id, ritual, key, "not_due", f"due {due_text(ritual, okr_set.cadence)}")
    outcome, detail = once(
        runtime, _claim(okr_set.id, ritual, day), partial(_write, runtime, config, report, okr_set, ritual, key, now)
    )
    if outcome == "failed":
        log.warning("cadence: %s %s of %s not written: %s", ritual, key, okr_set.id, detail)
        record_failed(runtime.redis, okr_set.id, ritual, ritual_title(okr_set, ritual, key), detail, now)
    return RitualRun(okr_set.id, ritual, key, outcome, detail or key)


def ritual_title(okr_set: OkrSet, ritual: Ritual, key: str) -> str:
    """The title of the set's ``ritual`` page for period ``key``."""
    page_title = okr_set.confluence.title if okr_set.confluence else okr_set.name
    return digest_title(page_title, key) if ritual == "weekly" else review_title(page_title, key)


def once(runtime: Runtime, claim: str, write: Callable[[], tuple[Outcome, str]]) -> tuple[Outcome, str]:
    """``write()`` under ``claim``, unless someone holds or has done it ("already"): done, the claim
    stays for ``DONE_SECONDS``; failed, it is given back for a later run to try again."""
    token = uuid.uuid4().hex
    if not runtime.redis.set(claim, token, nx=True, ex=CLAIM_SECONDS):
        return "already", ""
    done = False
    try:
        written = write()
        done = True
        return written
    except (ConnectorError, NotEvaluatedYet) as exc:
        return "failed", str(exc)
    finally:
        if done:
            runtime.redis.set(claim, "done", ex=DONE_SECONDS)
        elif _text(runtime.redis.get(claim)) == token:
            runtime.redis.delete(claim)  # given back: a later run tries the period again


def _text(raw: bytes | str | None) -> str | None:
    return None if raw is None else decoded(raw)


def _write(
    runtime: Runtime, config: OkrConfig, report: Report, okr_set: OkrSet, ritual: Ritual, key: str, now: datetime
) -> tuple[Outcome, str]:
    parent = set_page(runtime, okr_set)
    if ritual == "weekly":
        week = digest_input(runtime, config, report, okr_set, key, now)
        rendered = digest_page(week)
        page = create_once(runtime, _where(okr_set), rendered, parent)
        if page is not None:
            _comment_digest(runtime, okr_set, week)
    else:
        month = review_input(runtime, config, report, okr_set, key, now)
        rendered = review_page(month)
        page = create_once(runtime, _where(okr_set), rendered, parent)
        if page is not None:
            _remember_review(runtime, okr_set, month, page)
    if page is not None:
        record_written(runtime.redis, okr_set.id, ritual, rendered.title, page.url, now)
    return ("exists" if page is None else "created"), rendered.title


def _where(okr_set: OkrSet) -> ConfluenceTarget:
    assert okr_set.confluence is not None
    return okr_set.confluence


def set_page(runtime: Runtime, okr_set: OkrSet) -> Page:
    """The set's own page (by the id the page writer remembered, else by title): the rituals' parent."""
    confluence, where = runtime.confluence, okr_set.confluence
    assert confluence is not None and where is not None
    page_id = _text(runtime.redis.hget(STATE + f"set:{okr_set.id}", "page_id"))
    if page_id:
        try:
            return confluence.get_page(page_id)
        except NotFound:
            pass
    found = confluence.find_page(where.space, where.title)
    if found is None:
        raise NotFound(
            f"the set's page “{where.title}” is not in space {where.space} yet; the first flush after "
            "`okrsync apply` writes it, and the rituals run under it once it is there"
        )
    return found


def create_once(runtime: Runtime, where: ConfluenceTarget, rendered: RenderedPage, parent: Page) -> Page | None:
    """Create the period's page under ``parent`` in ``where``'s space; None when a page with its title
    is already there."""
    confluence = runtime.confluence
    assert confluence is not None
    if confluence.find_page(where.space, rendered.title) is not None:
        return None
    try:
        return confluence.create_page(where.space, rendered.title, rendered.new_page_body(), parent.id)
    except BadRequest:  # the title was taken since we looked: that page is the period's
        if confluence.find_page(where.space, rendered.title) is not None:
            return None
        raise


# ---------------------------------------------------------------------------------- what the pages say


def digest_input(
    runtime: Runtime, config: OkrConfig, report: Report, okr_set: OkrSet, key: str, now: datetime
) -> DigestInput:
    """The week of ``okr_set``: each KR now and as recorded a week ago, and the programs' overdue APs."""
    result = report.okr_set(okr_set.id)
    if result is None:
        raise NotEvaluatedYet(f"the latest evaluation has no result for OKR set {okr_set.id} yet")
    since = now - WEEK
    refs = [(okr_set.id, kr.id) for o in okr_set.objectives for kr in o.key_results]
    before = readings_at(runtime.redis, refs, since)
    results = {(o.id, kr.id): kr for o in result.objectives for kr in o.key_results}
    krs = tuple(
        KrWeek(kr_label(o, kr), kr.title, results[(o.id, kr.id)], before[(okr_set.id, kr.id)], _unit(config, kr.metric))
        for o in okr_set.objectives
        for kr in o.key_results
        if (o.id, kr.id) in results
    )
    where = okr_set.confluence
    return DigestInput(
        set_name=okr_set.name,
        page_title=where.title if where else okr_set.name,
        period=key,
        at=now,
        tz=set_zone(config, okr_set),
        since=since,
        krs=krs,
        overdue_aps=overdue_aps(runtime, config, report, okr_set),
    )


def _unit(config: OkrConfig, metric: str | None) -> str | None:
    found = config.metrics.get(metric or "")
    return found.unit if found else None


def overdue_aps(runtime: Runtime, config: OkrConfig, report: Report, okr_set: OkrSet) -> tuple[OverdueAp, ...]:
    """The overdue action points of the problem programs the set's KRs read (``source: problems``)."""
    metrics = [config.metrics.get(kr.metric or "") for o in okr_set.objectives for kr in o.key_results]
    read = {m.program for m in metrics if m is not None and m.source == "problems" and m.program}
    names = {p.id: p.name for p in config.problem_programs}
    jira_url = runtime.settings.jira_url
    return tuple(
        OverdueAp(names.get(str(program["id"]), str(program["id"])), str(ap["key"]), browse_url(jira_url, ap["key"]))
        for program in report.problem_programs
        if program.get("id") in read
        for ap in program.get("action_points", ())
        if "overdue" in ap.get("flags", ())
    )


def review_input(
    runtime: Runtime, config: OkrConfig, report: Report, okr_set: OkrSet, key: str, now: datetime
) -> ReviewInput:
    result = report.okr_set(okr_set.id)
    if result is None:
        raise NotEvaluatedYet(f"the latest evaluation has no result for OKR set {okr_set.id} yet")
    where = okr_set.confluence
    return ReviewInput(
        okr_set=okr_set,
        result=result,
        page_title=where.title if where else okr_set.name,
        month=key,
        at=now,
        tz=set_zone(config, okr_set),
        previous=previous_review(runtime, okr_set, key),
        names=refresh_people(runtime, people_of_set(okr_set)),
    )


def previous_review(runtime: Runtime, okr_set: OkrSet, month: str) -> PreviousReview | None:
    """The set's latest review before ``month``, as it was stored when that review was written."""
    prefix = f"{okr_set.id}@"
    earlier = sorted(
        k[len(prefix) :] for k in (decoded(f) for f in runtime.redis.hkeys(REVIEWS)) if k.startswith(prefix)
    )
    earlier = [m for m in earlier if m < month]
    if not earlier:
        return None
    stored = json.loads(runtime.redis.hget(REVIEWS, prefix + earlier[-1]) or "{}")
    return PreviousReview(earlier[-1], stored.get("figures", {}))


def _remember_review(runtime: Runtime, okr_set: OkrSet, month: ReviewInput, page: Page) -> None:
    stored = {"figures": review_figures(month.result), "at": month.at.isoformat(), "page_id": page.id}
    runtime.redis.hset(REVIEWS, f"{okr_set.id}@{month.month}", json.dumps(stored))


def _comment_digest(runtime: Runtime, okr_set: OkrSet, week: DigestInput) -> None:
    """With ``cadence.digest_comment``, the digest in one comment on the set's ``jira_issue``; a failure
    is logged (the page is written; the comment is not tried again)."""
    if not okr_set.cadence.digest_comment or not okr_set.jira_issue or runtime.jira is None:
        return
    try:
        runtime.jira.add_comment(okr_set.jira_issue, digest_comment(week))
    except ConnectorError as exc:
        log.warning("cadence: the weekly digest of %s not commented on %s: %s", okr_set.id, okr_set.jira_issue, exc)
