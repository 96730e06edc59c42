"""Bradley–Terry and Elo on Agresti's tennis table and hand-checked sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelworks.stats import InvalidRatingsError
from labelworks.stats.aggregation import BradleyTerry, Elo, RankedModel

# Agresti, "An Introduction to Categorical Data Analysis", 3rd ed. (2019), Table 8.8:
# matches among five men's tennis players, Jan 2014 - Jan 2018. WINS[winner][loser].
PLAYERS = ["Djokovic", "Federer", "Murray", "Nadal", "Wawrinka"]
WINS = [
    [0, 9, 14, 9, 4],
    [6, 0, 5, 5, 7],
    [3, 0, 0, 2, 2],
    [2, 1, 4, 0, 4],
    [3, 2, 2, 3, 0],
]


def tennis() -> list[tuple[str, str, str]]:
    return [
        (PLAYERS[i], PLAYERS[j], "a") for i in range(5) for j in range(5) for _ in range(WINS[i][j])
    ]


def test_bradley_terry_solves_the_likelihood_equations_on_agrestis_tennis_table() -> None:
    """At the MLE every player's expected number of wins equals the observed number."""
    bt = BradleyTerry().fit(tennis())
    wins = np.array(WINS, dtype=float)
    games = wins + wins.T
    s = bt.scores_
    expected = (games / (1 + np.exp(s[None, :] - s[:, None]))).sum(axis=1)
    np.testing.assert_allclose(expected, wins.sum(axis=1), atol=1e-9)
    assert bt.models_ == PLAYERS
    assert abs(bt.scores_.mean()) < 1e-12
    assert sorted(bt.ratings_, key=bt.ratings_.__getitem__, reverse=True) == [
        "Djokovic", "Federer", "Wawrinka", "Nadal", "Murray"
    ]  # fmt: skip
    assert bt.n_comparisons_ == int(wins.sum()) == 87


def test_bradley_terry_reproduces_agrestis_published_estimates() -> None:
    """Agresti (2019, §8.6) reports, relative to Wawrinka, Djokovic 1.176, Federer 1.136,
    Murray -0.569 and Nadal -0.062."""
    bt = BradleyTerry().fit(tennis())
    relative = bt.scores_ - bt.scores_[PLAYERS.index("Wawrinka")]
    np.testing.assert_allclose(relative, [1.176, 1.136, -0.569, -0.062, 0.0], atol=5e-4)


# The cross-check against statsmodels' binomial GLM lives in tests/stats/peers/agreement_checks.py.


def test_ratings_are_on_the_elo_scale_and_can_be_anchored() -> None:
    """ratings_ = 1000 + 400*log10(strength), mean 1000, or shifted to the anchor."""
    bt = BradleyTerry().fit(tennis())
    expected = 1000 + 400 / math.log(10) * bt.scores_
    np.testing.assert_allclose(list(bt.ratings_.values()), expected)
    anchored = BradleyTerry(anchor=("Murray", 800.0)).fit(tennis())
    np.testing.assert_allclose(list(anchored.ratings_.values()), expected - expected[2] + 800.0)


def test_a_tie_counts_as_half_a_win_for_each_side() -> None:
    """Two ties fit the same as one win each way."""
    base = [("p", "q", "a"), ("q", "r", "a"), ("r", "p", "a")]
    with_ties = BradleyTerry().fit([*base, ("p", "q", "tie"), ("p", "q", "tie")])
    with_wins = BradleyTerry().fit([*base, ("p", "q", "a"), ("p", "q", "b")])
    np.testing.assert_allclose(with_ties.scores_, with_wins.scores_, atol=1e-12)
    np.testing.assert_allclose(with_ties.wins_, with_wins.wins_)


def test_frames_and_triples_give_the_same_fit() -> None:
    """A DataFrame with columns a, b, outcome is read like the list of triples."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(tennis(), columns=["a", "b", "outcome"])
    np.testing.assert_allclose(
        BradleyTerry().fit(frame).scores_, BradleyTerry().fit(tennis()).scores_
    )


def test_unbeaten_model_needs_a_penalty() -> None:
    """Without a penalty an unbeaten model has no finite MLE; a penalty makes it finite."""
    data = [("top", "mid", "a"), ("mid", "low", "a"), ("low", "mid", "a"), ("top", "low", "a")]
    with pytest.raises(InvalidRatingsError, match="pass penalty > 0"):
        BradleyTerry().fit(data)
    bt = BradleyTerry(penalty=0.1).fit(data)
    assert max(bt.ratings_, key=bt.ratings_.__getitem__) == "top"
    assert np.isfinite(bt.scores_).all()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([("a", "b", "win")], "expected 'a', 'b' or 'tie'"),
        ([("a", "a", "tie")], "compares 'a' with itself"),
        ([("a", "b")], "is not \\(a, b, outcome\\)"),
        ([], "there are no comparisons"),
    ],
)
def test_bad_comparisons_are_refused(data: list[tuple[str, ...]], message: str) -> None:
    """Malformed comparisons raise InvalidRatingsError naming the problem."""
    with pytest.raises(InvalidRatingsError, match=message):
        BradleyTerry().fit(data)


def test_bootstrap_intervals_contain_the_estimate_and_ranks_respect_overlap() -> None:
    """Intervals bracket each rating; a rank counts only models entirely above; seeded."""
    bt = BradleyTerry().fit(tennis())
    rows = bt.bootstrap_ci(n_resamples=300, seed=1)
    again = bt.bootstrap_ci(n_resamples=300, seed=1)
    assert rows == again
    assert [r.model for r in rows] == ["Djokovic", "Federer", "Wawrinka", "Nadal", "Murray"]
    assert all(isinstance(r, RankedModel) and r.low <= r.rating <= r.high for r in rows)
    expected_ranks = [1 + sum(o.low > r.high for o in rows) for r in rows]
    assert [r.rank for r in rows] == expected_ranks
    assert rows[0].rank == 1
    assert bt.bootstrap_samples_.shape == (300, 5)


def test_elo_updates_in_order_by_hand() -> None:
    """Two games with k=32: a win then a tie, checked against the Elo formula by hand."""
    elo = Elo(k=32).fit([("x", "y", "a"), ("x", "y", "tie")])
    first = 1000 + 16.0
    expected = 1 / (1 + 10 ** ((2000 - first - first) / 400))
    x = first + 32 * (0.5 - expected)
    assert elo.ratings_ == pytest.approx({"x": x, "y": 2000 - x})
    assert elo.n_comparisons_ == 2


def test_elo_partial_fit_continues_where_fit_stopped() -> None:
    """fit on the first half then partial_fit on the rest equals one fit on everything."""
    games = tennis()
    rng = np.random.default_rng(3)
    games = [games[k] for k in rng.permutation(len(games))]
    whole = Elo().fit(games)
    halves = Elo().fit(games[:50]).partial_fit(games[50:])
    assert halves.ratings_ == pytest.approx(whole.ratings_)
    assert halves.n_comparisons_ == whole.n_comparisons_ == 87
