"""Confluence's chart macro on the pages: well-formed storage format, the parameters Confluence reads,
and a table that is the recorded history (a KR) or the ranked clusters (a problem program)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from datetime import UTC, datetime

from emulator.viewer import render_storage
from okr.evaluate import evaluate_config, evaluation_input
from okr.report import Report
from publish.confluence.chart_tables import cell
from sync.confluence_writer import publish_pages
from sync.history import record_readings
from tests.publish.sample import AT, HISTORY, documents, review_page, set_page

AC, RI = "http://atlassian.com/content", "http://atlassian.com/resource/identifier"


def charts(storage: str) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{storage}</root>')
    return root.findall(f".//{{{AC}}}structured-macro[@{{{AC}}}name='chart']")


def parameters(macro: ElementTree.Element) -> dict[str, str]:
    return {p.get(f"{{{AC}}}name", ""): p.text or "" for p in macro.findall(f"{{{AC}}}parameter")}


def table(macro: ElementTree.Element) -> list[list[str]]:
    body = macro.find(f"{{{AC}}}rich-text-body/table")
    assert body is not None, "the chart macro's body holds its table"
    return [["".join(c.itertext()) for c in row] for row in body.iter("tr")]


def test_the_okr_page_charts_each_kr_from_its_recorded_history() -> None:
    page = set_page()
    (macro,) = charts(page.new_page_body())
    assert parameters(macro) == {
        "type": "line",
        "title": "O1.KR1: value over the cycle",
        "dataOrientation": "vertical",
        "legend": "true",
        "yLabel": "%",
        "width": "640",
        "height": "300",
    }
    rows = table(macro)
    assert rows[0] == ["Day", "value", "baseline", "target", "expected"]
    recorded = {f"{at.day} {at:%b}": value for at, value in HISTORY}  # a day's last value
    assert [(r[0], r[1]) for r in rows[1:]] == [(day, cell(v)) for day, v in recorded.items()]
    assert {(r[2], r[3]) for r in rows[1:]} == {("40", "10")}
    expected = [float(r[4]) for r in rows[1:]]
    assert expected == sorted(expected, reverse=True) and 10 < expected[-1] < expected[0] < 40  # 40 → 10 with time


def test_a_kr_without_two_recorded_days_has_no_chart_and_the_block_trend_is_gone() -> None:
    page = set_page(history={"O1.KR1": HISTORY[:2]})  # two moves, one day
    body = page.new_page_body()
    assert charts(body) == [] and "▁" not in body and "▅" not in body  # the sparkline characters


def test_the_review_page_charts_its_top_clusters() -> None:
    (macro,) = charts(review_page().new_page_body())
    assert parameters(macro)["type"] == "bar" and parameters(macro)["orientation"] == "horizontal"
    rows = table(macro)
    assert rows[0] == ["Cluster", "problems in the window"]
    assert rows[1:] == [["system · Search", "2"], ["system · Deploy", "4"]]  # ranked: candidates first


def test_the_chart_table_holds_numbers_the_macro_reads() -> None:
    assert [cell(v) for v in (22.5, 40.0, 38.4912, None, float("nan"), -0.0)] == ["22.5", "40", "38.49", "", "", "0"]


def test_the_emulator_viewer_draws_the_chart_macro() -> None:
    shown = render_storage(set_page().new_page_body())
    assert shown.count('<figure class="chart"') == 1 and "<svg" in shown and "<script" not in shown
    figure = shown[shown.index('<figure class="chart"') : shown.index("</figure>")]
    for name in ("value", "baseline", "target", "expected", "5 Oct", "10 Nov"):
        assert f">{name}<" in figure, name
    assert "[chart macro" not in shown


def test_the_viewer_says_when_a_chart_macro_has_nothing_to_draw() -> None:
    empty = (
        '<ac:structured-macro ac:name="chart"><ac:rich-text-body><p>no table</p></ac:rich-text-body>'
        "</ac:structured-macro>"
    )
    assert "holds no table" in render_storage(empty)
    words = (
        '<ac:structured-macro ac:name="chart"><ac:rich-text-body><table><tr><th>a</th><th>b</th></tr>'
        "<tr><td>x</td><td>y</td></tr></table></ac:rich-text-body></ac:structured-macro>"
    )
    assert "holds no number" in render_storage(words)


def test_the_viewer_reads_confluences_default_horizontal_tables() -> None:
    storage = (
        '<ac:structured-macro ac:name="chart"><ac:parameter ac:name="type">bar</ac:parameter>'
        "<ac:rich-text-body><table><tr><th>Fish</th><th>2004</th><th>2005</th></tr>"
        "<tr><td>Herring</td><td>9,500</td><td>8,300</td></tr><tr><td>Tuna</td><td>1,500</td><td>1,500</td></tr>"
        "</table></ac:rich-text-body></ac:structured-macro>"
    )
    shown = render_storage(storage)
    assert ">Herring<" in shown and ">Tuna<" in shown and ">2004<" in shown


def test_the_written_page_charts_the_readings_recorded_in_redis(page_runtime, confluence) -> None:
    config = page_runtime.config_store.current()
    assert config is not None
    given = evaluation_input(AT, config, documents())
    report = Report.from_dict(evaluate_config(config, given))
    recorded = [(datetime(2026, 10, 6, 9, tzinfo=UTC), 35.0), (datetime(2026, 10, 27, 9, tzinfo=UTC), 25.0)]
    now = report.find("shop", "O1.KR1")
    assert now is not None and now.current is not None
    recorded.append((AT, now.current))
    for at, value in recorded:
        record_readings(page_runtime.redis, config, with_value(replace(report, at=at.isoformat()), value), {})
    publish_pages(page_runtime, config, report, AT, given=given, trigger={"kind": "webhook"})
    (macro,) = charts(confluence.titled("Shop OKRs").body)
    rows = table(macro)[1:]
    assert [(r[0], r[1]) for r in rows] == [(f"{at.day} {at:%b}", cell(value)) for at, value in recorded]


def with_value(report: Report, value: float | None) -> Report:
    """``report`` with O1.KR1 of the shop set reading ``value``."""
    sets = []
    for okr_set in report.okr_sets:
        objectives = [
            replace(o, key_results=tuple(replace(k, current=value) if k.id == "O1.KR1" else k for k in o.key_results))
            for o in okr_set.objectives
        ]
        sets.append(replace(okr_set, objectives=tuple(objectives)))
    return replace(report, okr_sets=tuple(sets))
