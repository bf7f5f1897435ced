"""Escalations of a problem review (pure): an open AP overdue more than `escalate_after` (default 7
days), or a closed AP judged ineffective, each with its owner; a done AP or one overdue exactly the
limit is not escalated."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from okr.problems.model import ActionPoint, ClusterRef, Effectiveness, ProgramResult, Verdict
from okr.problems.review import escalations
from tests.okr.problems.test_problems import _program

TODAY = date(2026, 11, 15)
AT = datetime(2026, 11, 15, 12, tzinfo=UTC)
DEPLOY = ClusterRef("system", "Deploy")


def _verdict(verdict: Verdict) -> Effectiveness:
    return Effectiveness(verdict, AT - timedelta(days=40), AT - timedelta(days=12), 4, 4, 0.1, 0.1)


def _ap(
    key: str, due: date | None, done: bool = False, verdict: Verdict | None = None, owner: str | None = "dana"
) -> ActionPoint:
    return ActionPoint(
        key=key,
        summary=None,
        status="Done" if done else "To Do",
        done=done,
        assignee=owner,
        due=due,
        cluster=DEPLOY,
        covers=(DEPLOY,),
        linked_problems=(),
        flags=(),
        effectiveness=_verdict(verdict) if verdict else None,
    )


def _result(*aps: ActionPoint) -> ProgramResult:
    return ProgramResult("platform", AT, UTC, AT - timedelta(days=56), (), (), aps, ("retro",))


def test_overdue_more_than_seven_days_by_default_is_escalated_exactly_seven_is_not() -> None:
    program = _program()
    assert program.escalate_after == "7d"
    aps = (
        _ap("PLAT-1", TODAY - timedelta(days=7)),
        _ap("PLAT-2", TODAY - timedelta(days=8), owner=None),
        _ap("PLAT-3", TODAY - timedelta(days=30), done=True),
        _ap("PLAT-4", None),
    )
    found = escalations(program, _result(*aps), TODAY)
    assert [(e.key, e.reason, e.assignee) for e in found] == [("PLAT-2", "overdue 8 days (due 7 Nov)", None)]


def test_the_limit_is_the_programs_escalate_after() -> None:
    aps = (_ap("PLAT-1", TODAY - timedelta(days=3)), _ap("PLAT-2", TODAY - timedelta(days=2)))
    found = escalations(_program(escalate_after="2d"), _result(*aps), TODAY)
    assert [e.key for e in found] == ["PLAT-1"]


def test_a_closed_ap_judged_ineffective_is_escalated_an_effective_or_watched_one_is_not() -> None:
    aps = (
        _ap("PLAT-5", TODAY - timedelta(days=40), done=True, verdict="ineffective"),
        _ap("PLAT-6", TODAY - timedelta(days=40), done=True, verdict="effective"),
        _ap("PLAT-7", TODAY - timedelta(days=40), done=True, verdict="watching"),
    )
    found = escalations(_program(), _result(*aps), TODAY)
    assert [(e.key, e.reason, e.assignee) for e in found] == [
        ("PLAT-5", "judged ineffective: its cluster keeps recurring", "dana")
    ]
