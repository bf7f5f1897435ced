"""The admin pages without a browser: sign-in, session cookie, CSRF, what each page says."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import redis
from flask.testing import FlaskClient

from okrsync.admin.context import admin_context
from okrsync.admin.document import apply_config_text
from okrsync.app import create_app
from okrsync.settings import Settings
from sync.config_store import ConfigStore
from tests.okrsync.admin.conftest import ADMIN_TOKEN, mirror_issues, recompute


def csrf_of(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token in the form"
    return found.group(1).decode()


def sign_in(client: FlaskClient, token: str = ADMIN_TOKEN, next_page: str | None = None):
    form = {"token": token, "csrf_token": csrf_of(client.get("/admin/signin").data)}
    if next_page:
        form["next"] = next_page
    return client.post("/admin/signin", data=form)


def test_pages_need_a_sign_in(api: FlaskClient) -> None:
    answer = api.get("/admin/health")
    assert answer.status_code == 302 and "/admin/signin?next=/admin/health" in answer.headers["Location"]


def test_sign_in_sets_a_protected_session_cookie(api: FlaskClient) -> None:
    answer = sign_in(api)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert api.get("/admin/").status_code == 200


def test_cookie_is_secure_behind_https(admin_settings: Settings, connection: redis.Redis) -> None:
    settings = admin_settings.model_copy(update={"public_url": "https://okrsync.example.com"})
    client = create_app(settings, connection=connection).test_client()
    assert "Secure" in sign_in(client).headers["Set-Cookie"]


def test_a_wrong_token_is_refused_and_the_read_token_cannot_sign_in(api: FlaskClient) -> None:
    assert sign_in(api, "wrong").status_code == 401
    assert sign_in(api, "read-token-for-tests-0123456789").status_code == 401
    assert api.get("/admin/").status_code == 302


def test_sign_in_never_redirects_off_site(api: FlaskClient) -> None:
    assert sign_in(api, next_page="https://evil.example/").headers["Location"] == "/admin/"
    assert sign_in(api, next_page="/admin/health").headers["Location"] == "/admin/health"


def test_forms_without_the_session_csrf_token_are_refused(api: FlaskClient, configured: str) -> None:
    sign_in(api)
    answer = api.post("/admin/mappings/shop", data={"projects": "SHOP, PAY", "csrf_token": "forged"})
    assert answer.status_code == 400 and b"Reload the page" in answer.data
    assert ConfigStore(api.application.extensions["okrsync_admin"].redis).revision() == 1


def test_sign_in_form_without_its_csrf_token_is_refused(api: FlaskClient) -> None:
    api.get("/admin/signin")
    assert api.post("/admin/signin", data={"token": ADMIN_TOKEN}).status_code == 400


def test_without_an_admin_token_the_sign_in_page_names_the_setting(tmp_path, connection: redis.Redis) -> None:
    settings = Settings(webhook_secret="s", data_dir=tmp_path, _env_file=None)
    answer = create_app(settings, connection=connection).test_client().get("/admin/signin")
    assert answer.status_code == 503 and b"OKRSYNC_ADMIN_TOKEN" in answer.data


def test_overview_says_plainly_when_nothing_is_evaluated_yet(api: FlaskClient, configured: str) -> None:
    sign_in(api)
    page = api.get("/admin/").data
    assert b"No evaluation yet" in page and b"Dependable checkout" in page


def test_overview_kr_detail_health_and_problems_after_an_evaluation(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    mirror_issues(connection)
    recompute(connection)
    sign_in(api)
    overview = api.get("/admin/").data.decode()
    assert "Evaluated at" in overview and 'style="width: 33%"' in overview and "on track" in overview
    detail = api.get("/admin/sets/shop/krs/KR1").data.decode()
    assert (
        "Provenance" in detail
        and "10 issues, counted by the service from the mirror" in detail
        and 'id="charts"' in detail
    )
    assert '<ul class="small" id="counted-issues"><li>SHOP-1 Bug SHOP-1</li>' in detail and "issue(s)" not in detail
    assert api.get("/admin/sets/shop/krs/nope").status_code == 404
    assert b"SHOP-1" in api.get("/admin/health").data
    assert b"No problem programs configured" in api.get("/admin/problems").data


def test_the_kr_page_lists_changes_of_its_definition_with_who_and_when(
    api: FlaskClient, admin_settings: Settings, configured: str, connection: redis.Redis
) -> None:
    runtime = admin_context(admin_settings, connection).runtime
    apply_config_text(runtime, configured.replace("target: 10", "target: 12", 1), "alice", source="okrs.yaml")
    sign_in(api)
    detail = api.get("/admin/sets/shop/krs/KR1").data.decode()
    now = datetime.now(UTC)
    assert "Definition changes" in detail and f"target changed on {now.day} {now:%b %Y} from 10 to 12 (alice)" in detail


def test_people_show_by_the_display_names_looked_up_and_roles_on_the_kr_page(
    api: FlaskClient, admin_settings: Settings, configured: str, connection: redis.Redis
) -> None:
    from sync.people import PEOPLE, CachedName

    runtime = admin_context(admin_settings, connection).runtime
    roled = configured.replace(
        "            owner: bob@example.com\n",
        "            owner: bob@example.com\n            roles: {consulted: [carol@example.com]}\n",
    )
    apply_config_text(runtime, roled, "alice", source="okrs.yaml")
    connection.hset(PEOPLE, "alice@example.com", CachedName("Alice Park", True, 0).to_json())
    connection.hset(PEOPLE, "bob@example.com", CachedName("bob@example.com (unknown user)", False, 0).to_json())
    sign_in(api)
    overview = api.get("/admin/").data.decode()
    assert "Alice Park" in overview and "bob@example.com (unknown user)" in overview
    detail = api.get("/admin/sets/shop/krs/KR1").data.decode()
    assert (
        "Roles" in detail
        and "consulted: carol@example.com" in detail
        and "responsible: bob@example.com (unknown user)" in detail
    )


def test_an_invalid_mapping_is_not_saved_and_the_error_names_the_field(api: FlaskClient, configured: str) -> None:
    sign_in(api)
    form = {
        "csrf_token": csrf_of(api.get("/admin/mappings").data),
        "projects": "SHOP",
        "contributors:O1:KR1": "project = SHOP AND ((",
    }
    answer = api.post("/admin/mappings/shop", data=form)
    assert answer.status_code == 422
    assert b"okr_sets[0].objectives[0].key_results[0].contributors" in answer.data
    assert ConfigStore(api.application.extensions["okrsync_admin"].redis).revision() == 1


def test_a_valid_mapping_is_saved(api: FlaskClient, configured: str, connection: redis.Redis) -> None:
    sign_in(api)
    form = {
        "csrf_token": csrf_of(api.get("/admin/mappings").data),
        "projects": "shop pay",
        "contributors:O1:KR1": "SHOP-20, shop-21",
        "contributors:O1:KR2": "",
    }
    answer = api.post("/admin/mappings/shop", data=form)
    assert answer.status_code == 302
    config = ConfigStore(connection).current()
    assert config is not None and config.okr_sets[0].projects == ["SHOP", "PAY"]
    assert config.okr_sets[0].objectives[0].key_results[0].contributors.epics == ["SHOP-20", "SHOP-21"]
    assert ConfigStore(connection).info()["author"] == "admin"


def test_a_pushed_kr_says_who_pushed_its_value_and_its_definition_by_number(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    recompute(connection)
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    pushed = api.post("/api/v1/metrics/conversion/measurements", headers=bearer, json={"value": 2.5, "source": "dwh"})
    assert pushed.status_code == 201
    recompute(connection)
    sign_in(api)
    detail = api.get("/admin/sets/shop/krs/KR2").data.decode()
    assert '<td id="evaluated">1 measurement pushed by dwh, at ' in detail
    assert re.search(r'<span title="v-[0-9a-f]+">definition v1 \(since \d+ \w{3}\)</span>', detail)
    assert 'id="counted-issues"' not in detail  # a pushed value counts no issues
