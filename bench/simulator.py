"""The crowd simulator as a benchmark: its speed at scale, and the accuracy/cost table of
quality settings against fixed overlap 3 with majority vote on the same crowd.

    python bench/simulator.py                    # the table: 5,000 items, 50 annotators
    python bench/simulator.py --scale            # 100,000 items, 200 annotators, one run
    python bench/simulator.py --items 2000       # a smaller table

Crowd: 5 classes, 10% spammers (half random, half constant), honest skill uniform in
0.6-0.95, seed 1. Each row runs the settings through the real service layer
(``labelworks.services.simulation``) in a throwaway SQLite database.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from labelworks.domain.spec import spec_from_dict
from labelworks.services.simulation import CrowdSettings, simulate

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
            "auto_pause": {"min_gold": 8, "below": 0.5},
        },
    ),
    (
        "DS, dynamic 2-5 @0.95, gold 10%, pause",
        {
            "consensus": "dawid_skene",
            "dynamic_overlap": {"min": 2, "max": 5, "confidence": 0.95},
            "gold_rate": 0.1,
            "auto_pause": {"min_gold": 8, "below": 0.5},
        },
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--scale", action="store_true", help="100k items, 200 annotators")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.scale:
        settings = CrowdSettings(items=100_000, annotators=200, spammers=0.1, classes=5, seed=1)
        report = simulate(spec(ROWS[4][1]), settings, baseline=False)
        print(
            json.dumps(report, indent=2)
            if args.json
            else (
                f"{settings.items:,} items, {settings.annotators} annotators: "
                f"{report['annotations']:,} annotations in {report['seconds']} s "
                f"({report['annotations_per_second']}/s), accuracy {report['accuracy']:.4f}, "
                f"{report['annotations_per_item']:.3f} per item, "
                f"{report['spammers_paused']}/{report['spammers']} spammers paused"
            )
        )
        return
    settings = CrowdSettings(
        items=args.items, annotators=args.annotators, spammers=0.1, classes=5, seed=1
    )
    header = f"{'settings':42} {'accuracy':>9} {'ann/item':>9} {'spam paused':>12}"
    print(f"{header} {'adjud.':>7} {'s':>7}")
    for name, quality in ROWS:
        started = time.perf_counter()
        overlap = 3 if "dynamic_overlap" not in quality else None
        report = simulate(spec(quality, overlap), settings, baseline=False)
        print(
            f"{name:42} {report['accuracy']:9.4f} {report['annotations_per_item']:9.3f} "
            f"{report['spammers_paused']:>5}/{report['spammers']:<6} {report['adjudication']:7} "
            f"{time.perf_counter() - started:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
