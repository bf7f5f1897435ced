"""The health and status field writes (pure): a select list's option, a labels field's okr-… label with
people's labels kept, a text field's status lines; the worst health of an epic serving several KRs;
nothing for a field Jira does not know or of a kind that cannot hold it; unchanged content, same digest."""

from __future__ import annotations

from typing import Any

from mapping.field_kinds import HEALTH_OPTIONS
from mapping.loader import load_config_document
from publish.health_fields import HEALTH_LABELS, health_field_writes, worst_health
from publish.jira import HEALTH_WORDS

IDS = {"okr health": "customfield_10050", "okr status": "customfield_10051", "labels": "labels"}
KINDS: dict[str, Any] = {"customfield_10050": "select", "customfield_10051": "text", "labels": "labels"}
EPICS = {("shop", "KR1"): ["SHOP-1", "shop-2"], ("shop", "KR2"): ["SHOP-1"]}


def _config(**writeback: Any) -> Any:
    krs = [
        {"id": "KR1", "title": "Fewer bugs", "unmeasured": "soon", "jira_issue": "OKR-1"},
        {"id": "KR2", "title": "Faster fixes", "unmeasured": "soon"},
    ]
    return load_config_document(
        {
            "version": 1,
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "writeback": writeback,
            "okr_sets": [
                {
                    "id": "shop",
                    "name": "Shop",
                    "cycle": "Q4",
                    "projects": ["SHOP"],
                    "objectives": [{"id": "O1", "title": "Quality", "key_results": krs}],
                }
            ],
        }
    )


def _status(kr: str, health: str, score: float | None = 0.5) -> dict[str, Any]:
    return {"kr": kr, "health": health, "score": score, "current": 30.0, "target": 10.0, "unit": "%"}


STATUSES = {("shop", "KR1"): _status("KR1", "on_track"), ("shop", "KR2"): _status("KR2", "off_track", 0.1)}


def _writes(config: Any, statuses: Any = STATUSES, refs: Any = None, kinds: Any = KINDS) -> dict[str, Any]:
    return {w.target: w for w in health_field_writes(config, statuses, EPICS, refs, IDS, kinds)}


def test_a_select_list_gets_the_option_of_the_worst_health_the_issue_serves() -> None:
    writes = _writes(_config(health_field="OKR health"))
    assert set(writes) == {"health-field:SHOP-1", "health-field:SHOP-2", "health-field:OKR-1"}
    epic = writes["health-field:SHOP-1"]
    assert (epic.kind, epic.issue, epic.payload) == ("fields", "SHOP-1", {"customfield_10050": {"value": "Off track"}})
    assert writes["health-field:SHOP-2"].payload == {"customfield_10050": {"value": "On track"}}


def test_a_labels_field_gets_one_health_label_and_keeps_peoples_labels() -> None:
    write = _writes(_config(health_field="Labels"))["health-field:SHOP-1"]
    assert write.kind == "update"  # Jira's {"update": {...}}: only the named labels change
    operations = write.payload["labels"]
    assert operations[0] == {"add": "okr-off-track"}
    assert sorted(o["remove"] for o in operations[1:]) == sorted(set(HEALTH_LABELS.values()) - {"okr-off-track"})
    assert all(" " not in label for label in HEALTH_LABELS.values())


def test_a_text_field_gets_a_line_per_kr_the_issue_serves() -> None:
    writes = _writes(_config(status_field="OKR status"))
    assert writes["status-field:SHOP-1"].payload == {
        "customfield_10051": "KR1 on track · 0.50 · 30 → 10 %\nKR2 off track · 0.10 · 30 → 10 %"
    }
    assert writes["status-field:OKR-1"].payload == {"customfield_10051": "KR1 on track · 0.50 · 30 → 10 %"}


def test_unknown_fields_and_fields_of_the_wrong_kind_are_left_out() -> None:
    assert _writes(_config(health_field="No such field", status_field="Missing")) == {}
    assert _writes(_config(health_field="OKR status", status_field="OKR health")) == {}
    assert _writes(_config(health_field="OKR health"), kinds={}) == {}  # kinds not learnt yet


def test_the_same_content_gives_the_same_digest_and_a_change_another() -> None:
    config = _config(health_field="OKR health", status_field="OKR status")
    before = _writes(config)
    again = _writes(config, {ref: {**status, "as_of": "later"} for ref, status in STATUSES.items()})
    assert {t: w.digest for t, w in before.items()} == {t: w.digest for t, w in again.items()}
    changed = _writes(config, {**STATUSES, ("shop", "KR2"): _status("KR2", "at_risk", 0.1)})
    assert changed["health-field:SHOP-1"].digest != before["health-field:SHOP-1"].digest
    assert changed["health-field:SHOP-2"].digest == before["health-field:SHOP-2"].digest


def test_refs_limit_the_writes_to_the_issues_those_krs_feed() -> None:
    writes = _writes(_config(health_field="OKR health"), refs={("shop", "KR2")})
    assert set(writes) == {"health-field:SHOP-1"}
    assert writes["health-field:SHOP-1"].payload["customfield_10050"] == {"value": "Off track"}


def test_worst_health_orders_missed_before_off_track_before_the_rest() -> None:
    assert worst_health(["done", "on_track", "at_risk"]) == "at_risk"
    assert worst_health(["off_track", "missed"]) == "missed"
    assert worst_health(["not_measured", "on_track"]) == "not_measured"


def test_there_is_one_option_and_one_label_per_health() -> None:
    assert set(HEALTH_OPTIONS) == set(HEALTH_WORDS) == set(HEALTH_LABELS)
    assert [HEALTH_OPTIONS[h].lower() for h in HEALTH_WORDS] == list(HEALTH_WORDS.values())
