"""Dawid–Skene and one-coin Dawid–Skene: the 1979 anaesthesia data and reference EM."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import Ratings
from labelworks.stats.aggregation import DawidSkene, MajorityVote, OneCoinDawidSkene

# Dawid & Skene (1979), Table 1: 45 patients rated 1-4 by 5 anaesthetists. Observer 1 rated
# every patient three times. Most tests use observer 1's first reading (FIRST); the tests of
# repeated ratings use all three (ALL), as the paper does.
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


ALL = [
    (patient, observer, response)
    for patient, (obs1, *rest) in enumerate(READINGS)
    for observer, responses in enumerate([obs1, *([r] for r in rest)], start=1)
    for response in responses
]


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


# ---------------------------------------------------------------- repeated ratings
def paper_em(
    records: list[tuple[object, object, int]], classes: list[int], rounds: int
) -> tuple[dict[object, list[float]], list[float], dict[object, list[list[float]]]]:
    """Dawid & Skene's EM in plain Python over (patient, observer, response) records, with
    n_il^(k) the number of times observer k gave response l to patient i (repeats count):
    eq. 3.1 to start, then ``rounds`` times the M-step (2.3, 2.4) and the E-step (2.5).

    Class shares and error-rate cells are floored at 1e-10 before normalising, as in
    labelworks and crowd-kit: on small tables plain maximum likelihood hits 0/0 when every
    patient an observer saw has weight 0 on some class."""
    n = Counter(records)
    patients = sorted({i for i, _, _ in records}, key=str)
    observers = sorted({k for _, k, _ in records}, key=str)
    t = {}
    for i in patients:
        total = sum(n[(i, k, resp)] for k in observers for resp in classes)
        t[i] = [sum(n[(i, k, j)] for k in observers) / total for j in classes]
    p: list[float] = []
    pi: dict[object, list[list[float]]] = {}
    for _ in range(rounds):
        p = [
            max(sum(t[i][j] for i in patients) / len(patients), 1e-10) for j in range(len(classes))
        ]
        for k in observers:
            pi[k] = []
            for j in range(len(classes)):
                row = [
                    max(sum(t[i][j] * n[(i, k, resp)] for i in patients), 1e-10) for resp in classes
                ]
                pi[k].append([x / sum(row) for x in row])
        for i in patients:
            joint = [
                p[j]
                * math.prod(
                    pi[k][j][m] ** n[(i, k, resp)]
                    for k in observers
                    for m, resp in enumerate(classes)
                )
                for j in range(len(classes))
            ]
            t[i] = [x / sum(joint) for x in joint]
    return t, p, pi


def test_dawid_skene_counts_repeats_as_the_papers_n_il() -> None:
    """On the full anaesthesia data (observer 1's three readings each), posteriors, priors
    and error rates equal the paper's EM written out in plain Python."""
    r = Ratings.from_records(ALL, repeats=True)
    assert (r.n_ratings, r.has_repeats) == (315, True)
    ds = DawidSkene(max_iter=20, tol=0.0).fit(r)
    t, p, pi = paper_em(ALL, [1, 2, 3, 4], 20)
    np.testing.assert_allclose(ds.probas_, [t[i] for i in range(45)], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ds.priors_, p, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ds.confusions_, [pi[k] for k in range(1, 6)], rtol=0, atol=1e-6)


def test_dawid_skene_full_anaesthesia_data_fit() -> None:
    """With all readings DS converges in 8 rounds to class shares (0.40, 0.42, 0.11, 0.07)
    and observer 1's error rates below; its labels are the first-reading fit's."""
    ds = DawidSkene().fit(Ratings.from_records(ALL, repeats=True))
    assert ds.n_iter_ == 8
    np.testing.assert_allclose(ds.priors_, [0.3996, 0.4220, 0.1118, 0.0667], atol=1e-4)
    np.testing.assert_allclose(
        ds.confusions_[0],
        [
            [0.889, 0.111, 0, 0],
            [0.071, 0.876, 0.053, 0],
            [0, 0.339, 0.661, 0],
            [0, 0, 0.556, 0.444],
        ],
        atol=1e-3,
    )
    assert list(ds.labels_.values()) == list(DawidSkene().fit(anaesthesia()).labels_.values())


def test_dawid_skene_em_steps_with_repeats_by_hand() -> None:
    """x: a says 1 twice, b says 0; y: a says 0, b says 0 then 1. Vote shares (1/3, 2/3)
    and (2/3, 1/3) give priors (1/2, 1/2), a's error rates [[1/2, 1/2], [1/5, 4/5]], b's
    [[3/5, 2/5], [3/4, 1/4]], and then posteriors (5/21, 16/21) and (16/21, 5/21)."""
    records = [("x", "a", 1), ("x", "a", 1), ("x", "b", 0), ("y", "a", 0), ("y", "b", 0)]
    r = Ratings.from_records([*records, ("y", "b", 1)], repeats=True)
    ds = DawidSkene(max_iter=1).fit(r)
    np.testing.assert_allclose(ds.priors_, [1 / 2, 1 / 2], atol=1e-15)
    np.testing.assert_allclose(
        ds.confusions_, [[[1 / 2, 1 / 2], [1 / 5, 4 / 5]], [[3 / 5, 2 / 5], [3 / 4, 1 / 4]]]
    )
    np.testing.assert_allclose(ds.probas_, [[5 / 21, 16 / 21], [16 / 21, 5 / 21]])
    # E-step normalisers 63/200 and 63/800 over the 6 ratings
    assert ds.log_likelihood_ == pytest.approx((math.log(63 / 200) + math.log(63 / 800)) / 6)


@st.composite
def repeated_tables(draw: st.DrawFn) -> list[tuple[int, str, int]]:
    """Up to 12 items, 4 annotators, 3 classes; some ratings given two or three times."""
    records = []
    for item in range(draw(st.integers(2, 12))):
        for who in draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True)):
            for _ in range(draw(st.integers(1, 3))):
                records.append((item, who, draw(st.integers(0, 2))))
    return records


@given(repeated_tables(), st.integers(1, 8))
@settings(max_examples=60, deadline=None)
def test_dawid_skene_with_repeats_equals_the_papers_em(
    records: list[tuple[int, str, int]], rounds: int
) -> None:
    """On random tables with repeats, DS after any number of rounds equals the plain-Python
    EM (up to the 1e-10 floor on probabilities)."""
    r = Ratings.from_records(records, repeats=True, categories=[0, 1, 2])
    ds = DawidSkene(max_iter=rounds, tol=0.0).fit(r)
    t, p, pi = paper_em(records, [0, 1, 2], rounds)
    np.testing.assert_allclose(ds.probas_, [t[i] for i in r.items], atol=1e-6)
    np.testing.assert_allclose(ds.priors_, p, atol=1e-9)
    np.testing.assert_allclose(ds.confusions_, [pi[k] for k in r.annotators], atol=1e-6)


def test_duplicating_every_rating_squares_the_likelihood() -> None:
    """Duplicating all ratings keeps the vote shares, so one round gives the same priors
    and error rates, but each rating's likelihood now counts twice: the posteriors become
    proportional to T^2 / p (T, p the single table's), sharper than before."""
    single = DawidSkene(max_iter=1).fit(anaesthesia())
    records = [(i, a, lab) for i, a, lab in zip_rows(anaesthesia()) for _ in range(2)]
    double = DawidSkene(max_iter=1).fit(Ratings.from_records(records, repeats=True))
    np.testing.assert_allclose(double.priors_, single.priors_, atol=1e-12)
    np.testing.assert_allclose(double.confusions_, single.confusions_, atol=1e-9)
    expected = single.probas_**2 / single.priors_
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(double.probas_, expected, atol=1e-9)
    assert (double.probas_.max(axis=1) >= single.probas_.max(axis=1) - 1e-12).all()


def zip_rows(r: Ratings) -> list[tuple[object, object, object]]:
    return [
        (r.items[i], r.annotators[a], r.categories[c])
        for i, a, c in zip(r.item.tolist(), r.annotator.tolist(), r.label.tolist(), strict=True)
    ]


def test_tables_without_repeats_fit_exactly_as_before() -> None:
    """repeats=True on a table that has none changes nothing in the fit."""
    strict = DawidSkene().fit(anaesthesia())
    lenient = DawidSkene().fit(Ratings.from_matrix(FIRST, annotators=[1, 2, 3, 4, 5]))
    records = zip_rows(anaesthesia())
    allowed = DawidSkene().fit(Ratings.from_records(records, repeats=True))
    for other in (lenient, allowed):
        assert np.array_equal(other.probas_, strict.probas_)
        assert np.array_equal(other.confusions_, strict.confusions_)


@pytest.mark.peer
def test_dawid_skene_with_repeats_matches_crowd_kit() -> None:
    """crowd-kit's DawidSkene, which counts every row, gives the same posteriors on the full
    anaesthesia data for 100 rounds (to its 1e-10 floor)."""
    pd = pytest.importorskip("pandas")
    crowdkit = pytest.importorskip("crowdkit.aggregation")
    frame = pd.DataFrame(ALL, columns=["task", "worker", "label"])
    theirs = crowdkit.DawidSkene(n_iter=100, tol=-np.inf).fit(frame)
    ours = DawidSkene(max_iter=100, tol=0.0).fit(Ratings.from_records(ALL, repeats=True))
    probas = theirs.probas_.reindex(index=ours.items_, columns=ours.categories_).to_numpy()
    np.testing.assert_allclose(ours.probas_, probas, rtol=0, atol=1e-9)
    assert theirs.labels_.reindex(ours.items_).tolist() == list(ours.labels_.values())
