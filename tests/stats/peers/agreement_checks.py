"""Agreement coefficients, Wilson intervals and Bradley–Terry against independent
implementations: krippendorff, scikit-learn, statsmodels and irrCAC.

Conventions: ``krippendorff.alpha`` wants raters × units and defaults to interval;
scikit-learn weights kappa on label ranks (we pass every category so ranks = positions);
statsmodels' fleiss_kappa wants a complete items × categories count table; irrCAC wants a
units × raters DataFrame and computes weights on category values (we use 1..q).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from tests.stats.peers.check import Check, Params, close, fields, grid
from tests.stats.test_ranking import PLAYERS, WINS

from labelworks.stats import Ratings
from labelworks.stats.aggregation import BradleyTerry, wilson_interval
from labelworks.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac2,
    icc,
    krippendorff_alpha,
)

Q = [1, 2, 3, 4]
LEVELS = ["nominal", "ordinal", "interval", "ratio"]
IRRCAC_WEIGHTS = ["identity", "linear", "quadratic", "ordinal", "radical"]


def random_table(seed: int, items: int = 60, raters: int = 5, gaps: float = 0.3) -> np.ndarray:
    """Items × raters labels 1..4 (60% copy a per-item truth), a share of cells NaN."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, len(Q) + 1, items)
    m = np.where(rng.random((items, raters)) < 0.6, truth[:, None],
                 rng.integers(1, len(Q) + 1, (items, raters))).astype(float)  # fmt: skip
    m[rng.random(m.shape) < gaps] = np.nan
    return m


def ratings(m: np.ndarray) -> Ratings:
    return Ratings.from_matrix(m, categories=Q)


def peer(module: str) -> Any:
    return importlib.import_module(module)


def irrcac_ours(m: np.ndarray, p: Params) -> list[float]:
    r, w = ratings(m), (None if p["weights"] == "identity" else p["weights"])
    return [fleiss_kappa(r, w), gwet_ac2(r, w), brennan_prediger(r, w), conger_kappa(r, w)]


def irrcac_theirs(m: np.ndarray, p: Params) -> list[float]:
    pd = peer("pandas")
    cac = peer("irrCAC.raw").CAC(pd.DataFrame(m), weights=p["weights"], categories=Q, digits=12)
    return [
        float(cac.fleiss()["est"]["coefficient_value"]),
        float(cac.gwet()["est"]["coefficient_value"]),
        float(cac.bp()["est"]["coefficient_value"]),
        float(cac.conger()["est"]["coefficient_value"]),
    ]


def irrcac_alpha(m: np.ndarray, p: Params) -> float:
    cac = peer("irrCAC.raw").CAC(peer("pandas").DataFrame(m), categories=Q, digits=12)
    return float(cac.krippendorff()["est"]["coefficient_value"])


def icc_table(p: Params) -> np.ndarray:
    """15 targets × 4 judges: target and judge effects plus noise."""
    rng = np.random.default_rng(p["seed"])
    return rng.normal(size=(15, 1)) + rng.normal(size=(1, 4)) + rng.normal(scale=0.7, size=(15, 4))


def icc_from_anova(m: np.ndarray, p: Params) -> list[float]:
    """ICC(2,1) and ICC(3,1) from the mean squares of statsmodels' two-way ANOVA."""
    pd, sm = peer("pandas"), peer("statsmodels.api")
    n, k = m.shape
    long = pd.DataFrame(
        {"y": m.ravel(), "t": np.repeat(np.arange(n), k).astype(str),
         "j": np.tile(np.arange(k), n).astype(str)}
    )  # fmt: skip
    fit = peer("statsmodels.formula.api").ols("y ~ C(t) + C(j)", data=long).fit()
    ms = sm.stats.anova_lm(fit)["mean_sq"]
    bms, jms, ems = float(ms["C(t)"]), float(ms["C(j)"]), float(ms["Residual"])
    return [
        (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n),
        (bms - ems) / (bms + (k - 1) * ems),
    ]


def wilson_data(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """50 (successes, trials) pairs, trials 1..199."""
    rng = np.random.default_rng(0)
    trials = rng.integers(1, 200, 50)
    return rng.integers(0, trials + 1), trials


def wilson_ours(data: tuple[np.ndarray, np.ndarray], p: Params) -> dict[str, Any]:
    low, high = wilson_interval(data[0], data[1], p["confidence"])
    return {"low": low.tolist(), "high": high.tolist()}


def wilson_theirs(data: tuple[np.ndarray, np.ndarray], p: Params) -> dict[str, Any]:
    low, high = peer("statsmodels.stats.proportion").proportion_confint(
        data[0], data[1], alpha=1 - p["confidence"], method="wilson"
    )
    return {"low": np.asarray(low).tolist(), "high": np.asarray(high).tolist()}


def bradley_terry_ours(wins: list[list[int]], p: Params) -> list[float]:
    games = [(a, b, "a") for i, a in enumerate(PLAYERS) for j, b in enumerate(PLAYERS)
             for _ in range(wins[i][j])]  # fmt: skip
    scores = BradleyTerry().fit(games).scores_
    return [float(s) for s in scores[:4] - scores[4]]


def bradley_terry_glm(wins: list[list[int]], p: Params) -> list[float]:
    """The binomial GLM on the +1/-1 design, the last player as the reference (Agresti §8.6)."""
    sm = peer("statsmodels.api")
    rows, successes, trials = [], [], []
    for i in range(5):
        for j in range(i + 1, 5):
            x = np.zeros(4)
            if i < 4:
                x[i] = 1.0
            if j < 4:
                x[j] = -1.0
            rows.append(x)
            successes.append(wins[i][j])
            trials.append(wins[i][j] + wins[j][i])
    endog = np.column_stack([successes, np.subtract(trials, successes)])
    glm = sm.GLM(endog, np.array(rows), family=sm.families.Binomial()).fit()
    return [float(x) for x in glm.params]


CHECKS = [
    Check(
        name="krippendorff.alpha",
        doc="krippendorff_alpha equals krippendorff.alpha at every level, with missing data.",
        peers=("krippendorff",),
        cases=grid(level=LEVELS, seed=range(5)),
        data=lambda p: random_table(p["seed"]),
        ours=lambda m, p: krippendorff_alpha(ratings(m), p["level"]),
        theirs=lambda m, p: float(
            peer("krippendorff").alpha(m.T, level_of_measurement=p["level"], value_domain=Q)
        ),
        compare=close(1e-12),
    ),
    Check(
        name="sklearn.cohen_kappa_score",
        doc="cohen_kappa equals scikit-learn's cohen_kappa_score, weighted and not.",
        peers=("sklearn.metrics",),
        cases=grid(weights=[None, "linear", "quadratic"], seed=range(5)),
        data=lambda p: random_table(p["seed"], raters=2, gaps=0.0),
        ours=lambda m, p: cohen_kappa(ratings(m), weights=p["weights"]),
        theirs=lambda m, p: float(
            peer("sklearn.metrics").cohen_kappa_score(
                m[:, 0], m[:, 1], labels=Q, weights=p["weights"]
            )
        ),
        compare=close(1e-12),
    ),
    Check(
        name="statsmodels.fleiss_kappa",
        doc="fleiss_kappa equals statsmodels' fleiss_kappa on complete data.",
        peers=("statsmodels",),
        cases=grid(seed=range(5)),
        data=lambda p: random_table(p["seed"], gaps=0.0),
        ours=lambda m, p: fleiss_kappa(ratings(m)),
        theirs=lambda m, p: float(
            peer("statsmodels.stats.inter_rater").fleiss_kappa(
                (m[:, :, None] == np.array(Q)).sum(axis=1)
            )
        ),
        compare=close(1e-12),
    ),
    Check(
        name="irrCAC.CAC",
        doc="Fleiss, Gwet AC2, Brennan–Prediger and Conger, weighted, with missing data, "
        "equal irrCAC's.",
        peers=("irrCAC", "pandas"),
        cases=grid(weights=IRRCAC_WEIGHTS, seed=range(4)),
        data=lambda p: random_table(p["seed"]),
        ours=irrcac_ours,
        theirs=irrcac_theirs,
        # irrCAC rounds to `digits` (12) decimals: 5e-13 apart.
        compare=close(1e-11),
    ),
    Check(
        name="irrCAC.krippendorff",
        doc="Nominal alpha equals irrCAC's Krippendorff coefficient.",
        peers=("irrCAC", "pandas"),
        cases=grid(seed=range(3)),
        data=lambda p: random_table(p["seed"]),
        ours=lambda m, p: krippendorff_alpha(ratings(m)),
        theirs=irrcac_alpha,
        compare=close(1e-11),
    ),
    Check(
        name="statsmodels.anova_lm.icc",
        doc="ICC(2,1) and ICC(3,1) equal the mean squares of statsmodels' two-way ANOVA.",
        peers=("statsmodels", "pandas"),
        cases=grid(seed=range(3)),
        data=icc_table,
        ours=lambda m, p: [icc(Ratings.from_matrix(m), form) for form in ("ICC(2,1)", "ICC(3,1)")],
        theirs=icc_from_anova,
        compare=close(1e-10),
    ),
    Check(
        name="statsmodels.proportion_confint.wilson",
        doc="wilson_interval equals statsmodels' proportion_confint(method='wilson').",
        peers=("statsmodels",),
        cases=grid(confidence=[0.8, 0.95, 0.99]),
        data=wilson_data,
        ours=wilson_ours,
        theirs=wilson_theirs,
        compare=fields(low=close(1e-12), high=close(1e-12)),
    ),
    Check(
        name="statsmodels.GLM.bradley_terry",
        doc="Bradley–Terry score differences on Agresti's tennis table equal statsmodels' "
        "binomial GLM.",
        peers=("statsmodels",),
        cases=({},),
        data=lambda p: WINS,
        ours=bradley_terry_ours,
        theirs=bradley_terry_glm,
        # Both stop iterating at a convergence tolerance: 2.4e-11 apart.
        compare=close(1e-9),
    ),
]
