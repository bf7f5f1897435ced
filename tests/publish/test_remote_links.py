"""The remote links planned for an evaluation: titles, rounding, resolved, where they point (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from mapping.loader import load_config_text
from publish.remote_links import (
    HEALTHS,
    LinkPlaces,
    health_icon,
    is_cloud_page,
    link_title,
    plan_remote_links,
    rounded,
)

CONFIG = """
version: 1
cycles: [{id: q4, start: 2026-10-01, end: 2026-12-31}]
metrics:
  escaped_share: {description: Escaped bug share, source: jira, aggregate: ratio, jql: project = SHOP,
                  numerator_jql: project = SHOP AND labels = escaped, window: cycle, unit: "%"}
okr_sets:
  - id: shop
    name: Shop
    cycle: q4
    confluence: {space: SHOP, title: Shop OKRs}
    objectives:
      - id: O1
        title: Dependable checkout
        key_results:
          - {id: KR2, title: Escaped bug share, metric: escaped_share, baseline: 40, target: 20,
             contributors: {epics: [shop-1, SHOP-2]}, jira_issue: OKR-7}
          - {id: KR3, title: Repeat purchases, unmeasured: no survey yet}
  - id: ops
    name: Operations
    cycle: q4
    objectives:
      - id: O2
        title: Calm nights
        key_results:
          - {id: O2.KR1, title: Pages at night, metric: escaped_share, baseline: 10, target: 2,
             contributors: {epics: [OPS-1]}}
"""
PUBLIC = "https://okrsync.example.com/"
PLACES = LinkPlaces(public_url=PUBLIC)
EPICS = {("shop", "KR2"): ["SHOP-1", "SHOP-2"], ("shop", "KR3"): ["SHOP-1"], ("ops", "O2.KR1"): ["OPS-1"]}


def status(health: str = "on_track", current: float | None = 32.0, score: float | None = 0.4) -> dict[str, Any]:
    return {"health": health, "current": current, "target": 20.0, "score": score, "unit": "%"}


STATUSES = {
    ("shop", "KR2"): status(),
    ("shop", "KR3"): {"health": "not_measured", "current": None, "target": None, "score": None, "unit": None},
    ("ops", "O2.KR1"): status("done", 1.5, 1.0),
}


def links(
    places: LinkPlaces = PLACES, refs: Any = None, config_text: str = CONFIG, statuses: Any = None
) -> dict[str, dict[str, Any]]:
    config = load_config_text(config_text)
    return {w.target: w.payload for w in plan_remote_links(config, statuses or STATUSES, EPICS, places, refs)}


def test_one_link_per_kr_on_each_epic_and_on_the_kr_issue() -> None:
    planned = links()
    assert sorted(planned) == [
        "remotelink:OKR-7:shop/KR2",
        "remotelink:OPS-1:ops/O2.KR1",
        "remotelink:SHOP-1:shop/KR2",
        "remotelink:SHOP-1:shop/KR3",
        "remotelink:SHOP-2:shop/KR2",
    ]
    link = planned["remotelink:SHOP-1:shop/KR2"]
    assert link["globalId"] == "okrsync:shop/KR2"
    assert link["application"] == {"type": "com.okrsync", "name": "OKR Sync"}
    assert link["relationship"] == "contributes to"
    assert planned["remotelink:OKR-7:shop/KR2"]["relationship"] == "key result"
    assert link["object"]["title"] == "O1.KR2 Escaped bug share · 32 % → 20 % · on track · score 0.40"
    assert link["object"]["summary"] == "Objective O1 Dependable checkout · OKR set Shop (shop)"
    assert link["object"]["status"] == {"resolved": False}
    assert link["object"]["icon"] == {
        "url16x16": "https://okrsync.example.com/admin/icons/on_track.svg",
        "title": "On track",
    }


def test_the_same_kr_gives_the_same_global_id_on_every_issue_and_every_value() -> None:
    first = links()
    moved = links(statuses={**STATUSES, ("shop", "KR2"): status("at_risk", 35.27, 0.25)})
    target = "remotelink:SHOP-1:shop/KR2"
    assert moved[target]["globalId"] == first[target]["globalId"]
    assert moved[target]["object"]["title"] == "O1.KR2 Escaped bug share · 35.3 % → 20 % · at risk · score 0.25"


def test_an_unscored_kr_says_so_and_a_done_one_is_resolved() -> None:
    planned = links()
    assert (
        planned["remotelink:SHOP-1:shop/KR3"]["object"]["title"] == "O1.KR3 Repeat purchases · not measured · score —"
    )
    done = planned["remotelink:OPS-1:ops/O2.KR1"]["object"]
    assert done["title"] == "O2.KR1 Pages at night · 1.5 % → 20 % · done · score 1.00"  # the label is not doubled
    assert done["status"] == {"resolved": True}
    assert done["icon"]["title"] == "Done"


@pytest.mark.parametrize(
    "value, text",
    [(32.0, "32"), (33.3333, "33.3"), (0.27123, "0.271"), (4.5, "4.5"), (1250.4, "1,250"), (-0.0001, "-0.0001")],
)
def test_values_are_rounded_to_what_a_reader_needs(value: float, text: str) -> None:
    assert rounded(value) == text
    assert rounded(None) == "—"


def test_a_long_title_is_shortened_and_the_numbers_kept() -> None:
    title = link_title("O1.KR2", "x" * 400, status())
    assert len(title) == 255
    assert title.endswith("… · 32 % → 20 % · on track · score 0.40")


def test_the_admin_kr_page_when_the_set_has_no_page_or_its_address_is_not_known_yet() -> None:
    planned = links()
    assert (
        planned["remotelink:SHOP-1:shop/KR2"]["object"]["url"] == "https://okrsync.example.com/admin/sets/shop/krs/KR2"
    )
    assert planned["remotelink:OPS-1:ops/O2.KR1"]["object"]["url"] == (
        "https://okrsync.example.com/admin/sets/ops/krs/O2.KR1"
    )


def test_the_kr_anchor_on_the_set_page_once_its_address_is_known() -> None:
    page = "https://acme.atlassian.net/wiki/spaces/SHOP/pages/65000/Shop+OKRs"
    cloud = links(LinkPlaces(PUBLIC, {"shop": page, "ops": "https://wiki/x"}))
    assert cloud["remotelink:SHOP-1:shop/KR2"]["object"]["url"] == f"{page}#O1.KR2"
    assert cloud["remotelink:OPS-1:ops/O2.KR1"]["object"]["url"].startswith(PUBLIC)  # ops has no page configured
    datacenter_page = "https://wiki.acme.example/display/SHOP/Shop+OKRs"
    datacenter = links(LinkPlaces(PUBLIC, {"shop": datacenter_page}))
    assert datacenter["remotelink:SHOP-1:shop/KR2"]["object"]["url"] == f"{datacenter_page}#ShopOKRs-O1.KR2"
    assert is_cloud_page("https://confluence.acme.example/spaces/SHOP/pages/65000/Shop+OKRs")
    assert not is_cloud_page("https://confluence.acme.example/pages/viewpage.action?pageId=65000")


def test_no_public_address_and_no_page_means_no_link_and_no_icon() -> None:
    page = "https://wiki.example.com/display/SHOP/Shop+OKRs"
    planned = links(LinkPlaces(None, {"shop": page}))
    assert {t.split(":")[2] for t in planned} == {"shop/KR2", "shop/KR3"}  # ops has nowhere to point
    assert "icon" not in planned["remotelink:SHOP-1:shop/KR2"]["object"]


def test_only_the_krs_asked_for_and_none_when_turned_off() -> None:
    assert sorted(links(refs={("ops", "O2.KR1")})) == ["remotelink:OPS-1:ops/O2.KR1"]
    off = CONFIG.replace("version: 1\n", "version: 1\nwriteback: {remote_links: false}\n")
    assert links(config_text=off) == {}


def test_every_health_has_a_16px_icon() -> None:
    for health in HEALTHS:
        svg = health_icon(health)
        assert svg is not None and 'width="16" height="16"' in svg
    assert health_icon("../etc") is None


def test_a_keep_says_its_band_instead_of_a_target() -> None:
    keep = {**status(current=1.0, score=0.0), "health": "off_track", "target": None, "unit": "incidents"}
    keep.update(kind="keep", kind_words="keep ≤ 0: out of band (now 1)")
    title = link_title("O1.KR4", "No SEV1 incident left open", keep)
    assert title == "O1.KR4 No SEV1 incident left open · 1 incident, keep ≤ 0 incidents · off track · score 0.00"
