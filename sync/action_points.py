"""Opening action points in Jira for new candidate clusters (problem programs in ``create`` mode).

Each cluster is claimed in Redis before its AP is created, so concurrent or repeated flushes (a
webhook delivered three times, a retried job) open one AP, never two. The claim holds the AP's key
and is released when the mirror shows that AP done, so a cluster that recurs later gets a new AP.
The AP carries its claim in the issue property ``okrsync.actionpoint``, set in the create request,
and its key is recorded once it is linked with its problems: a worker that stopped in between leaves
a claim "creating" that a later flush resolves by finding that AP in Jira and finishing its links
(or, not found, by creating it then).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from connector.errors import BadRequest, ConnectorError
from mapping.models import OkrConfig, ProblemProgram
from okr.metrics import EvaluationInput, FilterCache, program_result
from okr.problems.review import ApProposal, ap_proposals
from sync import keys
from sync.configured import configured_jira
from sync.ports import JiraApi
from sync.redis_text import decoded
from sync.runtime import Runtime

log = logging.getLogger(__name__)

CLAIM_PREFIX = keys.AP_CLAIM_PREFIX  # program/category/theme → AP key (or "creating <since>" while it is made)
CLAIM_CREATING_SECONDS = 24 * 3600  # until reconciliation has surely mirrored the new AP
CREATING = "creating"
# A creation, retries included, that started longer ago than this is over: its worker stopped.
CLAIM_IN_FLIGHT_SECONDS = 15 * 60.0
CLOCK_SKEW_MINUTES = 60  # how far Jira's clock may be behind ours, when searching for an AP made since a time
AP_PROPERTY = "okrsync.actionpoint"  # on an AP: {claim, program, cluster}
LINK_TYPE = "Relates"


@dataclass
class ApReport:
    created: list[str] = field(default_factory=list)
    proposed: list[str] = field(default_factory=list)


def open_action_points(
    runtime: Runtime,
    config: OkrConfig,
    given: EvaluationInput,
    now: datetime,
    programs: Sequence[ProblemProgram] | None = None,
) -> ApReport:
    """Open the action points due, for every problem program (or those of ``programs``)."""
    report = ApReport()
    filters = FilterCache()
    for program in config.problem_programs if programs is None else programs:
        proposals = ap_proposals(program, program_result(program, given, filters), now)
        if program.action_points.mode == "propose" or runtime.jira is None:
            report.proposed += [f"{program.id}:{p.cluster.category}/{p.cluster.theme}" for p in proposals]
            continue
        _release_finished_claims(runtime, program)
        for proposal in proposals:
            key = _create_once(runtime, program, proposal)
            if key:
                report.created.append(key)
    return report


def claim_key(program: ProblemProgram, proposal: ApProposal) -> str:
    return f"{CLAIM_PREFIX}{claim_name(program, proposal)}"


def claim_name(program: ProblemProgram, proposal: ApProposal) -> str:
    """The cluster an AP answers, as its claim names it: "program/category/theme"."""
    return f"{program.id}/{proposal.cluster.category}/{proposal.cluster.theme}"


def creating_claim(since: float) -> str:
    """A claim's value while its AP is being created: "creating <POSIX time the creation started>"."""
    return f"{CREATING} {since:.3f}"


def creating_since(value: str) -> float | None:
    """When the creation a claim holds started; None when it holds an AP's key. A bare "creating"
    (written before the time was kept) reads as long ago."""
    word, _, since = value.partition(" ")
    if word != CREATING:
        return None
    try:
        return float(since or 0)
    except ValueError:
        return 0.0


def _create_once(runtime: Runtime, program: ProblemProgram, proposal: ApProposal) -> str | None:
    claim = claim_key(program, proposal)
    held = runtime.redis.get(claim)
    if held is not None:
        return _after_an_earlier_attempt(runtime, program, proposal, decoded(held))
    assignee = assignee_field(runtime.jira, proposal.assignee)  # looked up before the claim is taken
    if not runtime.redis.set(claim, creating_claim(time.time()), nx=True, ex=CLAIM_CREATING_SECONDS):
        return None
    return _open(runtime, program, proposal, assignee)


def _open(runtime: Runtime, program: ProblemProgram, proposal: ApProposal, assignee: dict[str, str] | None) -> str:
    """Create the AP (its claim in the issue property ``okrsync.actionpoint``), record it, link it."""
    created = _create_ap(runtime, proposal, ap_property(program, proposal), assignee)
    ap_key = str(created["key"])
    _record(runtime, claim_key(program, proposal), ap_key, proposal, already_linked=())
    runtime.redis.hincrby(keys.STATS, "action_points_created", 1)
    log.info(
        "opened action point %s for %s (%d problem(s) linked)",
        ap_key,
        claim_name(program, proposal),
        len(proposal.links),
    )
    return ap_key


def _record(runtime: Runtime, claim: str, ap_key: str, proposal: ApProposal, already_linked: Sequence[str]) -> None:
    """Link the AP with its problems, then record its key in the claim: until then the claim says
    "creating", so a worker stopping half-way leaves what a later flush finishes (linking the rest)."""
    for problem in proposal.links:
        if problem not in already_linked:
            configured_jira(runtime).link_issues(LINK_TYPE, inward_key=problem, outward_key=ap_key)
    runtime.redis.set(claim, ap_key, ex=CLAIM_CREATING_SECONDS)


def _after_an_earlier_attempt(runtime: Runtime, program: ProblemProgram, proposal: ApProposal, held: str) -> str | None:
    """A claim is in place: its AP exists, or is being created, or was being created by a worker that
    stopped. Then Jira is asked whether the AP was made: found, it is recorded (and linked); not
    found, the claim is taken over and the AP created now. Returns the key of an AP opened here."""
    since = creating_since(held)
    if since is None or time.time() - since < CLAIM_IN_FLIGHT_SECONDS:
        return None  # an AP is recorded, or its creation may still be under way
    claim = claim_key(program, proposal)
    found = find_opened(configured_jira(runtime), program, proposal, since)
    if found is not None:
        if _take_over(runtime.redis, claim, held, creating_claim(time.time())):  # this worker finishes it
            _record(runtime, claim, found.key, proposal, found.linked)
            log.info(
                "found action point %s for %s, opened by a worker that stopped before recording it", found.key, claim
            )
        return None
    assignee = assignee_field(runtime.jira, proposal.assignee)
    if not _take_over(runtime.redis, claim, held, creating_claim(time.time())):
        return None
    return _open(runtime, program, proposal, assignee)


def _take_over(connection: redis.Redis, claim: str, seen: str, value: str) -> bool:
    """Set the claim to ``value`` if it still holds ``seen`` (another worker may have moved it)."""
    with connection.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(claim)
            if decoded(pipe.get(claim) or b"") != seen:
                pipe.unwatch()
                return False
            pipe.multi()
            pipe.set(claim, value, ex=CLAIM_CREATING_SECONDS)
            pipe.execute()
        except redis.WatchError:
            return False
    return True


@dataclass(frozen=True)
class OpenedAp:
    key: str
    linked: tuple[str, ...]  # the issues it is already linked with


def find_opened(jira: JiraApi, program: ProblemProgram, proposal: ApProposal, since: float) -> OpenedAp | None:
    """The AP this service's account opened for the cluster since ``since``, on real Jira too: issue
    properties cannot be searched by JQL without an app, so the program's project is searched for the
    issues with the AP label the account reported since then, and each one's property is read."""
    elapsed = min(max(0.0, time.time() - since), CLAIM_CREATING_SECONDS)  # no claim lives longer
    minutes = int(elapsed // 60) + CLOCK_SKEW_MINUTES
    jql = (
        f"project = {_quoted(proposal.project)} AND labels = {_quoted(proposal.label)} "
        f"AND reporter = currentUser() AND created >= -{minutes}m ORDER BY created DESC"
    )
    wanted = claim_name(program, proposal)
    for issue in jira.search(jql, fields=["issuelinks"]):
        value = jira.get_property(str(issue["key"]), AP_PROPERTY)
        if isinstance(value, dict) and value.get("claim") == wanted:
            return OpenedAp(str(issue["key"]), linked_keys(issue.get("fields") or {}))
    return None


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def linked_keys(fields: dict[str, Any]) -> tuple[str, ...]:
    """The keys of the issues an issue's ``issuelinks`` name, either way."""
    keys_found = []
    for link in fields.get("issuelinks") or []:
        other = link.get("inwardIssue") or link.get("outwardIssue") or {}
        if other.get("key"):
            keys_found.append(str(other["key"]))
    return tuple(keys_found)


def ap_property(program: ProblemProgram, proposal: ApProposal) -> dict[str, Any]:
    """The AP's issue property ``okrsync.actionpoint``: the claim it answers, out of the description."""
    return {
        "claim": claim_name(program, proposal),
        "program": program.id,
        "cluster": {"category": proposal.cluster.category, "theme": proposal.cluster.theme},
    }


def _create_ap(
    runtime: Runtime, proposal: ApProposal, claim: dict[str, Any], assignee: dict[str, str] | None
) -> dict[str, Any]:
    """Jira refuses an assignee who cannot be assigned issues in the project (400): the AP is opened
    unassigned then, rather than not at all."""
    properties = {AP_PROPERTY: claim}
    try:
        return configured_jira(runtime).create_issue(ap_fields(proposal, assignee), properties)
    except BadRequest as exc:
        if assignee is None:
            raise
        log.warning(
            "action point owner %s not accepted as assignee in %s (%s); the AP is opened unassigned",
            proposal.assignee,
            proposal.project,
            exc,
        )
        return configured_jira(runtime).create_issue(ap_fields(proposal, None), properties)


def ap_fields(proposal: ApProposal, assignee: dict[str, str] | None = None) -> dict[str, Any]:
    """The new AP's fields, words for people only; the owner is named in the description too (whether
    or not Jira knows them)."""
    owner = f"\nOwner (from the problem source): {proposal.assignee}" if proposal.assignee else ""
    fields: dict[str, Any] = {
        "project": {"key": proposal.project},
        "issuetype": {"name": proposal.issuetype},
        "summary": proposal.summary,
        "description": f"{proposal.description}{owner}",
        "labels": [proposal.label],
        "duedate": proposal.due.isoformat(),
    }
    if assignee is not None:
        fields["assignee"] = assignee
    return fields


def assignee_field(jira: Any, owner: str | None) -> dict[str, str] | None:
    """The source owner as Jira's assignee value: anything but an e-mail as it is (an account id on
    Cloud, a user name on Data Center); an e-mail looked up among Jira's users (exactly one user with
    that address, or the only user found when Cloud hides the address: their account id on Cloud, user
    name on Data Center). Nobody, or several, or a failed lookup: no assignee (the description names
    the owner)."""
    if not owner:
        return None
    if "@" not in owner:
        return _owner_as_written(jira, owner)
    try:
        users = jira.find_users(owner)
    except ConnectorError as exc:
        log.warning("action point owner %s not looked up in Jira (%s); the AP is opened unassigned", owner, exc)
        return None
    same = [u for u in users if str(u.get("emailAddress") or "").casefold() == owner.casefold()]
    if not same and len(users) == 1 and not users[0].get("emailAddress"):
        same = users  # Cloud hides most addresses: the one user an exact address finds is taken as that user
    if len(same) != 1:
        log.warning(
            "action point owner %s: %s in Jira; the AP is opened unassigned and names the owner in its "
            "description (give the source an account id as owner to assign it)",
            owner,
            "no user with this e-mail" if not same else f"{len(same)} users with this e-mail",
        )
        return None
    user = same[0]
    if user.get("accountId"):
        return {"accountId": str(user["accountId"])}
    name = user.get("name") or user.get("key")
    return {"name": str(name)} if name else None


def _owner_as_written(jira: Any, owner: str) -> dict[str, str] | None:
    try:
        cloud = jira.flavor == "cloud"
    except ConnectorError as exc:
        log.warning(
            "action point owner %s not assigned: the Jira flavour is unknown (%s); the AP is opened "
            "unassigned (set OKRSYNC_JIRA_FLAVOR to skip the lookup)",
            owner,
            exc,
        )
        return None
    return {"accountId": owner} if cloud else {"name": owner}


def _release_finished_claims(runtime: Runtime, program: ProblemProgram) -> None:
    """A claim whose AP is done (in the mirror) frees its cluster for a new AP if it recurs."""
    for claim in runtime.redis.scan_iter(f"{CLAIM_PREFIX}{program.id}/*"):
        ap_key = decoded(runtime.redis.get(claim) or b"")
        if ap_key and creating_since(ap_key) is None:
            document = runtime.mirror.get(ap_key)
            if document is not None and document.get("statusCategory") == "done":
                runtime.redis.delete(claim)
