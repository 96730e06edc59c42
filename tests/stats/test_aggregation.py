"""Majority vote, Wawa, the label mapping and the estimator contract shared by aggregators."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import InvalidRatingsError, Ratings
from labelworks.stats.aggregation import (
    GLAD,
    MACE,
    DawidSkene,
    ItemLabels,
    MajorityVote,
    OneCoinDawidSkene,
    Wawa,
    simulate_crowd,
)

ALL = [MajorityVote, Wawa, DawidSkene, OneCoinDawidSkene, GLAD, MACE]


def small() -> Ratings:
    return Ratings.from_records(
        [
            ("q1", "ann", "cat"),
            ("q1", "bob", "cat"),
            ("q1", "eve", "dog"),
            ("q2", "ann", "dog"),
            ("q2", "bob", "cat"),
            ("q3", "eve", "bird"),
        ]
    )


def test_majority_vote_counts_votes_and_marks_ties() -> None:
    """Majority vote returns vote shares, the winning labels, tie flags and agreement skills."""
    mv = MajorityVote().fit(small())
    assert mv.categories_ == ["bird", "cat", "dog"]
    np.testing.assert_allclose(
        mv.probas_, [[0, 2 / 3, 1 / 3], [0, 0.5, 0.5], [1, 0, 0]], rtol=0, atol=1e-15
    )
    assert mv.labels_ == {"q1": "cat", "q2": "cat", "q3": "bird"}
    assert mv.ties_.tolist() == [False, True, False]
    np.testing.assert_allclose(mv.skills_, [0.5, 1.0, 0.5])


def test_majority_vote_weights_change_the_winner() -> None:
    """A heavier annotator wins a tie that the unweighted rule would break alphabetically."""
    mv = MajorityVote(weights={"ann": 3.0, "bob": 1.0, "eve": 1.0}).fit(small())
    assert mv.labels_ == {"q1": "cat", "q2": "dog", "q3": "bird"}
    np.testing.assert_allclose(mv.probas_[1], [0, 0.25, 0.75])


def test_majority_vote_zero_weights_give_uniform_rows() -> None:
    """An item whose only voter weighs zero gets a uniform distribution, not NaN."""
    mv = MajorityVote(weights={"ann": 1.0, "bob": 1.0, "eve": 0.0}).fit(small())
    np.testing.assert_allclose(mv.probas_[2], [1 / 3, 1 / 3, 1 / 3])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"ann": 1.0, "bob": 1.0}, "no weight given for annotator 'eve'"),
        ({"ann": 1.0, "bob": -1.0, "eve": 1.0}, "weight for annotator 'bob' must be >= 0"),
    ],
)
def test_majority_vote_rejects_bad_weights(weights: dict[str, float], message: str) -> None:
    """Missing or negative annotator weights raise InvalidRatingsError naming the annotator."""
    with pytest.raises(InvalidRatingsError, match=message):
        MajorityVote(weights=weights).fit(small())


def test_wawa_reweights_by_agreement_with_the_majority() -> None:
    """Wawa's skills are agreement rates with the majority and drive the second vote."""
    r = Ratings.from_records(
        [
            ("q1", "ann", 1), ("q1", "bob", 1), ("q1", "eve", 0),
            ("q2", "ann", 0), ("q2", "bob", 0), ("q2", "eve", 1),
            ("q3", "ann", 1), ("q3", "eve", 0),
        ]
    )  # fmt: skip
    w = Wawa().fit(r)
    np.testing.assert_allclose(w.skills_, [2 / 3, 1.0, 1 / 3])
    assert w.labels_ == {"q1": 1, "q2": 0, "q3": 1}
    np.testing.assert_allclose(w.probas_[2], [1 / 3, 2 / 3])


def test_item_labels_behaves_like_a_read_only_dict() -> None:
    """ItemLabels supports lookup, iteration, items(), to_dict and a clear KeyError."""
    labels = ItemLabels(["a", "b"], ["no", "yes"], np.array([1, 0]))
    assert list(labels.items()) == [("a", "yes"), ("b", "no")]
    assert labels.to_dict() == {"a": "yes", "b": "no"}
    assert len(labels) == 2
    with pytest.raises(KeyError, match="item 'z' was not in the fitted ratings"):
        labels["z"]


@pytest.mark.parametrize("model", ALL)
def test_fit_refuses_anything_but_ratings(model: type) -> None:
    """Passing a list instead of a Ratings table raises InvalidRatingsError."""
    with pytest.raises(InvalidRatingsError, match=r"expected a labelworks\.stats\.Ratings"):
        model().fit([("a", "b", 1)])


@pytest.mark.parametrize("model", ALL)
def test_fit_predict_returns_labels_and_init_does_no_work(model: type) -> None:
    """__init__ stores only hyperparameters; fit_predict returns the fitted labels_."""
    est = model()
    assert not [k for k in vars(est) if k.endswith("_")]
    labels = est.fit_predict(small())
    assert labels is est.labels_
    assert set(labels) == {"q1", "q2", "q3"}


@pytest.mark.parametrize("model", ALL)
def test_aggregators_beat_or_match_chance_on_a_simulated_crowd(model: type) -> None:
    """On a seeded simulated crowd every aggregator recovers most true labels."""
    crowd = simulate_crowd(6_000, n_annotators=40, n_classes=3, seed=5)
    est = model().fit(crowd.ratings)
    accuracy = float((est.labels_.codes == crowd.truth).mean())
    assert accuracy > 0.8
    np.testing.assert_allclose(est.probas_.sum(axis=1), 1.0, rtol=0, atol=1e-9)


def test_model_based_aggregators_beat_majority_vote_on_a_simulated_crowd() -> None:
    """Models that learn annotator quality are more accurate than plain majority vote."""
    crowd = simulate_crowd(20_000, n_annotators=60, n_classes=4, seed=11)
    acc = {
        m.__name__: float((m().fit(crowd.ratings).labels_.codes == crowd.truth).mean()) for m in ALL
    }
    better = {name: acc[name] > acc["MajorityVote"] for name in acc if name != "MajorityVote"}
    assert better == {name: True for name in better}


@st.composite
def ratings_tables(draw: st.DrawFn) -> tuple[list[tuple[int, int, int]], int]:
    n_items = draw(st.integers(1, 12))
    n_annotators = draw(st.integers(2, 5))
    n_classes = draw(st.integers(2, 4))
    records = []
    for i in range(n_items):
        raters = draw(st.sets(st.integers(0, n_annotators - 1), min_size=1))
        records += [(i, a, draw(st.integers(0, n_classes - 1))) for a in sorted(raters)]
    return records, n_annotators


@pytest.mark.parametrize("model", ALL)
@settings(max_examples=25, deadline=None)
@given(table=ratings_tables())
def test_probabilities_sum_to_one(
    model: type, table: tuple[list[tuple[int, int, int]], int]
) -> None:
    """Every row of probas_ is a probability distribution."""
    est = model().fit(Ratings.from_records(table[0]))
    assert est.probas_.min() >= 0
    np.testing.assert_allclose(est.probas_.sum(axis=1), 1.0, rtol=0, atol=1e-9)


@pytest.mark.parametrize("model", ALL)
@settings(max_examples=25, deadline=None)
@given(table=ratings_tables(), data=st.data())
def test_relabeling_annotators_changes_nothing(
    model: type, table: tuple[list[tuple[int, int, int]], int], data: st.DataObject
) -> None:
    """Renaming annotators (a permutation that also reorders their codes) keeps the result."""
    records, n_annotators = table
    perm = data.draw(st.permutations(range(n_annotators)))
    renamed = [(i, f"r{perm[a]}", lab) for i, a, lab in records]
    first = model().fit(Ratings.from_records(records))
    second = model().fit(Ratings.from_records(renamed))
    np.testing.assert_allclose(first.probas_, second.probas_, rtol=0, atol=1e-7)
