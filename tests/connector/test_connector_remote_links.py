"""The Jira port's remote issue links over real HTTP: create or replace by globalId, list, delete by globalId;
and the Confluence port's page address, which the links point at."""

from __future__ import annotations

from typing import Any

import pytest

from connector import NotFound

LINK = {
    "globalId": "okrsync:shop/KR1",
    "application": {"type": "com.okrsync", "name": "OKR Sync"},
    "relationship": "contributes to",
    "object": {
        "url": "https://okrsync.example.com/admin/sets/shop/krs/KR1",
        "title": "O1.KR1 Escaped bugs · 20 % → 10 % · at risk · score 0.50",
        "summary": "Objective O1 Dependable checkout · OKR set Shop (shop)",
        "icon": {"url16x16": "https://okrsync.example.com/admin/icons/at_risk.svg", "title": "At risk"},
        "status": {"resolved": False},
    },
}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_link_is_put_replaced_by_its_global_id_and_deleted(
    flavor: str, cloud: Any, datacenter: Any, make_jira: Any
) -> None:
    site = cloud if flavor == "cloud" else datacenter
    jira = make_jira(site, flavor=flavor)
    created = jira.put_remote_link("PAY-1", LINK)
    done = {**LINK, "object": {**LINK["object"], "title": "O1.KR1 done", "status": {"resolved": True}}}
    replaced = jira.put_remote_link("PAY-1", done)
    assert replaced["id"] == created["id"]
    [link] = jira.remote_links("PAY-1")
    assert (link["globalId"], link["object"]["title"], link["object"]["status"]) == (
        "okrsync:shop/KR1",
        "O1.KR1 done",
        {"resolved": True},
    )
    assert link["object"]["summary"] == LINK["object"]["summary"]  # sent as it is, summary and icon included
    jira.delete_remote_link("PAY-1", "okrsync:shop/KR1")
    assert jira.remote_links("PAY-1") == []
    with pytest.raises(NotFound):
        jira.delete_remote_link("PAY-1", "okrsync:shop/KR1")


def test_a_page_knows_its_address(cloud: Any, make_confluence: Any) -> None:
    confluence = make_confluence(cloud)
    created = confluence.create_page("OKR", "Shop OKRs links", "<p>x</p>")
    assert created.url == f"{cloud.url}/wiki/spaces/OKR/pages/{created.id}/Shop+OKRs+links"
    assert confluence.find_page("OKR", "Shop OKRs links").url == created.url
    assert confluence.update_page(created, "<p>y</p>", "m").url == created.url
