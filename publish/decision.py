"""A validation KR's keep-or-stop decision in the words a PM reads (pure).

decision_words(kr, "%")  # 'decide by 15 Jan 2027: keep going if ≥ 30 %, else stop (now 22 %)'
"""

from __future__ import annotations

from datetime import date

from okr.decision import Decision
from okr.report import KeyResultReport
from publish.confluence.formatting import number


def decision_words(kr: KeyResultReport, unit: str | None = None) -> str | None:
    """What the KR's decision says on ``kr.decision.state``; None for a KR without a decision."""
    decision = kr.decision
    if decision is None:
        return None
    lead = "decide by" if decision.state in ("pending", "due") else "decision was due on"
    if decision.state in ("kill", "keep"):
        return f"{lead} {_day(decision.due)}: {_verdict(decision, kr.current, unit)}"
    now = "not measured yet" if kr.current is None else f"now {_value(kr.current, unit)}"
    return f"{lead} {_day(decision.due)}{_terms(decision, unit)} ({now})"


def _terms(decision: Decision, unit: str | None) -> str:
    if decision.kill_below is None:
        return ": keep going or stop"
    return f": keep going if ≥ {_value(decision.kill_below, unit)}, else stop"


def _verdict(decision: Decision, current: float | None, unit: str | None) -> str:
    threshold = _value(decision.kill_below, unit)
    if decision.state == "kill":
        return f"stop, {_value(current, unit)} is below {threshold}"
    return f"keep going, {_value(current, unit)} reached {threshold}"


def _value(value: float | None, unit: str | None) -> str:
    return f"{number(value)} {unit}" if unit and value is not None else number(value)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def decision_status(kr: KeyResultReport, unit: str | None = None) -> dict[str, object]:
    """The decision fact and its words for the Jira property (nothing for a KR without a decision)."""
    words = decision_words(kr, unit)
    if kr.decision is None or words is None:
        return {}
    return {"decision": {**kr.decision.to_dict(), "words": words}}
