"""Evaluation benchmark: a full evaluation of 200 KRs over 100,000 mirrored issues, and the per-event
step that finds the KRs a changed issue affects, against a baseline pass over the same documents.

    .venv/bin/python bench/evaluate.py [--documents 100000] [--krs 200] [--events 2000]

Prints the figures and writes them as JSON to bench/results/evaluate.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.jql_eval import CONTEXT, FILTERS, synthetic_documents  # noqa: E402
from mapping.loader import load_config_document  # noqa: E402
from okr.evaluate import evaluate_config, evaluation_input  # noqa: E402
from okr.incremental import affected_key_results, kr_filters  # noqa: E402

AT = datetime(2026, 11, 15, 12, tzinfo=timezone.utc)
AGGREGATES = [{"aggregate": "count", "window": "cycle"}, {"aggregate": "count", "window": "30d"},
              {"aggregate": "duration_median", "duration": {"from": "created", "to": "updated", "unit": "hours"},
               "window": "cycle"}]


def synthetic_config(krs: int) -> dict:
    metrics, key_results = {}, []
    for number in range(krs):
        shape = AGGREGATES[number % len(AGGREGATES)]
        metric_id = f"m{number}"
        metrics[metric_id] = {"description": f"metric {number}", "source": "jira",
                              "jql": FILTERS[number % len(FILTERS)], **shape}
        key_results.append({"id": f"KR{number}", "title": f"KR {number}", "metric": metric_id,
                            "baseline": 0, "target": 100 + number})
    objectives = [{"id": f"O{n}", "title": f"Objective {n}", "key_results": key_results[n:n + 4]}
                  for n in range(0, krs, 4)]
    return {"cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}], "metrics": metrics,
            "okr_sets": [{"id": "bench", "name": "Bench", "cycle": "Q4", "objectives": objectives}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--krs", type=int, default=200)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()

    documents = synthetic_documents(args.documents)
    config = load_config_document(synthetic_config(args.krs))
    given = evaluation_input(AT, config, documents, [], dict(CONTEXT.custom_fields))

    started = time.perf_counter()
    baseline_hits = sum(1 for d in documents if d["project"] == "OPS")
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    report = evaluate_config(config, given)
    full = time.perf_counter() - started
    measured = sum(o["measured"] for s in report["okr_sets"] for o in s["objectives"])
    selections = len(given._selections)  # distinct (JQL, window, date field) passes over the issues

    index = kr_filters(config)
    context = given.jql_context
    per_event, touched = [], []
    for document in documents[: args.events]:
        changed = {**document, "statusCategory": "done"}
        started = time.perf_counter()
        touched.append(len(affected_key_results(index, document, changed, context)))
        per_event.append(time.perf_counter() - started)
    per_event.sort()

    result = {
        "benchmark": "evaluate", "documents": args.documents, "krs": args.krs, "measured_krs": measured,
        "baseline_pass_s": round(baseline, 4), "full_evaluation_s": round(full, 3),
        "full_vs_baseline_pass": round(full / baseline, 1), "baseline_hits": baseline_hits,
        "distinct_selections": selections,
        "affected_p50_ms": round(statistics.median(per_event) * 1000, 3),
        "affected_p99_ms": round(per_event[int(len(per_event) * 0.99) - 1] * 1000, 3),
        "mean_krs_touched_per_event": round(statistics.fmean(touched), 1),
    }
    print(f"full evaluation: {args.krs} KRs over {args.documents} issues in {result['full_evaluation_s']} s "
          f"({result['full_vs_baseline_pass']}× one bare pass over the issues, {result['baseline_pass_s']} s; "
          f"{selections} distinct JQL/window selections)")
    print(f"per event: affected KRs found in p50 {result['affected_p50_ms']} ms, p99 {result['affected_p99_ms']} ms; "
          f"{result['mean_krs_touched_per_event']} of {args.krs} KRs touched on average")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluate.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
