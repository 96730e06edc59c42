"""Dawid–Skene and one-coin Dawid–Skene: the 1979 anaesthesia data and reference EM."""

from __future__ import annotations

import numpy as np
import pytest

from labelworks.stats import Ratings
from labelworks.stats.aggregation import DawidSkene, MajorityVote, OneCoinDawidSkene

# Dawid & Skene (1979), Table 1: 45 patients rated 1-4 by 5 anaesthetists. Observer 1 rated
# every patient three times; a Ratings table holds one rating per (item, annotator), so the
# tests use observer 1's first reading (FIRST). READINGS keeps all three for reference.
READINGS = [
    ([1, 1, 1], 1, 1, 1, 1), ([3, 3, 3], 4, 3, 3, 4), ([1, 1, 2], 2, 1, 2, 2),
    ([2, 2, 2], 3, 1, 2, 1), ([2, 2, 2], 3, 2, 2, 2), ([2, 2, 2], 3, 3, 2, 2),
    ([1, 2, 2], 2, 1, 1, 1), ([3, 3, 3], 3, 4, 3, 3), ([2, 2, 2], 2, 2, 2, 3),
    ([2, 3, 2], 2, 2, 2, 3), ([4, 4, 4], 4, 4, 4, 4), ([2, 2, 2], 3, 3, 4, 3),
    ([1, 1, 1], 1, 1, 1, 1), ([2, 2, 2], 3, 2, 1, 2), ([1, 2, 1], 1, 1, 1, 1),
    ([1, 1, 1], 2, 1, 1, 1), ([1, 1, 1], 1, 1, 1, 1), ([1, 1, 1], 1, 1, 1, 1),
    ([2, 2, 2], 2, 2, 2, 1), ([2, 2, 2], 1, 3, 2, 2), ([2, 2, 2], 2, 2, 2, 2),
    ([2, 2, 2], 2, 2, 2, 1), ([2, 2, 2], 3, 2, 2, 2), ([2, 2, 1], 2, 2, 2, 2),
    ([1, 1, 1], 1, 1, 1, 1), ([1, 1, 1], 1, 1, 1, 1), ([2, 3, 2], 2, 2, 2, 2),
    ([1, 1, 1], 1, 1, 1, 1), ([1, 1, 1], 1, 1, 1, 1), ([1, 1, 2], 1, 1, 2, 1),
    ([1, 1, 1], 1, 1, 1, 1), ([3, 3, 3], 3, 2, 3, 3), ([1, 1, 1], 1, 1, 1, 1),
    ([2, 2, 2], 2, 2, 2, 2), ([2, 2, 2], 3, 2, 3, 2), ([4, 3, 3], 4, 3, 4, 3),
    ([2, 2, 1], 2, 2, 3, 2), ([2, 3, 2], 3, 2, 3, 3), ([3, 3, 3], 3, 4, 3, 2),
    ([1, 1, 1], 1, 1, 1, 1), ([1, 1, 1], 1, 1, 1, 1), ([1, 2, 1], 2, 1, 1, 1),
    ([2, 3, 2], 2, 2, 2, 2), ([1, 2, 1], 1, 1, 1, 1), ([2, 2, 2], 2, 2, 2, 2),
]  # fmt: skip
FIRST = [[obs1[0], *rest] for obs1, *rest in READINGS]


def anaesthesia() -> Ratings:
    return Ratings.from_matrix(FIRST, annotators=[1, 2, 3, 4, 5])


def reference_dawid_skene(
    counts: np.ndarray, n_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dawid & Skene's equations written out literally over a patients × observers × classes
    count array: start from the response fractions (eq. 3.1), then repeat M (2.3, 2.4) and
    E (2.5) ``n_iter`` times."""
    n_patients, n_observers, k = counts.shape
    totals = counts.sum(axis=1)
    t = totals / totals.sum(axis=1, keepdims=True)
    for _ in range(n_iter):
        p = t.sum(axis=0) / n_patients
        pi = np.zeros((n_observers, k, k))
        for obs in range(n_observers):
            for j in range(k):
                for ell in range(k):
                    pi[obs, j, ell] = t[:, j] @ counts[:, obs, ell]
                pi[obs, j] /= pi[obs, j].sum()
        t = np.zeros((n_patients, k))
        for i in range(n_patients):
            for j in range(k):
                t[i, j] = p[j] * np.prod(pi[:, j, :] ** counts[i])
            t[i] /= t[i].sum()
    return t, p, pi


def first_reading_counts() -> np.ndarray:
    counts = np.zeros((45, 5, 4))
    for i, row in enumerate(FIRST):
        for obs, label in enumerate(row):
            counts[i, obs, label - 1] += 1
    return counts


def test_dawid_skene_matches_the_1979_equations_on_the_anaesthesia_data() -> None:
    """Posteriors, priors and error rates equal a literal implementation of the paper's EM."""
    ds = DawidSkene().fit(anaesthesia())
    t, p, pi = reference_dawid_skene(first_reading_counts(), ds.n_iter_)
    np.testing.assert_allclose(ds.probas_, t, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ds.priors_, p, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ds.confusions_, pi, rtol=0, atol=1e-6)


def test_dawid_skene_anaesthesia_labels_override_majority_vote_where_observers_are_weak() -> None:
    """DS agrees with the majority except for patients 2 and 4 (1-based), where it trusts
    the observers its error rates rank as reliable; values cross-checked by the reference
    EM above and by crowd-kit in tests/stats/peers."""
    ds = DawidSkene().fit(anaesthesia())
    mv = MajorityVote().fit(anaesthesia())
    assert list(ds.labels_.values()) == [
        1, 4, 2, 2, 2, 2, 1, 3, 2, 2, 4, 3, 1, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 1,
        1, 2, 1, 1, 1, 1, 3, 1, 2, 2, 4, 2, 3, 3, 1, 1, 1, 2, 1, 2,
    ]  # fmt: skip
    changed = {
        i + 1: (mv.labels_[i], ds.labels_[i]) for i in ds.labels_ if mv.labels_[i] != ds.labels_[i]
    }
    assert changed == {2: (3, 4), 4: (1, 2)}
    assert ds.n_iter_ == 7
    np.testing.assert_allclose(ds.priors_, [0.399967, 0.412419, 0.120947, 0.066667], atol=1e-6)


def test_dawid_skene_log_likelihood_increases_with_iterations() -> None:
    """EM never lowers the likelihood: more iterations give a higher or equal value."""
    values = [
        DawidSkene(max_iter=n, tol=0.0).fit(anaesthesia()).log_likelihood_ for n in range(1, 12)
    ]
    assert values == sorted(values)


def test_one_coin_skills_are_expected_accuracies() -> None:
    """One-coin skills equal each annotator's posterior-weighted share of correct labels."""
    r = anaesthesia()
    m = OneCoinDawidSkene(max_iter=1).fit(r)
    # After one M-step from vote shares and one E-step, recompute the skills the M-step
    # would produce next from the E-step's posteriors and compare with a fresh one-step fit.
    shares = MajorityVote().fit(r).probas_
    expected = np.bincount(r.annotator, weights=shares[r.item, r.label]) / np.bincount(r.annotator)
    np.testing.assert_allclose(np.diagonal(m.confusions_, axis1=1, axis2=2)[:, 0], expected)
    np.testing.assert_allclose(m.skills_, expected)
    np.testing.assert_allclose(m.confusions_.sum(axis=2), 1.0)


def test_dawid_skene_smoothing_keeps_unseen_cells_away_from_zero() -> None:
    """With smoothing every confusion cell is positive and rows still sum to one."""
    ds = DawidSkene(smoothing=1.0).fit(anaesthesia())
    assert ds.confusions_.min() > 0.001
    np.testing.assert_allclose(ds.confusions_.sum(axis=2), 1.0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"tol": -1.0}, "tol must be a finite number >= 0"),
        ({"init": "random"}, "init must be one of"),
        ({"smoothing": float("nan")}, "smoothing must be a finite number >= 0"),
    ],
)
def test_dawid_skene_rejects_bad_hyperparameters(params: dict[str, object], message: str) -> None:
    """Invalid hyperparameters raise ValueError at fit time with the parameter's name."""
    with pytest.raises(ValueError, match=message):
        DawidSkene(**params).fit(anaesthesia())  # type: ignore[arg-type]
