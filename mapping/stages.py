"""The stage model: which objectives a product company at each stage should pick (data, pure).

A product company picks objectives by where it stands — prototype, early users, validation,
product-market fit, growth, scale — not by splitting sales targets. Each stage has 2–4 objectives with
2–4 key results each: a key result names a Jira metric of :mod:`mapping.starter` (with a starting
baseline and target) or says honestly why it cannot be read from Jira yet (``unmeasured``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the command line reads STAGES for its --stage choices without loading the models
    from mapping.models import Stage

# The order of the stage model; the same names as mapping.models.Stage.
STAGES: tuple[Stage, ...] = ("prototype", "early-users", "validation", "pmf", "growth", "scale")
PUSH_HINT = "push the readings to a push metric (POST /api/v1/metrics/<id>/measurements) and give the KR that metric"


@dataclass(frozen=True)
class KrPattern:
    title: str
    metric: str | None = None
    baseline: float = 0
    target: float = 0
    unmeasured: str | None = None
    signal: Literal["leading", "lagging"] | None = None


@dataclass(frozen=True)
class ObjectivePattern:
    title: str
    key_results: tuple[KrPattern, ...]


@dataclass(frozen=True)
class StagePlan:
    stage: Stage
    summary: str
    level: Literal["company", "team"]
    set_id: str
    set_name: str
    objectives: tuple[ObjectivePattern, ...]

    def metric_ids(self) -> list[str]:
        """The Jira metrics the plan's key results use, in order of first use."""
        ids = [kr.metric for o in self.objectives for kr in o.key_results if kr.metric]
        return list(dict.fromkeys(ids))


def _outside_jira(what: str) -> str:
    return f"{what}, not in Jira: {PUSH_HINT}"


def _kr(title: str, metric: str, baseline: float, target: float, signal: str) -> KrPattern:
    return KrPattern(title, metric=metric, baseline=baseline, target=target, signal=signal)  # type: ignore[arg-type]


def _unmeasured(title: str, what: str, signal: str) -> KrPattern:
    return KrPattern(title, unmeasured=_outside_jira(what), signal=signal)  # type: ignore[arg-type]


BUG_FIX = _kr("Median days to fix a bug from 10 to 5", "bug_fix_days", 10, 5, "leading")
URGENT_BUGS = _kr("Top-priority bugs reported in 30 days from 8 to 3", "top_priority_bugs", 8, 3, "lagging")
ESCAPES = _kr("Share of bugs that reach customers from 40% to 20%", "escaped_defect_share", 40, 20, "lagging")
LEAD_TIME = _kr("Median days from opening an epic to finishing it from 60 to 30", "epic_lead_days", 60, 30, "leading")
INCIDENTS = _kr("Production incidents this quarter at most 2 (from 6)", "production_incidents", 6, 2, "lagging")
RESTORE = _kr("Median hours to restore service from 12 to 4", "restore_hours", 12, 4, "lagging")
ACTIVATION = _unmeasured(
    "Share of new sign-ups reaching the key action within 7 days from 20% to 40%",
    "Activation (sign-ups reaching the key action) is read in product analytics",
    "leading",
)
RETENTION = _unmeasured(
    "Share of customers still active 8 weeks after starting from 30% to 45%",
    "Retention by cohort is read in product analytics",
    "lagging",
)

STAGE_PLANS: dict[Stage, StagePlan] = {
    "prototype": StagePlan(
        "prototype",
        "Prototype: learn whether the problem is real and whether the prototype solves it, quickly.",
        "team",
        "team",
        "Product team",
        (
            ObjectivePattern(
                "Learn whether the problem is real and painful",
                (
                    _unmeasured(
                        "Problem interviews confirming the pain from 0 to 15",
                        "Problem interviews are logged in research notes",
                        "leading",
                    ),
                    _unmeasured(
                        "Testers finishing the core task unaided from 0 to 8 of 10",
                        "Usability sessions are noted in research notes",
                        "leading",
                    ),
                ),
            ),
            ObjectivePattern("Learn fast from every prototype", (LEAD_TIME, BUG_FIX)),
        ),
    ),
    "early-users": StagePlan(
        "early-users",
        "Early users: the first users get value without help, and can rely on what they get.",
        "team",
        "team",
        "Product team",
        (
            ObjectivePattern(
                "First users reach value without our help",
                (
                    ACTIVATION,
                    _unmeasured(
                        "Early users coming back every week from 5 to 25",
                        "Weekly returning users are counted in product analytics",
                        "lagging",
                    ),
                ),
            ),
            ObjectivePattern("Early users can rely on the product", (URGENT_BUGS, BUG_FIX)),
        ),
    ),
    "validation": StagePlan(
        "validation",
        "Validation: benchmark customers prove the product solves their problem; decide on evidence.",
        "company",
        "company",
        "Company",
        (
            ObjectivePattern(
                "Benchmark customers prove the product solves their problem",
                (
                    _unmeasured(
                        "Benchmark customers using the product every week from 2 to 8",
                        "The benchmark customers and their use are tracked in the CRM",
                        "lagging",
                    ),
                    _unmeasured(
                        "Weekly use of the key feature per active customer from 1 to 4",
                        "Key-feature usage is read in product analytics",
                        "leading",
                    ),
                ),
            ),
            ObjectivePattern("New customers activate on their own", (ACTIVATION, LEAD_TIME)),
            ObjectivePattern("Quality that keeps the benchmark customers", (ESCAPES, BUG_FIX)),
        ),
    ),
    "pmf": StagePlan(
        "pmf",
        "Product-market fit: customers stay and would be very disappointed without the product.",
        "company",
        "company",
        "Company",
        (
            ObjectivePattern(
                "Customers would be very disappointed without us",
                (
                    RETENTION,
                    _unmeasured(
                        "Surveyed users who would be very disappointed without us from 25% to 40%",
                        "The survey answers are collected in a survey tool",
                        "leading",
                    ),
                ),
            ),
            ObjectivePattern("Changes customers ask for reach them sooner", (LEAD_TIME, ESCAPES)),
        ),
    ),
    "growth": StagePlan(
        "growth",
        "Growth: a repeatable way to win customers, and a product that holds while they come.",
        "company",
        "company",
        "Company",
        (
            ObjectivePattern(
                "A repeatable growth model",
                (
                    _unmeasured(
                        "Trial-to-paid conversion from 8% to 12%",
                        "Conversion from trial to paid is read in billing",
                        "lagging",
                    ),
                    _unmeasured(
                        "Months to earn back the cost of winning a customer from 18 to 12",
                        "Acquisition cost and payback are computed in finance",
                        "lagging",
                    ),
                ),
            ),
            ObjectivePattern("New customers stay", (ACTIVATION, RETENTION)),
            ObjectivePattern("Growth does not break the product", (INCIDENTS, URGENT_BUGS)),
        ),
    ),
    "scale": StagePlan(
        "scale",
        "Scale: convert demand efficiently, keep the cost to serve down and reliability within hard caps.",
        "company",
        "company",
        "Company",
        (
            ObjectivePattern(
                "Convert demand efficiently",
                (
                    _unmeasured(
                        "Visit-to-order conversion from 2.4% to 3.0%",
                        "Conversion is read in the analytics pipeline",
                        "lagging",
                    ),
                    _unmeasured(
                        "Cost to serve an active customer per month from 4.0 to 3.2",
                        "The cost to serve is computed in finance",
                        "lagging",
                    ),
                ),
            ),
            ObjectivePattern("Reliability within hard caps", (INCIDENTS, RESTORE, ESCAPES)),
            ObjectivePattern("Engineering keeps its pace as we grow", (LEAD_TIME, BUG_FIX)),
        ),
    ),
}
