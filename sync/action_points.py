"""Opening action points in Jira for new candidate clusters (problem programs in ``create`` mode).

Each cluster is claimed in Redis before its AP is created, so concurrent or repeated flushes (a
webhook delivered three times, a retried job) open one AP, never two. The claim holds the AP's key
and is released when the mirror shows that AP done, so a cluster that recurs later gets a new AP.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.errors import BadRequest, ConnectorError
from mapping.models import OkrConfig, ProblemProgram
from okr.metrics import EvaluationInput, FilterCache, program_result
from okr.problems.review import ApProposal, ap_proposals
from sync import keys
from sync.configured import configured_jira
from sync.redis_text import decoded
from sync.runtime import Runtime

log = logging.getLogger(__name__)

CLAIM_PREFIX = keys.AP_CLAIM_PREFIX  # program/category/theme → AP key (or "creating" while it is made)
CLAIM_CREATING_SECONDS = 24 * 3600  # until reconciliation has surely mirrored the new AP
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
    return f"{CLAIM_PREFIX}{program.id}/{proposal.cluster.category}/{proposal.cluster.theme}"


def _create_once(runtime: Runtime, program: ProblemProgram, proposal: ApProposal) -> str | None:
    claim = claim_key(program, proposal)
    if runtime.redis.exists(claim):
        return None  # an AP exists (or is being made) for this cluster
    assignee = assignee_field(runtime.jira, proposal.assignee)  # looked up before the claim is taken
    if not runtime.redis.set(claim, "creating", nx=True, ex=CLAIM_CREATING_SECONDS):
        return None
    created = _create_ap(runtime, proposal, _marker(claim), assignee)
    ap_key = str(created["key"])
    runtime.redis.set(claim, ap_key, ex=CLAIM_CREATING_SECONDS)
    for problem in proposal.links:
        configured_jira(runtime).link_issues(LINK_TYPE, inward_key=problem, outward_key=ap_key)
    runtime.redis.hincrby(keys.STATS, "action_points_created", 1)
    log.info("opened action point %s for %s (%d problem(s) linked)", ap_key, claim, len(proposal.links))
    return ap_key


def _create_ap(runtime: Runtime, proposal: ApProposal, marker: str, assignee: dict[str, str] | None) -> dict[str, Any]:
    """Jira refuses an assignee who cannot be assigned issues in the project (400): the AP is opened
    unassigned then, rather than not at all."""
    try:
        return configured_jira(runtime).create_issue(ap_fields(proposal, marker, assignee))
    except BadRequest as exc:
        if assignee is None:
            raise
        log.warning(
            "action point owner %s not accepted as assignee in %s (%s); the AP is opened unassigned",
            proposal.assignee,
            proposal.project,
            exc,
        )
        return configured_jira(runtime).create_issue(ap_fields(proposal, marker, None))


def ap_fields(proposal: ApProposal, marker: str, assignee: dict[str, str] | None = None) -> dict[str, Any]:
    """The new AP's fields; the owner is named in the description too (whether or not Jira knows them)."""
    owner = f"\nOwner (from the problem source): {proposal.assignee}" if proposal.assignee else ""
    fields: dict[str, Any] = {
        "project": {"key": proposal.project},
        "issuetype": {"name": proposal.issuetype},
        "summary": proposal.summary,
        "description": f"{proposal.description}{owner}\n\n[{marker}]",
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
        if ap_key and ap_key != "creating":
            document = runtime.mirror.get(ap_key)
            if document is not None and document.get("statusCategory") == "done":
                runtime.redis.delete(claim)


def _marker(claim: str) -> str:
    return "okrsync-ap:" + hashlib.sha256(claim.encode()).hexdigest()[:12]
