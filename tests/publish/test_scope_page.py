"""The OKR page through the whole product with Confluence: an unfinished epic dropped from a KR's
contributors is shown as descoped work, and its delivery does not rise."""

from __future__ import annotations

from typing import Any

from publish.confluence.regions import page_regions
from tests.conftest import QUEUE
from tests.publish.stack import wait_for
from tests.support.waiting import settle

IN_PROGRESS = "3"


def _objective_region(stack: dict[str, Any]) -> str:
    found = stack["confluence"].find_page("OKR", "Shop OKRs")
    return "" if found is None else page_regions(found.body).get("objective-O1", "")


def test_an_unfinished_epic_dropped_from_a_kr_is_shown_as_descoped_on_the_page(pages_stack, connection) -> None:
    wait_for(lambda: "1 of 1 epic done" in _objective_region(pages_stack), what="the first page")
    jira = pages_stack["jira"].client
    jira.post("rest/api/2/issue/SHOP-1/transitions", data={"transition": {"id": IN_PROGRESS}})
    wait_for(lambda: "0 of 1 epic done" in _objective_region(pages_stack), what="the epic reopened on the page")
    settle(connection, pages_stack["emulator"], queue_name=QUEUE)

    pages_stack["jira"].update_fields("SHOP-1", {"labels": []})  # the unfinished epic quietly leaves
    wait_for(lambda: "1 descoped (SHOP-1 on" in _objective_region(pages_stack), what="the descoped epic")
    region = _objective_region(pages_stack)
    assert "0 of 1 epic done" in region and "DESCOPED WORK" in region
    assert "Traceback" not in pages_stack["log"].read_text()
