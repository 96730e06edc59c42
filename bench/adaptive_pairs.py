"""Adaptive pair selection against round-robin: votes until the fitted ranking is right.

    python bench/adaptive_pairs.py                       # 8 models, 16 repetitions
    python bench/adaptive_pairs.py --models 12 --gap 40 --repetitions 20 --budget 8000
    python bench/adaptive_pairs.py --batch 10            # priorities recomputed every 10 votes

A simulated campaign: ``--models`` models whose true Bradley–Terry ratings are evenly spaced
``--gap`` Elo points apart, shuffled (so the order of the names says nothing), and votes
drawn from that model (no ties), with the two answers' sides at random. Strategies:

- ``all``: round-robin, every pair once per round (in a fresh random order each round), so
  every pair gets the same number of votes;
- ``information`` and ``ranking``: adaptive, each next vote goes to the pair with the
  highest :func:`labelworks.stats.pair_sampling.pair_priorities` under that ``rule`` (ties
  broken at random), recomputed every ``--batch`` votes (the batch's votes go to the top
  ``--batch`` pairs).

Every ``--check-every`` votes the ratings are fitted (Bradley–Terry, penalty 1e-6); a run's
figure is the number of votes after which the fitted ranking equals the true one at every
check up to ``--budget`` (the budget itself when it is wrong at the end). Printed: mean,
median and quartiles of that figure per strategy over the repetitions (the same true
ratings and seeds for both), how often each adaptive rule needed fewer votes than round-robin,
and the time per ``pair_priorities`` call.
"""

from __future__ import annotations

import argparse
import math
import time
from itertools import combinations

import numpy as np

from labelworks.stats.pair_sampling import pair_priorities
from labelworks.stats.ranking import bradley_terry_scores

ELO_PER_LOG = 400 / math.log(10)


def votes_to_settle(
    strength: np.ndarray,
    strategy: str,
    budget: int,
    check_every: int,
    seed: int,
    batch: int = 1,
    timing: list[float] | None = None,
) -> int:
    """Votes after which the fitted ranking stays the true ranking (up to ``budget``)."""
    rng = np.random.default_rng(seed)
    m = strength.size
    names = [f"m{k}" for k in range(m)]
    pairs = list(combinations(range(m), 2))
    truth = np.argsort(-strength, kind="stable")
    wins = np.zeros((m, m))
    battles: list[tuple[str, str, str]] = []
    queue: list[tuple[int, int]] = []
    settled = 0
    for t in range(budget):
        if not queue:
            if strategy == "all":
                queue = [pairs[k] for k in rng.permutation(len(pairs))]
            else:
                started = time.perf_counter()
                priority = pair_priorities(names, battles, rule=strategy)  # type: ignore[arg-type]
                if timing is not None:
                    timing.append(time.perf_counter() - started)
                order = rng.permutation(len(pairs))  # random among equal priorities
                ranked = sorted(
                    order, key=lambda k: -priority[names[pairs[k][0]], names[pairs[k][1]]]
                )
                queue = [pairs[k] for k in ranked[:batch]]
        i, j = queue.pop(0)
        if rng.random() < 0.5:
            i, j = j, i
        i_won = rng.random() < 1 / (1 + math.exp(strength[j] - strength[i]))
        battles.append((names[i], names[j], "a" if i_won else "b"))
        winner, loser = (i, j) if i_won else (j, i)
        wins[winner, loser] += 1
        if (t + 1) % check_every == 0:
            scores, _ = bradley_terry_scores(wins, 1e-6)
            if not np.array_equal(np.argsort(-scores, kind="stable"), truth):
                settled = t + 1
    return settled


def true_strengths(models: int, gap: float, seed: int) -> np.ndarray:
    """Evenly spaced Elo ratings ``gap`` apart, as log-strengths, in a shuffled order."""
    ladder = np.arange(models)[::-1] * gap / ELO_PER_LOG
    return np.random.default_rng(seed).permutation(ladder - ladder.mean())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--gap", type=float, default=50.0, help="Elo points between neighbours")
    parser.add_argument("--repetitions", type=int, default=16)
    parser.add_argument("--budget", type=int, default=4000)
    parser.add_argument("--check-every", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results: dict[str, list[int]] = {"all": [], "information": [], "ranking": []}
    timing: list[float] = []
    for r in range(args.repetitions):
        strength = true_strengths(args.models, args.gap, args.seed + r)
        for strategy, runs in results.items():
            runs.append(
                votes_to_settle(
                    strength,
                    strategy,
                    args.budget,
                    args.check_every,
                    args.seed + 1000 + r,
                    args.batch,
                    timing,
                )
            )
    print(
        f"{args.models} models {args.gap:g} Elo apart, {args.repetitions} repetitions, "
        f"budget {args.budget} votes, checked every {args.check_every}, batch {args.batch}"
    )
    print(f"{'strategy':<12} {'mean':>7} {'median':>7} {'q25':>7} {'q75':>7} {'at budget':>10}")
    for strategy, runs in results.items():
        v = np.array(runs)
        q25, med, q75 = np.percentile(v, [25, 50, 75])
        print(
            f"{strategy:<12} {v.mean():7.0f} {med:7.0f} {q25:7.0f} {q75:7.0f} "
            f"{int((v >= args.budget).sum()):>10}"
        )
    for rule in ("information", "ranking"):
        fewer = np.mean(np.array(results[rule]) < np.array(results["all"]))
        ratio = np.mean(results[rule]) / np.mean(results["all"])
        print(f"{rule}: fewer votes than all in {fewer:.0%} of repetitions; mean ratio {ratio:.2f}")
    print(
        f"pair_priorities: {np.mean(timing) * 1000:.2f} ms per call "
        f"({len(timing)} calls, mean {args.budget // 2} battles)"
    )


if __name__ == "__main__":
    main()
