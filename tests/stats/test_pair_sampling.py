"""Adaptive pair priorities: the information-gain formula by hand, its behaviour, bad
input, and a simulated campaign in which adaptive sampling settles the ranking with fewer
votes than round-robin."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from labelworks.stats import InvalidRatingsError
from labelworks.stats.pair_sampling import pair_priorities


def bench_module() -> ModuleType:
    """bench/adaptive_pairs.py, whose simulation the test runs with fewer repetitions."""
    path = Path(__file__).parents[2] / "bench" / "adaptive_pairs.py"
    spec = importlib.util.spec_from_file_location("adaptive_pairs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_votes_every_pair_has_the_prior_gain() -> None:
    """With no votes the scores are 0 and Σ = I / penalty, so every pair's gain is
    ½·log(1 + ¼·2/penalty), and the ranking rule halves it (order wrong with chance ½)."""
    gain = 0.5 * math.log(1 + 0.25 * 20)
    information = pair_priorities(["c", "a", "b"], [], penalty=0.1, rule="information")
    assert list(information) == [("a", "c"), ("b", "c"), ("a", "b")]
    assert all(v == pytest.approx(gain) for v in information.values())
    ranking = pair_priorities(["c", "a", "b"], [], penalty=0.1)
    assert all(v == pytest.approx(gain / 2) for v in ranking.values())


def test_gain_is_half_log_one_plus_w_times_the_variance_of_the_difference() -> None:
    """On two models the gain is ½·log(1 + p(1-p)·var(s_x - s_y)) with the variance from
    the penalised Fisher information, computed here by hand."""
    battles = [("x", "y", "a")] * 3 + [("y", "x", "a")] + [("x", "y", "tie")]
    priorities = pair_priorities(["x", "y"], battles, penalty=0.5, rule="information")
    # Penalised MLE with s_y = -s_x = -d/2: 3.5 wins of x in 5 games, so
    # 3.5 - 5 σ(d) - 0.5·d/2 = 0.
    d = 0.0
    for _ in range(100):
        p = 1 / (1 + math.exp(-d))
        d += (3.5 - 5 * p - 0.25 * d) / (5 * p * (1 - p) + 0.25)
    p = 1 / (1 + math.exp(-d))
    w = 5 * p * (1 - p)
    covariance = np.linalg.inv(np.array([[w + 0.5, -w], [-w, w + 0.5]]))
    spread = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    gain = 0.5 * math.log1p(p * (1 - p) * spread)
    assert priorities[("x", "y")] == pytest.approx(gain)
    doubt = 0.5 * math.erfc(d / math.sqrt(spread) / math.sqrt(2))  # Φ(-|d| / sd)
    ranking = pair_priorities(["x", "y"], battles, penalty=0.5)
    assert ranking[("x", "y")] == pytest.approx(gain * doubt)


def test_close_uncertain_pairs_come_before_settled_and_lopsided_ones() -> None:
    """Information: a pair never compared comes first and a close pair before a lopsided one
    with as many votes. Ranking: the close pair comes first and a never-compared pair whose
    order is plain from the others (p far above r) comes last. More votes on a pair lower
    its priority; every score is finite."""
    rng = np.random.default_rng(0)
    strength = {"p": 1.5, "q": 0.1, "r": 0.0, "s": -1.5}
    battles = []
    for a, b in [("p", "q"), ("q", "r"), ("r", "s"), ("p", "s"), ("q", "s")]:
        for _ in range(40):
            won = rng.random() < 1 / (1 + math.exp(strength[b] - strength[a]))
            battles.append((a, b, "a" if won else "b"))
    information = pair_priorities(list(strength), battles, rule="information")
    assert len(information) == 6 and all(math.isfinite(v) for v in information.values())
    assert max(information, key=information.__getitem__) == ("p", "r")
    assert information[("q", "r")] > information[("p", "s")]
    ranking = pair_priorities(list(strength), battles)
    assert all(math.isfinite(v) and v >= 0 for v in ranking.values())
    assert max(ranking, key=ranking.__getitem__) == ("q", "r")
    assert min(ranking, key=ranking.__getitem__) in {("p", "r"), ("p", "s")}
    more = pair_priorities(list(strength), battles + [("q", "r", "a"), ("r", "q", "a")] * 20)
    assert more[("q", "r")] < ranking[("q", "r")]


def test_which_model_is_called_a_does_not_matter() -> None:
    """Swapping a and b in a battle (and its outcome) leaves the priorities unchanged."""
    battles = [("x", "y", "a"), ("y", "z", "tie"), ("z", "x", "b"), ("x", "y", "b")]
    flip = {"a": "b", "b": "a", "tie": "tie"}
    swapped = [(b, a, flip[o]) for a, b, o in battles]
    ours, theirs = (
        pair_priorities(["x", "y", "z"], battles),
        pair_priorities(["x", "y", "z"], swapped),
    )  # type: ignore[arg-type]
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize(
    ("models", "battles", "message"),
    [
        (["x"], [], "at least two models"),
        (["x", "y", "x"], [], "'x' is listed twice"),
        (["x", "y"], [("x", "z", "a")], r"battle 0 \('x', 'z', 'a'\) is not"),
        (["x", "y"], [("x", "y", "a"), ("x", "y", "draw")], "battle 1"),
        (["x", "y"], [("x", "y")], "battle 0"),
        (["x", "y"], [("x", "y", "a"), (["x"], "y", "a")], "battle 1"),
        (["x", "y"], [("y", "y", "a")], "battle 0 compares 'y' with itself"),
    ],
)
def test_bad_input_raises_a_clear_error(models: list[str], battles: list, message: str) -> None:  # type: ignore[type-arg]
    """Bad models or battles raise InvalidRatingsError saying what is wrong."""
    with pytest.raises(InvalidRatingsError, match=message):
        pair_priorities(models, battles)
    with pytest.raises(ValueError, match="penalty"):
        pair_priorities(["x", "y"], [], penalty=0.0)
    with pytest.raises(ValueError, match="rule"):
        pair_priorities(["x", "y"], [], rule="fastest")  # type: ignore[arg-type]


@pytest.mark.slow
def test_adaptive_sampling_settles_the_ranking_with_fewer_votes_than_round_robin() -> None:
    """In four seeded campaigns of 8 models 50 Elo apart, adaptive sampling (the ranking
    rule, priorities recomputed every 5 votes) gets the fitted ranking right for good with
    fewer votes than round-robin in at least 3 and under 60% of its votes on average
    (bench/adaptive_pairs.py measures it with more repetitions)."""
    bench = bench_module()
    needed: dict[str, list[int]] = {"all": [], "ranking": []}
    for r in range(4):
        strength = bench.true_strengths(8, 50.0, r)
        for strategy, runs in needed.items():
            runs.append(bench.votes_to_settle(strength, strategy, 3000, 20, 1000 + r, batch=5))
    adaptive, round_robin = np.array(needed["ranking"]), np.array(needed["all"])
    assert (adaptive < round_robin).sum() >= 3, needed
    assert adaptive.mean() < 0.6 * round_robin.mean(), needed
