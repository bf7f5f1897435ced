"""Owned regions: found through Confluence's rewrites, replaced alone, people's text kept byte for byte."""

from __future__ import annotations

from publish.confluence.regions import find_regions, merge_regions, page_regions, region_macro, regions_equal

A, B, C = region_macro("a", "<p>A1</p>"), region_macro("b", "<p>B1</p>"), region_macro("c", "<p>C1</p>")
NEW = [
    ("a", region_macro("a", "<p>A2</p>")),
    ("b", region_macro("b", "<p>B2</p>")),
    ("c", region_macro("c", "<p>C2</p>")),
]
ABOVE, BETWEEN, BELOW = "<h1>Our plan</h1><p>Above &amp; beyond</p>", "<p>Between <b>us</b></p>", "<p>Below</p>"


def test_people_text_above_between_and_below_is_kept() -> None:
    page = ABOVE + A + BETWEEN + B + BETWEEN + C + BELOW
    merged = merge_regions(page, NEW)
    assert merged == ABOVE + NEW[0][1] + BETWEEN + NEW[1][1] + BETWEEN + NEW[2][1] + BELOW


def test_ten_merges_change_nothing_but_the_regions() -> None:
    page = ABOVE + A + BETWEEN + B + C + BELOW
    for round_ in range(10):
        regions = [(n, region_macro(n, f"<p>{n}{round_}</p>")) for n in "abc"]
        page = merge_regions(page, regions)
        assert page_regions(page) == dict(regions)
    assert page.startswith(ABOVE) and BETWEEN in page and page.endswith(BELOW)


def test_regions_are_found_after_confluence_rewrites_the_markup() -> None:
    rewritten = (
        '<p>x</p><ac:structured-macro ac:macro-id=\'1f0c\' ac:schema-version="1" ac:name="details">\n  '
        "<ac:parameter ac:name='hidden'>false</ac:parameter>\n  <ac:parameter ac:name=\"id\"> okrsync-a </ac:parameter>"
        '<ac:rich-text-body><p>old</p><ac:structured-macro ac:name="status"><ac:parameter ac:name="title">X'
        "</ac:parameter></ac:structured-macro></ac:rich-text-body></ac:structured-macro><p>y</p>"
    )
    assert [s.name for s in find_regions(rewritten)] == ["a"]
    assert merge_regions(rewritten, NEW[:1]) == "<p>x</p>" + NEW[0][1] + "<p>y</p>"


def test_other_macros_and_lookalike_text_are_not_regions() -> None:
    page = (
        '<ac:structured-macro ac:name="details"><ac:parameter ac:name="id">team-facts</ac:parameter>'
        "<ac:rich-text-body><p>ours</p></ac:rich-text-body></ac:structured-macro>"
        '<p>okrsync-a is mentioned here</p><ac:structured-macro ac:name="toc"/>'
    )
    assert find_regions(page) == []
    assert merge_regions(page, NEW[:1]) == page + NEW[0][1]


def test_a_region_a_person_deleted_comes_back_after_its_predecessor() -> None:
    merged = merge_regions(ABOVE + A + BETWEEN + C + BELOW, NEW)
    assert merged == ABOVE + NEW[0][1] + NEW[1][1] + BETWEEN + NEW[2][1] + BELOW


def test_a_new_first_region_goes_before_the_first_present_one() -> None:
    merged = merge_regions(ABOVE + B + BELOW, NEW[:2])
    assert merged == ABOVE + NEW[0][1] + NEW[1][1] + BELOW


def test_regions_no_longer_rendered_and_copies_are_removed() -> None:
    merged = merge_regions(ABOVE + A + BETWEEN + B + A + BELOW, NEW[:1])
    assert merged == ABOVE + NEW[0][1] + BETWEEN + BELOW


def test_a_region_moved_into_a_layout_is_still_replaced_in_place() -> None:
    page = f"<ac:layout><ac:layout-section><ac:layout-cell>{A}</ac:layout-cell></ac:layout-section></ac:layout>"
    assert merge_regions(page, NEW[:1]) == page.replace(A, NEW[0][1])


def test_regions_equal_ignores_the_volatile_stamp_only() -> None:
    page = ABOVE + A + B
    assert regions_equal(page, [("a", A), ("b", B)])
    assert regions_equal(page, [("a", NEW[0][1]), ("b", B)], ignore=frozenset({"a"}))
    assert not regions_equal(page, [("a", A), ("b", NEW[1][1])], ignore=frozenset({"a"}))
    assert not regions_equal(page + B, [("a", A), ("b", B)])
