"""The arena leaderboard at scale: ``labelworks.stats.leaderboard.leaderboard`` on simulated
battles, with and without length control, beside the existing ``BradleyTerry`` fit and
``bootstrap_ci`` it builds on.

    python bench/leaderboard.py                                  # 100 models, 1M battles
    python bench/leaderboard.py --models 30 --battles 100000 --resamples 200
    python bench/leaderboard.py --no-bradley-terry               # skip the slow reference run

Data (built before the clock starts, seeded): true Bradley–Terry scores N(0, 1) per model, a
response length per model (log-normal around 300–900 characters), battles between uniformly
drawn pairs, ties 10%, the longer answer favoured by 0.3 log-odds per standardised length
difference, ``left`` at random with a 0.1 log-odds left bias. Each measurement runs in its own
subprocess, so ``peak MB`` (ru_maxrss) is per measurement, data included (``data MB``).

Rows: ``leaderboard`` (ratings, intervals, ranks, win rates, shares, agreement; lengths
absent), ``leaderboard+length`` (the same with lengths on every battle: also the
length-controlled fit and its one-step bootstrap over ``--length-resamples`` resamples),
``BradleyTerry`` (``BradleyTerry(penalty=1e-6).fit(triples)`` then ``bootstrap_ci``: the
per-resample Newton loop of labelworks.stats.ranking).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

from labelworks.stats.leaderboard import Battle, leaderboard
from labelworks.stats.ranking import BradleyTerry

METHODS = ["leaderboard", "leaderboard+length", "BradleyTerry"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def simulate(models: int, battles: int, seed: int, lengths: bool) -> list[Battle]:
    """Seeded battles (see the module docstring)."""
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 1.0, models)
    typical = rng.uniform(np.log(300), np.log(900), models)
    items = (battles + 1) // 2  # two votes per item (the same pair and answers)
    a = np.repeat(rng.integers(0, models, items), 2)[:battles]
    b = (a + np.repeat(rng.integers(1, models, items), 2)[:battles]) % models
    length_a = np.repeat(np.exp(typical[a[::2]] + rng.normal(0, 0.3, items)), 2)[:battles]
    length_b = np.repeat(np.exp(typical[b[::2]] + rng.normal(0, 0.3, items)), 2)[:battles]
    length_a, length_b = length_a.astype(np.int64), length_b.astype(np.int64)
    diff = (length_a - length_b) / (length_a + length_b)
    left_a = rng.random(battles) < 0.5
    logit = strength[a] - strength[b] + 0.3 * diff / diff.std() + np.where(left_a, 0.1, -0.1)
    tie = rng.random(battles) < 0.1
    a_won = rng.random(battles) < 1 / (1 + np.exp(-logit))
    winner = np.where(tie, "tie", np.where(a_won, "a", "b")).tolist()
    names = [f"model-{k:03d}" for k in range(models)]
    left = np.where(left_a, "a", "b").tolist()
    a_l, b_l, la, lb = a.tolist(), b.tolist(), length_a.tolist(), length_b.tolist()
    return [
        Battle(
            names[a_l[k]],
            names[b_l[k]],
            winner[k],
            left[k],  # type: ignore[arg-type]
            evaluator=f"evaluator-{k % 500}",
            item=f"item-{k // 2}",
            length_a=la[k] if lengths else None,
            length_b=lb[k] if lengths else None,
        )
        for k in range(battles)
    ]


def worker(args: argparse.Namespace) -> None:
    battles = simulate(args.models, args.battles, args.seed, args.method == "leaderboard+length")
    data_mb = peak_mb()
    result: dict[str, Any] = {"data_mb": data_mb}
    started, cpu = time.perf_counter(), time.process_time()
    if args.method == "BradleyTerry":
        triples = [(x.model_a, x.model_b, x.winner) for x in battles]
        bt = BradleyTerry(penalty=1e-6).fit(triples)
        result["fit"] = time.perf_counter() - started
        bt.bootstrap_ci(n_resamples=args.resamples, seed=args.seed)
    else:
        board = leaderboard(
            battles,
            n_resamples=args.resamples,
            seed=args.seed,
            length_resamples=args.length_resamples,
        )
        result["top"] = board.models[0].model
        result["coefficient"] = board.length_coefficient
    result["seconds"] = time.perf_counter() - started
    result["cpu"] = time.process_time() - cpu
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--battles", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--length-resamples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-bradley-terry", action="store_true")
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        worker(args)
        return
    methods = METHODS[:-1] if args.no_bradley_terry else METHODS
    print(
        f"{args.models} models, {args.battles:,} battles, {args.resamples} resamples "
        f"({args.length_resamples} for length control)"
    )
    print(f"{'method':<20} {'seconds':>8} {'cpu s':>8} {'peak MB':>8} {'data MB':>8}  note")
    for method in methods:
        command = [sys.executable, __file__, "--method", method] + [
            f"--{k.replace('_', '-')}={v}"
            for k, v in vars(args).items()
            if k in ("models", "battles", "resamples", "length_resamples", "seed")
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        note = ""
        if "fit" in row:
            note = f"fit {row['fit']:.2f} s, bootstrap_ci {row['seconds'] - row['fit']:.2f} s"
        elif row.get("coefficient") is not None:
            note = f"length coefficient {row['coefficient']:.3f} (planted 0.3; ties pull it in)"
        print(
            f"{method:<20} {row['seconds']:8.2f} {row['cpu']:8.2f} {row['peak_mb']:8.0f} "
            f"{row['data_mb']:8.0f}  {note}"
        )


if __name__ == "__main__":
    main()
