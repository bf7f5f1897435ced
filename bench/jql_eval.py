"""JQL evaluation benchmark: microseconds per document per filter for 20 typical filters over
synthetic mirror documents, against a trivial hand-written Python predicate on the same documents.

    .venv/bin/python bench/jql_eval.py [--documents 100000]

Prints the figures and writes them as JSON to bench/results/jql_eval.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jql.query import JqlContext, bind, parse_jql  # noqa: E402

AT = datetime(2026, 11, 15, 12, tzinfo=UTC)
CONTEXT = JqlContext(
    at=AT,
    custom_fields={"story points": "customfield_10016", "team": "customfield_10001", "epic link": "customfield_10014"},
    current_user="acc-7",
)
FILTERS = [
    "project = OPS AND issuetype = Incident AND priority = Highest",
    "project = OPS AND issuetype = Incident AND statusCategory = Done",
    "project = SHOP AND issuetype = Bug AND labels = escaped",
    "project = SHOP AND issuetype = Bug",
    "issuetype = Epic AND labels = kr-o1-kr1",
    "project = PLAT AND labels = retro-finding",
    "project = PLAT AND labels in (small-change, interruption, walkthrough)",
    "project in (SHOP, PAY) AND status not in (Done, Closed) AND assignee is not empty",
    "created >= startOfMonth(-1) AND created < startOfMonth()",
    "resolved >= -30d AND resolution = Done",
    "duedate < now() AND statusCategory != Done",
    "updated >= -7d ORDER BY updated DESC",
    "component in (Checkout, Payments) AND priority in (High, Highest)",
    '"Story Points" >= 5 AND Team = Growth OR "Story Points" > 8',
    "Team = Core AND statusCategory = 'In Progress'",
    '"Epic Link" in (SHOP-1, SHOP-2, SHOP-3)',
    "assignee = currentUser() AND resolution = Unresolved",
    "summary ~ 'checkout*' AND project = SHOP",
    "key > SHOP-50000 AND NOT labels = escaped",
    "(project = OPS OR project = PLAT) AND NOT (status = Done OR labels is empty)",
]
BASELINE: Callable[[dict[str, Any]], bool] = lambda document: document["project"] == "OPS"  # noqa: E731


PROJECTS, TYPES = ["SHOP", "PAY", "OPS", "PLAT"], ["Bug", "Story", "Task", "Epic", "Incident"]
STATUSES = [("To Do", "new"), ("In Progress", "indeterminate"), ("Done", "done"), ("Closed", "done")]
LABELS = ["escaped", "retro-finding", "small-change", "interruption", "walkthrough", "kr-o1-kr1", "ux"]
WORDS = ["checkout", "payment", "login", "fails", "slow", "page", "refund", "crash", "api", "timeout"]


def synthetic_documents(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [synthetic_document(rng, number) for number in range(count)]


def synthetic_document(rng: random.Random, number: int) -> dict[str, Any]:
    """Document ``number``, drawn from ``rng`` (the draws in a fixed order: the same seed, the same documents)."""
    project = rng.choice(PROJECTS)
    status, category = rng.choice(STATUSES)
    created = AT - timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
    resolved = created + timedelta(hours=rng.randrange(1, 400)) if category == "done" else None
    return {
        "id": str(100000 + number),
        "key": f"{project}-{number}",
        "project": project,
        "issuetype": rng.choice(TYPES),
        "subtask": False,
        "status": status,
        "statusCategory": category,
        "summary": " ".join(rng.sample(WORDS, 4)),
        "labels": rng.sample(LABELS, rng.randrange(0, 3)),
        "components": rng.sample(["Checkout", "Payments", "Search", "Core"], rng.randrange(0, 2)),
        "priority": rng.choice(["Highest", "High", "Medium", "Low"]),
        "resolution": "Done" if resolved else None,
        "assignee": rng.choice([None, "acc-7", "acc-8", "acc-9"]),
        "reporter": "acc-1",
        "parent": None,
        "links": [],
        "custom": {
            "customfield_10016": rng.choice([1, 2, 3, 5, 8, 13]),
            "customfield_10001": rng.choice(["Core", "Growth"]),
            "customfield_10014": f"SHOP-{rng.randrange(1, 20)}",
        },
        "created": stamp(created),
        "updated": stamp(created + timedelta(hours=rng.randrange(0, 300))),
        "resolutiondate": stamp(resolved) if resolved else None,
        "duedate": (created + timedelta(days=rng.randrange(1, 60))).date().isoformat(),
    }


def stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def seconds_for(predicate: Callable[[dict[str, Any]], bool], documents: list[dict[str, Any]]) -> tuple[float, int]:
    started = time.perf_counter()
    hits = sum(1 for document in documents if predicate(document))
    return time.perf_counter() - started, hits


def filter_figures(text: str, documents: list[dict[str, Any]], baseline_us: float) -> dict[str, Any]:
    """One filter: parse and bind once, then its time per document over every document."""
    bind_started = time.perf_counter()
    predicate = bind(parse_jql(text), CONTEXT)
    bind_ms = (time.perf_counter() - bind_started) * 1000
    elapsed, hits = seconds_for(predicate, documents)
    per_document = elapsed / len(documents) * 1e6
    print(f"{per_document:7.3f} µs/doc  ×{per_document / baseline_us:5.1f}  {hits:>6} hits  {text}")
    return {
        "filter": text,
        "us_per_document": round(per_document, 3),
        "matches": hits,
        "parse_and_bind_ms": round(bind_ms, 3),
        "ratio_to_baseline": round(per_document / baseline_us, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    args = parser.parse_args()
    documents = synthetic_documents(args.documents)
    baseline_seconds, _ = seconds_for(BASELINE, documents)
    baseline_us = baseline_seconds / len(documents) * 1e6
    started = time.perf_counter()
    rows = [filter_figures(text, documents, baseline_us) for text in FILTERS]
    total = time.perf_counter() - started
    mean = sum(row["us_per_document"] for row in rows) / len(rows)
    result = {
        "benchmark": "jql_eval",
        "documents": len(documents),
        "filters": len(FILTERS),
        "baseline_predicate": "document['project'] == 'OPS'",
        "baseline_us_per_document": round(baseline_us, 3),
        "mean_us_per_document_per_filter": round(mean, 3),
        "mean_ratio_to_baseline": round(mean / baseline_us, 2),
        "total_seconds": round(total, 2),
        "python": sys.version.split()[0],
        "per_filter": rows,
    }
    print(
        f"baseline {baseline_us:.3f} µs/doc; JQL mean {mean:.3f} µs/doc/filter (×{mean / baseline_us:.1f}); "
        f"{len(FILTERS)} filters × {len(documents)} documents in {total:.1f} s"
    )
    write_jql_result(result)


def write_jql_result(result: dict[str, Any]) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "figure": "jql: mean µs per document per filter / bare Python predicate",
        "value": result["mean_ratio_to_baseline"],
        "shown": f"{result['mean_ratio_to_baseline']}×",
        "target": "—",
        "verdict": "INFO",
    }
    (out / "jql_eval.json").write_text(json.dumps({**result, "rows": [summary]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
