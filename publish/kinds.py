"""What a KR's kind means, in words a PM reads: how much of a cap is used, against the time gone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    if kr.kind == "keep" and kr.keep:
        return keep_words(kr.keep, kr.current, okr_set.final)
    return None


def keep_band(status: Mapping[str, Any]) -> str | None:
    """A keep KR's band as its status words say it ('keep ≤ 0'); None for the other kinds."""
    words = str(status.get("kind_words") or "")
    if status.get("kind") == "keep" and words.startswith("keep "):
        return words.split(":", 1)[0]
    return None


def keep_words(keep: Mapping[str, float], current: float | None, final: bool = False) -> str:
    """'keep ≥ 97: holds (now 97.4)' or 'keep ≤ 2: out of band (now 3)'."""
    band = f"≥ {keep['above']:g}" if "above" in keep else f"≤ {keep['below']:g}"
    if current is None:
        return f"keep {band}: not measured yet"
    held = current >= keep["above"] if "above" in keep else current <= keep["below"]
    state = "held" if final and held else "holds" if held else "out of band"
    return f"keep {band}: {state} (now {current:g})"
