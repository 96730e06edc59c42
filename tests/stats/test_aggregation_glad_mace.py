"""GLAD and MACE: monotone EM, what their learned parameters say, hyperparameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from labelworks.stats import Ratings
from labelworks.stats.aggregation import GLAD, MACE, simulate_crowd


def crowd() -> tuple[Ratings, np.ndarray, np.ndarray]:
    c = simulate_crowd(20_000, n_annotators=40, n_classes=3, seed=2)
    return c.ratings, c.truth, c.spammers


def test_glad_log_posterior_never_decreases() -> None:
    """Each GLAD round (E-step plus damped Newton M-step) raises the MAP objective."""
    r, _, _ = crowd()
    values = [GLAD(max_iter=n, tol=0.0).fit(r).log_posterior_ for n in range(1, 10)]
    assert values == sorted(values)


def test_glad_gives_the_spammer_the_lowest_ability() -> None:
    """The simulated spammer (annotator 8) is the only one with a negative ability."""
    r, _, spammers = crowd()
    g = GLAD().fit(r)
    assert np.flatnonzero(spammers).tolist() == [8]
    assert np.flatnonzero(g.alphas_ < 0).tolist() == [8]
    assert g.betas_.shape == (r.n_items,)
    assert g.betas_.min() > 0


def test_glad_difficulty_ranks_contested_items_lowest() -> None:
    """An item the annotators split on gets a lower inverse difficulty than unanimous ones."""
    records = [(i, a, 1) for i in range(6) for a in range(4)]
    records += [(6, 0, 0), (6, 1, 1), (6, 2, 0), (6, 3, 1)]
    g = GLAD().fit(Ratings.from_records(records))
    assert int(np.argmin(g.betas_)) == 6
    np.testing.assert_allclose(g.probas_[6], [0.5, 0.5], atol=1e-9)


def test_mace_likelihood_never_decreases_for_em_and_vb() -> None:
    """The log-likelihood of successive MACE rounds is non-decreasing for both methods."""
    r, _, _ = crowd()
    for method in ("em", "vb"):
        values = [
            MACE(max_iter=n, tol=0.0, method=method).fit(r).log_likelihood_ for n in range(1, 10)
        ]
        assert values == sorted(values), method


def test_mace_flags_the_spammer_and_keeps_confusions_normalised() -> None:
    """The spammer has the lowest competence; confusion rows sum to one."""
    r, _, _ = crowd()
    m = MACE().fit(r)
    assert int(np.argmin(m.competence_)) == 8
    assert m.competence_[8] < 0.1 < 0.3 < np.delete(m.competence_, 8).min()
    np.testing.assert_allclose(m.confusions_.sum(axis=2), 1.0, atol=1e-12)
    assert m.strategies_.shape == (40, 3)


def test_mace_random_restarts_are_seeded() -> None:
    """Random restarts with the same seed reproduce the same fit; the result is near the
    deterministic majority-initialised one."""
    r, truth, _ = crowd()
    a = MACE(init="random", n_restarts=3, seed=7).fit(r)
    b = MACE(init="random", n_restarts=3, seed=7).fit(r)
    np.testing.assert_array_equal(a.probas_, b.probas_)
    det = MACE().fit(r)
    assert abs((a.labels_.codes == truth).mean() - (det.labels_.codes == truth).mean()) < 0.005


@pytest.mark.parametrize(
    ("model", "params", "message"),
    [
        (GLAD, {"max_iter": -3}, "max_iter must be a positive integer"),
        (GLAD, {"tol": float("inf")}, "tol must be a finite number >= 0"),
        (MACE, {"method": "gibbs"}, "method must be one of"),
        (MACE, {"init": "spectral"}, "init must be one of"),
        (MACE, {"alpha": 0.0}, "alpha must be a finite number > 0"),
        (MACE, {"n_restarts": 0}, "n_restarts must be a positive integer"),
    ],
)
def test_glad_and_mace_reject_bad_hyperparameters(
    model: type, params: dict[str, object], message: str
) -> None:
    """Invalid hyperparameters raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=message):
        model(**params).fit(Ratings.from_records([(1, "a", 0), (1, "b", 1)]))
