"""Active learning on the demo reviews: how many labels the baseline model needs when it
picks the texts it is least sure about (``routing.order: uncertainty``) against labelling
in random order, as ``labelworks model curve`` measures it on a project.

    .venv/bin/python bench/learning_curve.py                   # 3,000 reviews, 15% noise
    .venv/bin/python bench/learning_curve.py --n 2000 --noise 0.25 --runs 5

Data: ``labelworks.pipelines.samples.reviews(n)`` (an opener, a product, a phrase of the
intended sentiment, a closer that may contradict it), labelled like annotators who slip:
a share ``--noise`` of the labels is wrong, two thirds of those slips to the neighbouring
``neutral`` (or from ``neutral`` to either side), a third to the opposite sentiment. The
test labels are noisy too, as a project's final labels would be: accuracy is against the
labels, not the generator's intent. Runs ``pipelines.active_learning.simulate`` with the
service's settings (a quarter held out, the default schedule to half the pool) and prints
both curves, the labels saved at random order's final accuracy (and one point below it,
less at the mercy of noise on a plateau), and the time taken.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "src"))
from labelworks.pipelines.active_learning import simulate
from labelworks.pipelines.samples import reviews

MOODS = ("positive", "negative", "neutral")
OPPOSITE = {"positive": "negative", "negative": "positive"}


def labelled(n: int, noise: float, seed: int) -> tuple[list[str], list[str], float]:
    """The reviews' texts, their labels with slips, and the share of labels slipped."""
    rng = random.Random(seed)
    texts, labels, slipped = [], [], 0
    for record in reviews(n):
        intended = record["metadata"]["intended"]
        label = intended
        if rng.random() < noise:
            if intended == "neutral":
                label = rng.choice(list(OPPOSITE))
            else:
                label = "neutral" if rng.random() < 2 / 3 else OPPOSITE[intended]
        slipped += label != intended
        texts.append(record["payload"]["text"])
        labels.append(label)
    return texts, labels, slipped / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="reviews (default 3,000)")
    parser.add_argument("--noise", type=float, default=0.15, help="share of wrong labels")
    parser.add_argument("--runs", type=int, default=3, help="runs pooled (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    texts, labels, slipped = labelled(args.n, args.noise, args.seed)
    started = time.perf_counter()
    curve = simulate(texts, labels, multi=False, runs=args.runs, seed=args.seed)
    took = time.perf_counter() - started
    print(
        f"{args.n:,} demo reviews, {slipped:.1%} of labels wrong; {curve.test:,} held out and "
        f"{curve.pool:,} to label per run, {curve.runs} runs pooled; {took:.1f} s"
    )
    print()
    print("| labels | uncertainty | 95% CI | random | 95% CI |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    by = {(p.strategy, p.labels): p for p in curve.points}
    for n in curve.steps:
        u, r = by[("uncertainty", n)], by[("random", n)]
        print(
            f"| {n:,} | {u.accuracy:.1%} | {u.low:.1%}–{u.high:.1%} | {r.accuracy:.1%} | "
            f"{r.low:.1%}–{r.high:.1%} |"
        )
    saving = curve.saving()
    print()
    if saving is None or saving.saved is None or not saving.random_labels:
        print("uncertainty does not reach random order's final accuracy within the budget")
        return
    print(
        f"random order's final accuracy {saving.accuracy:.1%}: uncertainty reaches it with "
        f"{saving.uncertainty_labels:,} labels, random order with {saving.random_labels:,}: "
        f"{saving.saved:,} labels saved ({saving.saved / saving.random_labels:.0%})"
    )
    # On a plateau the first count at the final accuracy moves with noise: one point
    # below it too.
    near = saving.accuracy - 0.01
    reach = [curve.labels_to_reach(s, near) for s in ("uncertainty", "random")]
    shown = ["not reached" if n is None else f"{n:,} labels" for n in reach]
    print(f"within one point of it ({near:.1%}): uncertainty {shown[0]}, random order {shown[1]}")


if __name__ == "__main__":
    main()
