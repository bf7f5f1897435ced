"""What a KR's kind means, in words a PM reads: how much of a cap is used, against the time gone."""

from __future__ import annotations

from okr.report import KeyResultReport, SetReport


def cap_words(kr: KeyResultReport, okr_set: SetReport) -> str:
    """'cap: 4 of 2 allowed used, 49% of the cycle gone — target missed'."""
    if kr.current is None or kr.target is None:
        return "cap: not measured yet"
    used = f"cap: {kr.current:g} of {kr.target:g} allowed used"
    when = " at the close" if okr_set.final else f", {okr_set.expected:.0%} of the cycle gone"
    if "target_missed" in kr.flags:
        return f"{used}{when} — target missed"
    if okr_set.final or kr.forecast is None:
        return f"{used}{when} — within the cap"
    return f"{used}{when}, forecast {round(kr.forecast, 2):g} by the close"


def kind_words(kr: KeyResultReport, okr_set: SetReport) -> str | None:
    """The words for a cap or an accumulating KR; None for a level KR (its numbers say it all)."""
    if kr.kind == "cap":
        return cap_words(kr, okr_set)
    if kr.kind == "accumulate":
        return "accumulates over the cycle"
    return None
