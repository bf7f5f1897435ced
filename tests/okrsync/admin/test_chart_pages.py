"""The admin pages' charts: drawn into the page, each style of theirs allowed by its hash and no other."""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ElementTree

import redis
from flask.testing import FlaskClient

from okrsync.admin.charts import program_chart, set_progress_chart
from tests.okrsync.admin.conftest import mirror_issues, recompute
from tests.okrsync.admin.test_pages import sign_in

SVG = "{http://www.w3.org/2000/svg}"


def digest(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def svgs(page: str) -> list[ElementTree.Element]:
    found, start = [], page.find("<svg")
    while start >= 0:
        end = page.index("</svg>", start) + len("</svg>")
        found.append(ElementTree.fromstring(page[start:end]))
        start = page.find("<svg", end)
    return found


def test_the_kr_page_and_the_overview_draw_charts_their_policy_allows(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    mirror_issues(connection)
    recompute(connection)
    sign_in(api)
    for path, chart_ids in (
        ("/admin/sets/shop/krs/KR1", {"chart-kr", "chart-delivery"}),
        ("/admin/", {"chart-progress-shop"}),
    ):
        answer = api.get(path)
        page, policy = answer.data.decode(), answer.headers["Content-Security-Policy"]
        drawn = svgs(page)
        assert {svg.get("id") for svg in drawn} >= chart_ids, path
        for svg in drawn:
            assert svg.find(f".//{SVG}script") is None
            for style in svg.iter(f"{SVG}style"):
                assert digest(style.text or "") in policy, path
        assert "script-src" not in policy and "'unsafe-inline'" not in policy


def test_a_kr_page_names_its_chart_series(api: FlaskClient, configured: str, connection: redis.Redis) -> None:
    mirror_issues(connection)
    recompute(connection)
    sign_in(api)
    page = api.get("/admin/sets/shop/krs/KR1").data.decode()
    (chart,) = [svg for svg in svgs(page) if svg.get("id") == "chart-kr"]
    legend = ["".join(g.itertext()) for g in chart.iter(f"{SVG}g") if "legend" in (g.get("class") or "").split()]
    assert legend == ["value", "baseline", "target", "expected"]
    assert "Not enough values" not in page


def test_the_overview_and_problem_charts_name_krs_and_clusters_as_people_read_them() -> None:
    card = {
        "id": "shop",
        "name": "Shop",
        "expected": 0.5,
        "objectives": [
            {"id": "O1", "key_results": [{"id": "KR1", "score": 0.25}, {"id": "O1.KR2", "score": 0.75}]},
        ],
    }
    chart = set_progress_chart(card)
    assert chart is not None and ">O1 KR1<" in chart.svg and ">O1.KR2<" in chart.svg and "O1 O1.KR2" not in chart.svg
    result = {"id": "ops", "clusters": [{"category": "system", "theme": "deploy", "frequency": 4}]}
    drawn = program_chart(result, "56 days")
    assert drawn is not None and ">system · deploy<" in drawn.svg and 'id="chart-clusters-ops"' in drawn.svg
    assert program_chart(None, "56 days") is None and program_chart({"id": "ops", "clusters": []}, "56 days") is None
