"""Readable text for `okrsync evaluate` and `okrsync lint`."""

from __future__ import annotations

from datetime import date

from mapping.models import OkrConfig
from okr.problems.review import AP_ROW_HEADER, PROBLEM_ROW_HEADER, action_point_rows, problem_rows
from okr.report import KeyResultReport, KpiReport, Report, SetReport
from okr.scope import scope_words
from publish.confluence.formatting import reading_due_text
from publish.decision import decision_words
from publish.kinds import kind_words
from publish.warehouse import KPI_STATE_WORDS, band_words

HEALTH_MARK = {
    "done": "✔ done",
    "on_track": "● on track",
    "at_risk": "▲ at risk",
    "off_track": "✖ off track",
    "missed": "✗ missed",
    "not_measured": "○ not measured",
}


def render_evaluation(report: Report, config: OkrConfig | None = None) -> str:
    """The report as text; with its ``config``, a ``reading_overdue`` KR also says when its first reading was due."""
    facts = _kr_facts(config)
    lines = [f"Evaluated at {report.at}"]
    for okr_set in report.okr_sets:
        lines += ["", _set_line(okr_set)]
        lines += [f"  KPI {_kpi_line(kpi)}" for kpi in okr_set.kpis]
        for objective in okr_set.objectives:
            score = "—" if objective.score is None else f"{objective.score:.2f}"
            lines.append(
                f"  {objective.id}  score {score}  {HEALTH_MARK[objective.health]}"
                f"  ({objective.measured} of {objective.total} KRs measured)"
            )
            lines += [
                "    " + _kr_line(kr, okr_set, *facts.get((okr_set.id, kr.id), (None, None)))
                for kr in objective.key_results
            ]
    for program in report.problem_programs:
        lines += ["", f"Problem program {program['id']}"] + _table(PROBLEM_ROW_HEADER, problem_rows(program))
        if program.get("action_points"):
            lines += ["", "  Action points"] + _table(AP_ROW_HEADER, action_point_rows(program))
    if report.lint:
        lines += ["", "Lint:"] + [f"  {f['where']}: {f['message']} [{f['rule']}]" for f in report.lint]
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    if not rows:
        return ["  (none)"]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    return [
        "  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in (header, *rows)
    ]


def _kr_facts(config: OkrConfig | None) -> dict[tuple[str, str], tuple[date | None, str | None]]:
    """(set id, KR id) → (the date an unmeasured KR's first reading is due, the unit of its metric)."""
    if config is None:
        return {}
    return {
        (okr_set.id, kr.id): (kr.first_reading_due, metric.unit if metric else None)
        for okr_set in config.okr_sets
        for objective in okr_set.objectives
        for kr in objective.key_results
        for metric in (config.metrics.get(kr.metric or ""),)
    }


def _kpi_line(kpi: KpiReport) -> str:
    """'pay_success  keep ≥ 97  now 97.4  healthy'."""
    current = "—" if kpi.current is None else f"{kpi.current:g}"
    state = KPI_STATE_WORDS[kpi.state].lower() + (" (stale)" if kpi.stale else "")
    return f"{kpi.metric}  keep {band_words(kpi.keep, None, kpi.warn)}  now {current}  {state}"


def _set_line(okr_set: SetReport) -> str:
    if okr_set.final:
        return f"{okr_set.id}  (cycle closed: final results at its end)"
    return f"{okr_set.id}  (expected progress {okr_set.expected:.0%})"


def _kr_line(kr: KeyResultReport, okr_set: SetReport, reading_due: date | None = None, unit: str | None = None) -> str:
    current = "—" if kr.current is None else f"{kr.current:g}"
    values = f"{_num(kr.baseline)} → {current} → {_num(kr.target)}"
    score = "—" if kr.score is None else f"{kr.score:.2f}"
    extra = []
    words = kind_words(kr, okr_set)
    if words:
        extra.append(words)
    if kr.delivery is not None:
        extra.append(f"delivery {kr.delivery:.0%}")
    if kr.scope is not None:
        extra.append(scope_words(kr.scope))
    extra += [flag for flag in kr.flags if flag != "target_missed" or kr.kind != "cap"]
    if "reading_overdue" in kr.flags and reading_due is not None:
        extra.append(reading_due_text(reading_due))
    decision = decision_words(kr, unit)
    if decision:
        extra.append(decision)
    if kr.evaluated != "local":
        extra.append(f"evaluated {kr.evaluated}")
    bar = _bar(kr.score)
    tail = f"  [{', '.join(extra)}]" if extra else ""
    return f"{kr.id:<10} {values:<24} {bar} {score:>5}  {HEALTH_MARK[kr.health]}{tail}"


def _bar(value: float | None, width: int = 10) -> str:
    if value is None:
        return "·" * width
    filled = round(value * width)
    return "█" * filled + "░" * (width - filled)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"
