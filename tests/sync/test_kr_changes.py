"""Changes of a KR's baseline, target, metric or kind between applied configurations: recorded with
who and when, and shown in words on the admin KR page and the OKR page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
import yaml

from okr.kr_changes import KrChange, kr_changes
from okr.report import SetReport
from publish.confluence.okr_page import okr_set_page
from publish.kr_changes import change_text
from sync.config_store import ConfigStore
from sync.kr_changes import kr_changes_of, kr_changes_of_set
from tests.publish.sample import context, evaluated

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIRST = datetime(2026, 10, 1, 9, tzinfo=UTC)
LATER = datetime(2026, 11, 3, 10, tzinfo=UTC)
SEV1 = ("company-q4", "O3.KR2")  # a cap: SEV1 incidents this quarter down from 6 to 2


def _example(**changes: object) -> str:
    """The example configuration with the SEV1 KR's fields changed."""
    document = yaml.safe_load((EXAMPLES / "okrs.yaml").read_text())
    document["okr_sets"][0]["objectives"][2]["key_results"][1].update(changes)
    return yaml.safe_dump(document, allow_unicode=True)


def test_the_first_configuration_records_no_change(connection: redis.Redis) -> None:
    ConfigStore(connection).apply(_example(), "okrs.yaml", "alice", FIRST)
    assert kr_changes_of(connection, *SEV1) == []


def test_a_changed_target_is_recorded_with_who_and_when(connection: redis.Redis) -> None:
    store = ConfigStore(connection)
    store.apply(_example(), "okrs.yaml", "alice", FIRST)
    store.apply(_example(target=3), "okrs.yaml", "bob", LATER)
    store.apply(_example(target=3), "okrs.yaml", "carol", LATER)  # the same text again: nothing
    store.apply(_example(target=3, title="SEV1 incidents down to 3"), "okrs.yaml", "dave", LATER)  # not a field kept
    (change,) = kr_changes_of(connection, *SEV1)
    assert change == {"field": "target", "from": 2, "to": 3, "at": LATER.isoformat(), "author": "bob", "revision": 2}
    assert change_text(change, UTC) == "target changed on 3 Nov 2026 from 2 to 3 (bob)"


def test_baseline_metric_and_kind_changes_are_recorded_too(connection: redis.Redis) -> None:
    store = ConfigStore(connection)
    store.apply(_example(), "okrs.yaml", "alice", FIRST)
    store.apply(_example(baseline=1, target=4), "okrs.yaml", "bob", LATER)  # now it should grow: accumulate
    store.apply(_example(baseline=1, target=4, metric="mttr_hours"), "okrs.yaml", "carol", LATER)
    words = [change_text(c, UTC) for c in kr_changes_of(connection, *SEV1)]
    assert words == [
        "baseline changed on 3 Nov 2026 from 6 to 1 (bob)",
        "target changed on 3 Nov 2026 from 2 to 4 (bob)",
        "kind changed on 3 Nov 2026 from cap to accumulate (bob)",
        "metric changed on 3 Nov 2026 from sev1_incidents to mttr_hours (carol)",
        "kind changed on 3 Nov 2026 from accumulate to level (carol)",
    ]
    config = store.current()
    assert config is not None
    okr_set = next(s for s in config.okr_sets if s.id == SEV1[0])
    assert len(kr_changes_of_set(connection, okr_set)["O3.KR2"]) == 5


def test_the_pure_difference_compares_only_krs_both_configurations_have() -> None:
    cfg, _, _ = evaluated()
    assert kr_changes(None, cfg) == [] and kr_changes(cfg, cfg) == []
    kr = cfg.okr_sets[0].objectives[0].key_results[0]
    moved = cfg.model_copy(deep=True)
    moved.okr_sets[0].objectives[0].key_results[0] = kr.model_copy(update={"target": 5.0})
    assert kr_changes(cfg, moved) == [KrChange(cfg.okr_sets[0].id, kr.id, "target", kr.target, 5.0)]


def test_the_words_read_the_day_in_the_configuration_zone_and_tolerate_what_is_missing() -> None:
    late = {"field": "target", "from": 2.5, "to": None, "at": "2026-11-03T23:30:00+00:00", "author": ""}
    assert change_text(late, ZoneInfo("Europe/Berlin")) == "target changed on 4 Nov 2026 from 2.5 to none"
    assert (
        change_text({"field": "baseline", "from": 1, "to": 2}, UTC) == "baseline changed on an unknown day from 1 to 2"
    )


def test_the_okr_page_shows_the_changes_made_inside_the_cycle() -> None:
    cfg, _, report = evaluated()
    kr_id = cfg.okr_sets[0].objectives[0].key_results[0].id
    inside = {"field": "target", "from": 15, "to": 10, "at": LATER.isoformat(), "author": "alice"}
    before = {"field": "baseline", "from": 50, "to": 40, "at": "2026-09-20T10:00:00+00:00", "author": "alice"}
    page = okr_set_page(
        cfg, cfg.okr_sets[0], SetReport.from_dict(report["okr_sets"][0]), context(kr_changes={kr_id: [before, inside]})
    )
    body = page.new_page_body()
    assert "<em>target changed on 3 Nov 2026 from 15 to 10 (alice)</em>" in body and "baseline changed" not in body
    plain = okr_set_page(cfg, cfg.okr_sets[0], SetReport.from_dict(report["okr_sets"][0]), context())
    assert "changed on" not in plain.new_page_body().replace("definition changed on", "")
