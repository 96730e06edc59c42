"""Arena leaderboards against statsmodels: the shares' Wilson intervals and the
length-controlled fit.

The tie rate and the position bias are counted here from the battles themselves (ties; left
wins among decided battles) and given to statsmodels' ``proportion_confint``. The
length-controlled fit is compared with statsmodels' binomial GLM on the two-rows-per-tie
design of ``tests/stats/test_leaderboard.py`` (model columns +1/−1, the last model the
reference, then the standardised length difference; frequency weights ½ for a tie's rows),
fitted without a penalty, against labelworks' fit with a negligible one (1e-10).
"""

from __future__ import annotations

import importlib
from typing import Any

from tests.stats.peers.check import Check, Params, close, fields, grid
from tests.stats.test_leaderboard import length_design, length_world, ours_relative, small

from labelworks.stats.leaderboard import Battle, leaderboard

SHARES = ("tie_rate", "position_bias")


def peer(module: str) -> Any:
    return importlib.import_module(module)


def shares_ours(battles: list[Battle], p: Params) -> dict[str, list[float]]:
    board = leaderboard(battles, n_resamples=20, seed=1, confidence=p["confidence"])
    return {
        name: [share.value, share.low, share.high]
        for name, share in zip(SHARES, (board.tie_rate, board.position_bias), strict=True)
    }


def shares_theirs(battles: list[Battle], p: Params) -> dict[str, list[float]]:
    proportion = peer("statsmodels.stats.proportion")
    decided = [x for x in battles if x.winner != "tie"]
    counts = (
        (len(battles) - len(decided), len(battles)),
        (sum(x.winner == x.left for x in decided), len(decided)),
    )
    out = {}
    for name, (k, n) in zip(SHARES, counts, strict=True):
        low, high = proportion.proportion_confint(k, n, alpha=1 - p["confidence"], method="wilson")
        out[name] = [k / n, float(low), float(high)]
    return out


def tied_length_world(p: Params) -> list[Battle]:
    """``length_world`` (1,500 battles, length effect 0.7) with every fifth battle a tie."""
    battles = length_world(p["seed"], n=1500, effect=0.7)
    battles[::5] = [
        Battle(x.model_a, x.model_b, "tie", "a", length_a=x.length_a, length_b=x.length_b)
        for x in battles[::5]
    ]
    return battles


def length_glm(battles: list[Battle], p: Params) -> list[float]:
    """statsmodels' binomial GLM on the same design with frequency weights (no penalty)."""
    sm = peer("statsmodels.api")
    x, y, w, _ = length_design(battles)
    glm = sm.GLM(y, x, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-12)
    return [float(v) for v in glm.params]


CHECKS = [
    Check(
        name="statsmodels.proportion_confint.wilson.leaderboard",
        doc="A leaderboard's tie rate and position bias, with their intervals, are the "
        "counted shares with statsmodels' Wilson intervals.",
        peers=("statsmodels",),
        cases=grid(confidence=[0.9, 0.95]),
        data=lambda p: small(),
        ours=shares_ours,
        theirs=shares_theirs,
        compare=fields(tie_rate=close(1e-12), position_bias=close(1e-12)),
    ),
    Check(
        name="statsmodels.GLM.length_control",
        doc="The length-controlled fit (model scores relative to the last model, then the "
        "length coefficient) equals statsmodels' binomial GLM with the same design and "
        "frequency weights.",
        peers=("statsmodels",),
        cases=grid(seed=[9, 10]),
        data=tied_length_world,
        ours=lambda battles, p: [float(v) for v in ours_relative(battles)],
        theirs=length_glm,
        # Both stop iterating at a convergence tolerance: 3e-13 apart.
        compare=close(1e-9),
    ),
]
