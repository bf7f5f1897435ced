"""A validation KR's keep-or-stop decision on its ``decide_by`` date (pure).

    decision = kr_decision(kr, current, today)   # None for a KR without decide_by
    decision.state                               # pending | due | overdue | kill | keep

Up to ``DUE_WITHIN_DAYS`` days before the date the decision is ``due``; earlier it is ``pending``. Once
the date has passed it is ``kill`` when the KR's current value is below ``kill_below``, ``keep`` when
it is at or above, and ``overdue`` when there is nothing to compare (no value, or no ``kill_below``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from mapping.models import KeyResult

DUE_WITHIN_DAYS = 14
DecisionState = Literal["pending", "due", "overdue", "kill", "keep"]


@dataclass(frozen=True, slots=True)
class Decision:
    due: date
    kill_below: float | None
    state: DecisionState

    def to_dict(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "kill_below": self.kill_below, "state": self.state}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(due=date.fromisoformat(data["due"]), kill_below=data["kill_below"], state=data["state"])


def decision_state(due: date, kill_below: float | None, current: float | None, today: date) -> DecisionState:
    """Where the decision stands on ``today`` (a day in the configuration's zone)."""
    if today <= due:
        return "due" if (due - today).days <= DUE_WITHIN_DAYS else "pending"
    if current is None or kill_below is None:
        return "overdue"
    return "kill" if current < kill_below else "keep"


def kr_decision(kr: KeyResult, current: float | None, today: date) -> Decision | None:
    """The KR's decision on ``today``; None without ``decide_by``."""
    if kr.decide_by is None:
        return None
    return Decision(kr.decide_by, kr.kill_below, decision_state(kr.decide_by, kr.kill_below, current, today))


def decision_flags(decision: Decision | None) -> list[str]:
    """``decision_due`` while the decision is due."""
    return ["decision_due"] if decision is not None and decision.state == "due" else []
