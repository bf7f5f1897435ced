"""Which remote links the service wrote, and which of them are no longer wanted (a real Redis)."""

from __future__ import annotations

import redis

from publish.jira import Write
from sync.jira_writer import WRITTEN
from sync.remote_links import LinkRecord, RemoteLinkStore, stale_links

EPIC = LinkRecord("SHOP-1", "okrsync:shop/KR1", ("shop", "KR1"))
OTHER = LinkRecord("SHOP-2", "okrsync:ops/KR9", ("ops", "KR9"))
RECORDED = {"remotelink:SHOP-1:shop/KR1": EPIC, "remotelink:SHOP-2:ops/KR9": OTHER}


def test_a_link_not_wanted_is_stale_only_among_the_krs_looked_at() -> None:
    assert stale_links(RECORDED, {"remotelink:SHOP-1:shop/KR1"}, None) == [("remotelink:SHOP-2:ops/KR9", OTHER)]
    assert stale_links(RECORDED, set(), {("shop", "KR1")}) == [("remotelink:SHOP-1:shop/KR1", EPIC)]
    assert stale_links(RECORDED, set(), None, kept={("ops", "KR9")}) == [("remotelink:SHOP-1:shop/KR1", EPIC)]


def test_links_are_remembered_and_forgotten_with_their_written_digest(connection: redis.Redis) -> None:
    store = RemoteLinkStore(connection)
    link = {"globalId": "okrsync:shop/KR1", "object": {"url": "https://x", "title": "t"}}
    store.remember([Write("remotelink:SHOP-1:shop/KR1", "remote_link", "SHOP-1", link, link)])
    assert store.all() == {"remotelink:SHOP-1:shop/KR1": EPIC}
    connection.hset(WRITTEN, "remotelink:SHOP-1:shop/KR1", "digest")
    store.forget("remotelink:SHOP-1:shop/KR1")
    assert store.all() == {} and connection.hget(WRITTEN, "remotelink:SHOP-1:shop/KR1") is None
