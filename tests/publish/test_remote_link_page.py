"""A KR's remote link points at the KR on its set's Confluence page once the page's address is known:
the emulator's Jira and Confluence, a real worker and scheduler."""

from __future__ import annotations

import requests

from tests.conftest import QUEUE
from tests.publish.stack import wait_for
from tests.publish.test_end_to_end import page, set_escaped
from tests.support.waiting import settle


def test_the_link_leads_to_the_krs_anchor_on_the_set_page(pages_stack, connection) -> None:
    created = wait_for(lambda: page(pages_stack), what="the page to be created")
    assert created.url and created.url.startswith(pages_stack["site_url"])
    assert '<ac:structured-macro ac:name="anchor" ac:schema-version="1"><ac:parameter ac:name="">O1.KR1' in (
        created.body
    )
    settle(connection, pages_stack["emulator"], queue_name=QUEUE)
    set_escaped(pages_stack, 3)  # the KR moves once the page is known: its link is written with the page's address
    settle(connection, pages_stack["emulator"], queue_name=QUEUE)
    [link] = pages_stack["jira"].remote_links("SHOP-1")
    assert link["object"]["url"] == f"{created.url}#O1.KR1"
    assert "icon" not in link["object"]  # no public address configured: Jira shows its default link icon
    shown = requests.get(created.url, timeout=5)
    assert shown.status_code == 200 and 'id="O1.KR1"' in shown.text  # the emulator's viewer has the anchor
