"""A link heard of before the issue it points at: kept, and applied with that issue's first state."""

from __future__ import annotations

from typing import Any

import redis

from sync import keys
from sync.mirror import PENDING_SECONDS, RedisMirror


def issue(number: int, **fields: Any) -> dict[str, Any]:
    return {"id": str(number), "key": f"PLAT-{number}", "project": "PLAT", "links": [], **fields}


def link(link_id: str, key: str) -> dict[str, str]:
    return {"id": link_id, "type": "Relates", "direction": "inward", "key": key}


def test_a_link_that_overtakes_its_issue_is_applied_when_the_issue_arrives(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    assert not mirror.set_link("7", "100", link("100", "PLAT-6"))  # PLAT-7 not mirrored yet
    assert not mirror.set_link("7", "101", link("101", "PLAT-5"))
    assert not mirror.set_link("7", "101", None)  # and one of them removed again before it arrived
    assert 0 < connection.ttl(keys.MIRROR_PENDING_LINKS_PREFIX + "7") <= PENDING_SECONDS
    assert mirror.upsert(issue(7), 1)
    assert [x["key"] for x in mirror.get("7")["links"]] == ["PLAT-6"]
    assert not connection.exists(keys.MIRROR_PENDING_LINKS_PREFIX + "7")
    assert not mirror.upsert(issue(7), 1)  # the same state again (a redelivery) does not drop the link
    assert [x["key"] for x in mirror.get("7")["links"]] == ["PLAT-6"]


def test_a_batch_of_states_takes_the_links_waiting_for_its_issues(connection: redis.Redis) -> None:
    mirror = RedisMirror(connection)
    mirror.set_link("8", "200", link("200", "PLAT-6"))
    stored = mirror.upsert_events([(issue(8), 1), (issue(9), 1)])
    assert [was for was, _ in stored] == [True, True]
    assert [x["id"] for x in mirror.get("8")["links"]] == ["200"] and mirror.get("9")["links"] == []
    assert not connection.exists(keys.MIRROR_PENDING_LINKS_PREFIX + "8")
