"""The crowd simulator as a benchmark: its speed at scale, and the accuracy/cost table of
quality settings against fixed overlap 3 with majority vote on the same crowd.

    python bench/simulator.py                    # the table: 5,000 items, 50 annotators, seed 1
    python bench/simulator.py --seeds 1,2,3,4,5  # each row over five crowds: mean and worst
    python bench/simulator.py --match qualif     # only the rows whose name has this text
    python bench/simulator.py --scale            # 100,000 items, 200 annotators, one run
    python bench/simulator.py --items 2000       # a smaller table

Crowd: 5 classes, 10% spammers (half random, half constant), honest skill uniform in
0.6-0.95. Each row runs the settings through the real service layer
(``labelworks.services.simulation``) in a throwaway SQLite database.
"""

from __future__ import annotations

import argparse
import json
import time
from statistics import mean
from typing import Any

from labelworks.domain.spec import spec_from_dict
from labelworks.services.simulation import CrowdSettings, simulate

# The recommended settings (docs/quality.md, "The crowd simulator"): the aim, >= 0.97
# accuracy at <= 3 annotations per item, met on every crowd measured.
QUALIFIED = {
    "consensus": "dawid_skene",
    "dynamic_overlap": {"min": 2, "max": 5, "confidence": 0.95},
    "qualification": {"items": 10, "pass": 0.9, "retries": 1},
}
PAUSE = {"min_gold": 8, "below": 0.5}
ROWS: list[tuple[str, dict[str, Any]]] = [
    ("majority, overlap 3 (baseline)", {"consensus": "majority"}),
    (
        "DS, dynamic 2-4 @0.90",
        {"consensus": "dawid_skene", "dynamic_overlap": {"min": 2, "max": 4, "confidence": 0.9}},
    ),
    (
        "DS, dynamic 2-5 @0.95",
        {"consensus": "dawid_skene", "dynamic_overlap": {"min": 2, "max": 5, "confidence": 0.95}},
    ),
    (
        "DS, dynamic 2-4 @0.90, gold 5%, pause",
        {
            "consensus": "dawid_skene",
            "dynamic_overlap": {"min": 2, "max": 4, "confidence": 0.9},
            "gold_rate": 0.05,
            "auto_pause": PAUSE,
        },
    ),
    (
        "DS, dynamic 2-5 @0.95, gold 10%, pause",
        {
            "consensus": "dawid_skene",
            "dynamic_overlap": {"min": 2, "max": 5, "confidence": 0.95},
            "gold_rate": 0.1,
            "auto_pause": PAUSE,
        },
    ),
    (
        "DS, dynamic 2-5 @0.95, qualification 10 @0.8",
        {**QUALIFIED, "qualification": {"items": 10, "pass": 0.8, "retries": 0}},
    ),
    (
        "DS, dynamic 2-5 @0.95, qualification 10 @0.8 +1",
        {**QUALIFIED, "qualification": {"items": 10, "pass": 0.8, "retries": 1}},
    ),
    ("DS, dynamic 2-5 @0.95, qualification 10 @0.9 +1", QUALIFIED),
    (
        "DS, dynamic 2-4 @0.95, qualification 10 @0.9 +1",
        {**QUALIFIED, "dynamic_overlap": {"min": 2, "max": 4, "confidence": 0.95}},
    ),
    (
        "DS, dynamic 2-5 @0.95, qualification 10 @0.9 +1, gold 5%, pause",
        {**QUALIFIED, "gold_rate": 0.05, "auto_pause": PAUSE},
    ),
]


def spec(quality: dict[str, Any], overlap: int | None = None) -> Any:
    data: dict[str, Any] = {
        "name": "bench",
        "fields": [{"name": "label", "kind": "choice", "labels": ["a", "b"]}],
        "quality": quality,
    }
    if overlap is not None:
        data["overlap"] = overlap
    return spec_from_dict(data)


def scale(as_json: bool) -> None:
    settings = CrowdSettings(items=100_000, annotators=200, spammers=0.1, classes=5, seed=1)
    report = simulate(spec(QUALIFIED), settings, baseline=False)
    print(
        json.dumps(report, indent=2)
        if as_json
        else (
            f"{settings.items:,} items, {settings.annotators} annotators: "
            f"{report['annotations']:,} annotations in {report['seconds']} s "
            f"({report['annotations_per_second']}/s), accuracy {report['accuracy']:.4f}, "
            f"{report['annotations_per_item']:.3f} per item, "
            f"{report['spammers_blocked']}/{report['spammers']} spammers and "
            f"{report['honest_blocked']} honest blocked by the qualification test"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seeds", default="1", help="comma-separated crowd seeds")
    parser.add_argument("--match", default="", help="only rows whose name contains this")
    parser.add_argument("--scale", action="store_true", help="100k items, 200 annotators")
    parser.add_argument("--json", action="store_true", help="--scale: the whole report")
    args = parser.parse_args()
    if args.scale:
        scale(args.json)
        return
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        f"{'settings':62} {'accuracy':>8} {'worst':>6} {'ann/item':>8} {'worst':>6} "
        f"{'spam out':>8} {'honest out':>10} {'adjud.':>6} {'s':>6}"
    )
    for name, quality in ROWS:
        if args.match not in name:
            continue
        overlap = 3 if "dynamic_overlap" not in quality else None
        started = time.perf_counter()
        runs = [
            simulate(
                spec(quality, overlap),
                CrowdSettings(
                    items=args.items, annotators=args.annotators, spammers=0.1, classes=5, seed=s
                ),
                baseline=False,
            )
            for s in seeds
        ]
        accuracy = [r["accuracy"] for r in runs]
        cost = [r["annotations_per_item"] for r in runs]
        # Out: paused by auto_pause or blocked by the qualification test. Spammers out of
        # all spammers over the crowds; honest people out per crowd.
        spam = sum(r["spammers_paused"] + r["spammers_blocked"] for r in runs)
        honest = mean(r["honest_paused"] + r["honest_blocked"] for r in runs)
        print(
            f"{name:62} {mean(accuracy):8.4f} {min(accuracy):6.4f} {mean(cost):8.3f} "
            f"{max(cost):6.3f} {spam:>4}/{sum(r['spammers'] for r in runs):<3} {honest:10.1f} "
            f"{mean(r['adjudication'] for r in runs):6.0f} {time.perf_counter() - started:6.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
