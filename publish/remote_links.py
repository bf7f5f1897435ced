"""The remote issue links people see on a contributor epic and on a KR's own issue, without any app (pure).

One link per KR an issue serves, titled with the KR's numbers ("O1.KR2 Escaped bug share · 32 % → 20 % ·
on track · score 0.40") and identified by ``okrsync:{set}/{kr}``: Jira replaces the issue's link with that
``globalId`` on every write, so a KR that moves updates its link in place. The link points at the KR on
its set's Confluence page when the page's address is known, else at the admin KR page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from mapping.models import KeyResult, Objective, OkrConfig, OkrSet
from publish.confluence.formatting import health_status, non_finite_text, unit_suffix
from publish.confluence.okr_page import kr_label
from publish.jira import HEALTH_WORDS, KrRef, Write
from publish.kinds import keep_band

GLOBAL_ID_PREFIX = "okrsync:"
TARGET_PREFIX = "remotelink:"
APPLICATION = {"type": "com.okrsync", "name": "OKR Sync"}
ON_EPIC = "contributes to"  # how a contributor epic relates to the KR
ON_KR_ISSUE = "key result"  # the KR's own issue: the link is the KR itself
TITLE_LIMIT = 255  # Jira keeps a remote link's title to 255 characters
HEALTHS = tuple(HEALTH_WORDS)  # one icon each, served by the admin pages
ICON_PATH = "/admin/icons/{health}.svg"
KR_PAGE_PATH = "/admin/sets/{set}/krs/{kr}"


@dataclass(frozen=True)
class LinkPlaces:
    """Where a link can point: the service's public address (admin KR pages, icons) and each set's
    Confluence page, by set id, once Confluence has told its address."""

    public_url: str | None = None
    page_urls: Mapping[str, str] = field(default_factory=dict)


def global_id(ref: KrRef) -> str:
    return f"{GLOBAL_ID_PREFIX}{ref[0]}/{ref[1]}"


def link_target(issue: str, ref: KrRef) -> str:
    """What is remembered as written for one issue's link to one KR: ``remotelink:SHOP-1:shop/KR1``."""
    return f"{TARGET_PREFIX}{issue.upper()}:{ref[0]}/{ref[1]}"


def plan_remote_links(
    config: OkrConfig,
    statuses: Mapping[KrRef, dict[str, Any]],
    epics: Mapping[KrRef, list[str]],
    places: LinkPlaces,
    refs: set[KrRef] | None = None,
) -> list[Write]:
    """One link per KR on each of its contributor epics and on its ``jira_issue``, for the KRs among
    ``refs`` (all when None); none when ``writeback.remote_links`` is off or a KR has nowhere to point."""
    if not config.writeback.remote_links:
        return []
    writes: dict[str, Write] = {}
    for okr_set, objective, kr in _key_results(config):
        ref = (okr_set.id, kr.id)
        if (refs is not None and ref not in refs) or ref not in statuses:
            continue
        url = kr_url(okr_set, objective, kr, places)
        if url is None:
            continue
        for issue, relationship in _issues_of(kr, epics.get(ref, [])):
            link = remote_link(okr_set, objective, kr, statuses[ref], url, relationship, places)
            target = link_target(issue, ref)
            writes[target] = Write(target, "remote_link", issue.upper(), link, link)
    return [writes[t] for t in sorted(writes)]


def _key_results(config: OkrConfig) -> list[tuple[OkrSet, Objective, KeyResult]]:
    return [(s, o, kr) for s in config.okr_sets for o in s.objectives for kr in o.key_results]


def _issues_of(kr: KeyResult, epic_keys: list[str]) -> list[tuple[str, str]]:
    """The issues that carry the KR's link, with their relationship to it; the KR's own issue wins."""
    issues = {key.upper(): ON_EPIC for key in epic_keys}
    if kr.jira_issue:
        issues[kr.jira_issue.upper()] = ON_KR_ISSUE
    return sorted(issues.items())


def remote_link(
    okr_set: OkrSet,
    objective: Objective,
    kr: KeyResult,
    status: Mapping[str, Any],
    url: str,
    relationship: str,
    places: LinkPlaces,
) -> dict[str, Any]:
    """The body of ``POST /issue/{key}/remotelink``: the same KR always gives the same ``globalId``."""
    health = str(status["health"])
    item: dict[str, Any] = {
        "url": url,
        "title": link_title(kr_label(objective, kr), kr.title, status),
        "summary": f"Objective {objective.id} {objective.title} · OKR set {okr_set.name} ({okr_set.id})",
        "status": {"resolved": health == "done"},
    }
    if places.public_url:
        icon = places.public_url.rstrip("/") + ICON_PATH.format(health=quote(health))
        item["icon"] = {"url16x16": icon, "title": health_title(health)}
    return {
        "globalId": global_id((okr_set.id, kr.id)),
        "application": dict(APPLICATION),
        "relationship": relationship,
        "object": item,
    }


def link_title(label: str, title: str, status: Mapping[str, Any]) -> str:
    """'O1.KR2 Escaped bug share · 32 % → 20 % · on track · score 0.40', the KR's title shortened to fit."""
    unit = f" {status['unit']}" if status.get("unit") else ""
    current, target = status.get("current"), status.get("target")
    parts = []
    band = keep_band(status)
    if band:
        parts.append(f"{_with_unit(current, status)}, {band}{unit}")
    elif current is not None or target is not None:
        parts.append(f"{_with_unit(current, status)} → {_with_unit(target, status)}")
    score = status.get("score")
    parts += [HEALTH_WORDS[status["health"]], f"score {'—' if score is None else f'{score:.2f}'}"]
    tail = "".join(f" · {part}" for part in parts)
    room = TITLE_LIMIT - len(label) - 1 - len(tail)
    name = title if len(title) <= room else title[: max(0, room - 1)].rstrip() + "…"
    return f"{label} {name}{tail}"


def rounded(value: float | None) -> str:
    """Three significant digits, whole numbers from 100 on (with thousands separators): 33.3, 0.271, 1,250."""
    if value is None or not math.isfinite(value):
        return non_finite_text(value)
    if abs(value) >= 100:
        return f"{round(value):,}"
    text = f"{value:.3g}"
    return "0" if text in ("0", "-0") else text


def health_title(health: str) -> str:
    """'On track': the icon's tooltip."""
    return HEALTH_WORDS.get(health, health).capitalize()


def kr_url(okr_set: OkrSet, objective: Objective, kr: KeyResult, places: LinkPlaces) -> str | None:
    """The KR on its set's Confluence page, else its admin page; None when neither address is known."""
    page = places.page_urls.get(okr_set.id)
    if page and okr_set.confluence:
        anchor = anchor_id(okr_set.confluence.title, kr_label(objective, kr), is_cloud_page(page))
        return f"{page}#{quote(anchor, safe='')}"
    if places.public_url:
        path = KR_PAGE_PATH.format(set=quote(okr_set.id, safe=""), kr=quote(kr.id, safe=""))
        return places.public_url.rstrip("/") + path
    return None


def is_cloud_page(url: str) -> bool:
    """Whether the page lives on Confluence Cloud: an Atlassian site, or the address form only Cloud gives
    a page (``/spaces/KEY/pages/ID/…``; Data Center's are ``/display/KEY/…`` and ``viewpage.action``)."""
    parts = urlsplit(url)
    return (parts.hostname or "").endswith(".atlassian.net") or ("/spaces/" in parts.path and "/pages/" in parts.path)


def anchor_id(page_title: str, anchor: str, cloud: bool) -> str:
    """The id Confluence gives the page's anchor macro: the name (Cloud), or the page title without
    spaces, a hyphen and the name (Data Center)."""
    return anchor if cloud else f"{page_title.replace(' ', '')}-{anchor}"


ICON_COLOURS = {"Green": "#36B37E", "Yellow": "#FFAB00", "Red": "#FF5630", "Blue": "#0065FF", "Grey": "#97A0AF"}
DONE_MARK = '<path d="M4.5 8.2l2.3 2.3 4.7-4.9" fill="none" stroke="#fff" stroke-width="1.8"/>'


def health_icon(health: str) -> str | None:
    """A 16×16 SVG dot in the health's status colour (a tick for done); None for an unknown health."""
    if health not in HEALTH_WORDS:
        return None
    colour = ICON_COLOURS.get(health_status(health).colour, ICON_COLOURS["Grey"])
    mark = DONE_MARK if health == "done" else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">'
        f"<title>{health_title(health)}</title>"
        f'<circle cx="8" cy="8" r="7" fill="{colour}"/>{mark}</svg>'
    )


def _with_unit(value: Any, status: Mapping[str, Any]) -> str:
    return f"{rounded(value)}{unit_suffix(value, status.get('unit'))}"
