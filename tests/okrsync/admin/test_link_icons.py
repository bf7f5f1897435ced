"""The addresses the service's remote links use: the health icons (public: Jira's viewers fetch them) and
the admin KR page."""

from __future__ import annotations

from flask.testing import FlaskClient

from okrsync.admin.health import issue_of_target
from publish.remote_links import HEALTHS, ICON_PATH, KR_PAGE_PATH
from tests.okrsync.admin.test_pages import sign_in


def test_every_health_icon_is_served_without_a_sign_in(api: FlaskClient) -> None:
    for health in HEALTHS:
        answer = api.get(ICON_PATH.format(health=health))
        assert answer.status_code == 200, health
        assert answer.mimetype == "image/svg+xml" and b'width="16" height="16"' in answer.data


def test_an_unknown_health_icon_is_a_404_that_names_the_known_ones(api: FlaskClient) -> None:
    answer = api.get(ICON_PATH.format(health="purple"))
    assert answer.status_code == 404
    assert b"purple" in answer.data and b"on_track" in answer.data


def test_the_kr_page_a_link_leads_to_is_the_admin_kr_page(api: FlaskClient, configured: str) -> None:
    sign_in(api)
    answer = api.get(KR_PAGE_PATH.format(set="shop", kr="KR1"))
    assert answer.status_code == 200 and b"KR1" in answer.data


def test_a_remote_link_target_counts_for_its_issue_in_the_status() -> None:
    assert issue_of_target("remotelink:SHOP-1:shop-q4/KR1") == "SHOP-1"
    assert issue_of_target("property:SHOP-20") == "SHOP-20"
