"""The ``stage-mismatch`` lint rule: revenue or scale KRs in a set whose stage is for learning (pure).

A product company picks objectives by its stage (prototype → early-users → validation → pmf → growth →
scale). Before product-market fit a set should measure what the team learns — activation, key-feature
use, benchmark customers — so a KR whose title or metric speaks of revenue or scale is flagged, saying
which word (or which money-valued metric) it was. English words count as whole words; Chinese terms
anywhere in the text (Chinese has no spaces between words).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from mapping.models import KeyResult, Metric, OkrConfig, OkrSet

LEARNING_STAGES = frozenset({"prototype", "early-users", "validation"})
# Whole English words (or consecutive words) that speak of revenue or scale, matched in any case.
REVENUE_WORDS = (
    "revenue",
    "revenues",
    "sales",
    "ARR",
    "MRR",
    "GMV",
    "market share",
    "cost per",
    "scale",
)
# Chinese terms, matched anywhere in the text.
CHINESE_REVENUE_TERMS = ("收入", "营收", "销售额", "规模", "市场份额")
# Whole words of a value field's name, or a metric's unit, that make the values money.
MONEY_WORDS = frozenset(
    "amount amounts price prices revenue revenues sales gmv arr mrr money turnover usd eur gbp cny rmb jpy".split()
)
MONEY_SIGNS = ("$", "€", "£", "¥", "元", "金额", "价格", "收入", "营收", "销售额")
ADDING_AGGREGATES = ("count", "sum")


class StageMismatch(NamedTuple):
    where: str  # set-id/objective-id/KR-id
    message: str


def stage_mismatches(config: OkrConfig, okr_set: OkrSet) -> Iterator[StageMismatch]:
    """The KRs of a prototype, early-users or validation set that are about revenue or scale."""
    if okr_set.stage not in LEARNING_STAGES:
        return
    for objective in okr_set.objectives:
        for kr in objective.key_results:
            reason = revenue_reason(kr, config.metrics.get(kr.metric or ""))
            if reason is not None:
                yield StageMismatch(f"{okr_set.id}/{objective.id}/{kr.id}", _message(okr_set.stage, reason))


def _message(stage: str, reason: str) -> str:
    return (
        f"{reason}, which is about revenue or scale; a {stage} set should measure learning: activation, "
        "key-feature use, benchmark customers (revenue and scale come after product-market fit)"
    )


def revenue_reason(kr: KeyResult, metric: Metric | None) -> str | None:
    """Why a KR is about revenue or scale ("its title speaks of 'GMV'"), or None."""
    texts: list[tuple[str, str | None]] = [("its title", kr.title)]
    if metric is not None:
        texts += [(f"its metric {kr.metric!r}", kr.metric or ""), (f"its metric {kr.metric!r}", metric.description)]
    for where, text in texts:
        term = revenue_term(text or "")
        if term is not None:
            return f"{where} speaks of {term!r}"
    if metric is not None and adds_up_money(metric):
        return f"its metric {kr.metric!r} adds up money ({metric.effective_aggregate} of {_money_source(metric)})"
    return None


def revenue_term(text: str) -> str | None:
    """The revenue or scale word or term a text holds, or None."""
    for term in CHINESE_REVENUE_TERMS:
        if term in text:
            return term
    words = words_of(text)
    for term in REVENUE_WORDS:
        if _holds_phrase(words, term.lower().split()):
            return term
    return None


def words_of(text: str) -> list[str]:
    """The lowercased words of a text: runs of ASCII letters and digits (``monthly-revenue`` is two words,
    ``GMV增长`` holds the word ``gmv``)."""
    return "".join(c if c.isascii() and c.isalnum() else " " for c in text.lower()).split()


def _holds_phrase(words: list[str], phrase: list[str]) -> bool:
    size = len(phrase)
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


def adds_up_money(metric: Metric) -> bool:
    """A Jira count or sum whose value field or unit is money (an amount, a price, a currency)."""
    if metric.source != "jira" or metric.effective_aggregate not in ADDING_AGGREGATES:
        return False
    return _money_source(metric) != ""


def _money_source(metric: Metric) -> str:
    """The value field or unit that is money ("value field 'Order amount'", "unit 'USD'"), else ''."""
    for label, text in (("value field", metric.value_field), ("unit", metric.unit)):
        if text and (MONEY_WORDS.intersection(words_of(text)) or any(sign in text for sign in MONEY_SIGNS)):
            return f"{label} {text!r}"
    return ""
