"""The weekly digest and the monthly review, rendered (pure): well-formed storage format, the sections
in order, flags looked up by name, lights in status colours, the previous review, the people's part."""

from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta

from mapping.loader import load_config_text
from okr.history import Reading
from okr.report import KeyResultReport, SetReport
from publish.confluence.cadence_pages import (
    DECISIONS,
    SECTIONS,
    DigestInput,
    KrWeek,
    OverdueAp,
    PreviousReview,
    ReviewInput,
    digest_comment,
    digest_page,
    flagged,
    review_figures,
    review_page,
)
from publish.confluence.regions import page_regions
from tests.publish.sample import AT, CONFIG, HOSTILE, evaluated
from tests.publish.test_render import parsed

ROLES_CONFIG = CONFIG.replace(
    "            owner: qa@example.com\n",
    "            owner: [qa@example.com, ghost-1]\n"
    "            accountable: qa@example.com\n"
    "            roles: {consulted: [pm@example.com], informed: [lead@example.com]}\n",
)


def set_result() -> SetReport:
    _, _, report = evaluated()
    return SetReport.from_dict(report["okr_sets"][0])


def kr_results() -> list[KeyResultReport]:
    return [kr for o in set_result().objectives for kr in o.key_results]


def reading(value: float | None, health: str) -> Reading:
    return Reading(
        at=(AT - timedelta(days=8)).isoformat(),
        value=value,
        forecast=None,
        progress=None,
        score=None,
        health=health,
        flags=(),
        version=None,
        count=0,
        delivery=None,
        trigger={},
    )


def week(krs: tuple[KrWeek, ...], title: str = "Shop OKRs", aps: tuple[OverdueAp, ...] = ()) -> DigestInput:
    return DigestInput(
        set_name="Shop & Payments <Q4>",
        page_title=title,
        period="2026-W46",
        at=AT,
        tz=UTC,
        since=AT - timedelta(days=7),
        krs=krs,
        overdue_aps=aps,
    )


def test_the_digest_is_well_formed_with_one_region_per_section() -> None:
    kr1, kr2 = kr_results()
    page = digest_page(
        week(
            (
                KrWeek("O1.KR1", "Escaped defects", kr1, reading(40.0, "off_track"), "%"),
                KrWeek("O1.KR2", "Repeat", kr2, None),
            ),
            aps=(OverdueAp("Platform reverse-drive", "PLAT-9", "https://acme.atlassian.net/browse/PLAT-9"),),
        )
    )
    assert page.title == "Shop OKRs — week 2026-W46"
    parsed(page.new_page_body())
    regions = page_regions(page.new_page_body())
    assert list(regions) == [
        "header",
        "digest-moved",
        "digest-no-checkin",
        "digest-stale",
        "digest-target-missed",
        "digest-descoped-work",
        "digest-confidence-disagrees",
        "digest-overdue-aps",
    ]
    assert f"value 40% → {kr1.current:g}%" in regions["digest-moved"]
    assert "health off track →" in regions["digest-moved"]
    assert "O1.KR2" not in regions["digest-moved"]  # unmeasured then and now: nothing moved
    assert 'href="https://acme.atlassian.net/browse/PLAT-9"' in regions["digest-overdue-aps"]
    assert "Platform reverse-drive" in regions["digest-overdue-aps"]


def test_a_flag_is_listed_by_name_once_a_kr_carries_it() -> None:
    kr1, kr2 = kr_results()
    flagged_kr = dataclasses.replace(kr1, flags=(*kr1.flags, "no_checkin", "confidence_disagrees"))
    regions = page_regions(
        digest_page(
            week((KrWeek("O1.KR1", "Escaped", flagged_kr, None), KrWeek("O1.KR2", "Repeat", kr2, None)))
        ).new_page_body()
    )
    assert "O1.KR1" in regions["digest-no-checkin"] and "O1.KR2" not in regions["digest-no-checkin"]
    assert "O1.KR1" in regions["digest-confidence-disagrees"]
    assert "NO CHECK-IN" in regions["digest-no-checkin"]
    assert "No key result is flagged" in page_regions(digest_page(week(())).new_page_body())["digest-no-checkin"]


def test_a_section_is_one_function_of_the_week() -> None:
    kr1, _ = kr_results()
    extra = flagged("decision_due", "Decisions due", "No decision is due.")
    sections = (*SECTIONS, extra)
    stuck = dataclasses.replace(kr1, flags=("decision_due",))
    page = digest_page(week((KrWeek("O1.KR1", "Escaped", stuck, None),)), sections)
    assert list(page_regions(page.new_page_body()))[-1] == "digest-decision-due"


def test_hostile_text_in_the_digest_is_text() -> None:
    kr1, _ = kr_results()
    page = digest_page(week((KrWeek("O1.KR1", HOSTILE, kr1, reading(1.0, "at_risk")),), title=HOSTILE))
    body = page.new_page_body()
    parsed(body)
    assert '<ac:structured-macro ac:name="html">' not in body


def test_the_digest_comment_counts_each_section() -> None:
    kr1, _ = kr_results()
    text = digest_comment(week((KrWeek("O1.KR1", "Escaped", kr1, reading(40.0, "off_track")),)))
    assert text.startswith("OKR Sync weekly digest, week 2026-W46: what moved since 8 Nov 2026: 1")
    assert "“Shop OKRs — week 2026-W46”" in text


def review(previous: PreviousReview | None = None, names: dict[str, str] | None = None) -> ReviewInput:
    cfg = load_config_text(ROLES_CONFIG)
    return ReviewInput(
        okr_set=cfg.okr_sets[0],
        result=set_result(),
        page_title="Shop OKRs",
        month="2026-11",
        at=AT,
        tz=UTC,
        previous=previous,
        names=names or {},
    )


def test_the_review_shows_lights_in_status_colours_and_the_people_part_after_the_panels() -> None:
    page = review_page(review())
    body = page.new_page_body()
    parsed(body)
    assert page.title == "Shop OKRs — review 2026-11"
    assert list(page_regions(body)) == ["header", "review-lights", "review-roles"]
    lights = page_regions(body)["review-lights"]
    result = set_result()
    colour = {"on_track": "Green", "at_risk": "Yellow", "off_track": "Red"}.get(result.objectives[0].health, "")
    assert f'<ac:parameter ac:name="colour">{colour}</ac:parameter>' in lights
    assert "first review: there is nothing earlier to compare with" in lights
    assert body.endswith(f"<h2>{DECISIONS}</h2><p />")  # outside every region: the people's
    assert all(f"{DECISIONS}</h2>" not in markup for markup in page_regions(body).values())


def test_the_review_compares_with_the_previous_one() -> None:
    figures = review_figures(set_result())
    kr1 = figures["O1/O1.KR1"]
    before = {**figures, "O1/O1.KR1": {"score": (kr1["score"] or 0) - 0.25, "health": "off_track"}}
    lights = page_regions(review_page(review(PreviousReview("2026-10", before))).new_page_body())["review-lights"]
    assert "Compared with the previous review (2026-10)." in lights
    assert "(+0.25)" in lights and "off track" in lights


def test_shared_krs_show_owners_and_roles_by_display_name() -> None:
    names = {"qa@example.com": "Quinn Q", "ghost-1": "ghost-1 (unknown user)", "pm@example.com": "Pat M"}
    roles = page_regions(review_page(review(names=names)).new_page_body())["review-roles"]
    assert "Quinn Q (accountable), ghost-1 (unknown user)" in roles
    assert "accountable: Quinn Q" in roles and "consulted: Pat M" in roles and "informed: lead@example.com" in roles
    assert "O1.KR2" not in roles  # no one named on it: not shared


def test_the_review_is_frozen_so_nothing_in_it_is_volatile() -> None:
    page = review_page(review())
    assert page.volatile == frozenset() and page.content_digest == review_page(review()).content_digest


def test_stale_values_say_why_each_is_stale() -> None:
    kr1, kr2 = kr_results()
    pushed = dataclasses.replace(kr1, flags=("stale",), evaluated="local")
    queried = dataclasses.replace(kr2, flags=("stale",), evaluated="sql")
    krs = (KrWeek("O1.KR1", "Conversion", pushed, None), KrWeek("O1.KR2", "Revenue", queried, None))
    stale = page_regions(digest_page(week(krs)).new_page_body())["digest-stale"]
    assert "Stale values" in stale
    assert "Conversion · its pushed value is older than its metric allows" in stale
    assert "Revenue · its warehouse query failed; the last value is kept" in stale
    assert "No value is stale." in page_regions(digest_page(week(())).new_page_body())["digest-stale"]
