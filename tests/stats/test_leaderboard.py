"""Arena leaderboards: hand-checked counts and shares, Bradley–Terry against ranking.py,
interval coverage, length control against scikit-learn, groups, bad input, and invariance
to which model of a battle is called ``a``. The checks against statsmodels (the shares'
Wilson intervals, the length-controlled fit as a binomial GLM) are in
tests/stats/peers/leaderboard_checks.py, against its stored values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import InvalidRatingsError
from labelworks.stats.battle_table import _Cells, _parse
from labelworks.stats.bradley_terry_bootstrap import _bootstrap_pairs
from labelworks.stats.leaderboard import Battle, Leaderboard, leaderboard, leaderboards_by
from labelworks.stats.ranking import BradleyTerry, bradley_terry_scores

Z95 = 1.959963984540054


def swapped(x: Battle) -> Battle:
    """The same vote with a and b exchanged."""
    flip = {"a": "b", "b": "a", "tie": "tie"}
    return Battle(
        x.model_b,
        x.model_a,
        flip[x.winner],
        flip[x.left],  # type: ignore[arg-type]
        x.category,
        x.evaluator,
        x.item,
        x.length_b,
        x.length_a,
    )


def small() -> list[Battle]:
    """x beats y 3-1 with a tie, y beats z 2-0, x-z one tie: 8 battles, 2 ties."""
    return [
        Battle("x", "y", "a", "a"),
        Battle("x", "y", "a", "b"),
        Battle("y", "x", "b", "a"),
        Battle("y", "x", "a", "a"),
        Battle("x", "y", "tie", "a"),
        Battle("y", "z", "a", "a"),
        Battle("z", "y", "b", "b"),
        Battle("z", "x", "tie", "b"),
    ]


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def simulate(
    strength: dict[str, float], n: int, rng: np.random.Generator, tie: float = 0.1
) -> list[Battle]:
    """Battles between random pairs drawn from Bradley–Terry with these log-strengths."""
    names = list(strength)
    out = []
    for _ in range(n):
        i, j = rng.choice(len(names), 2, replace=False)
        a, b = names[i], names[j]
        p = 1 / (1 + math.exp(strength[b] - strength[a]))
        u = rng.random()
        winner = "tie" if u < tie else ("a" if rng.random() < p else "b")
        out.append(Battle(a, b, winner, "a" if rng.random() < 0.5 else "b"))  # type: ignore[arg-type]
    return out


def test_counts_win_rates_and_shares_on_a_hand_checked_set() -> None:
    """Records, the win-rate table, the tie rate and the position bias are the hand counts."""
    board = leaderboard(small(), n_resamples=50, seed=1)
    assert board.battles == 8
    rows = {m.model: m for m in board.models}
    assert [rows[k].battles for k in "xyz"] == [6, 7, 3]
    assert [(rows[k].wins, rows[k].losses, rows[k].ties) for k in "xyz"] == [
        (3, 1, 2),
        (3, 3, 1),
        (0, 2, 1),
    ]
    assert rows["x"].win_rate == pytest.approx(4 / 6)
    assert [m.model for m in board.models] == ["x", "y", "z"]
    # x vs y: 3 wins + a tie of 5; y vs z: 2 of 2; x vs z: one tie.
    assert board.win_rates == [[None, 3.5 / 5, 0.5], [1.5 / 5, None, 1.0], [0.5, 0.0, None]]
    assert (board.tie_rate.value, board.tie_rate.n) == (2 / 8, 8)
    assert (board.tie_rate.low, board.tie_rate.high) == pytest.approx(wilson(2, 8))
    # The left answer won battles 1, 4, 6 and 7 of the 6 decided ones (2 and 3: the right).
    assert (board.position_bias.value, board.position_bias.n) == (4 / 6, 6)
    assert (board.position_bias.low, board.position_bias.high) == pytest.approx(wilson(4, 6))
    assert board.evaluator_agreement is None
    assert board.length_controlled is None and board.length_coefficient is None


def test_ratings_are_ranking_py_bradley_terry_with_the_same_penalty() -> None:
    """Point ratings equal BradleyTerry(penalty).fit on the triples; a model that never lost
    gets a finite rating, at the top; intervals are close to BradleyTerry.bootstrap_ci's."""
    rng = np.random.default_rng(3)
    battles = simulate({"p": 0.6, "q": 0.2, "r": 0.0, "s": -0.5}, 1500, rng)
    battles += [Battle("champ", "p", "a", "a"), Battle("q", "champ", "b", "b")]
    board = leaderboard(battles, n_resamples=400, seed=2)
    bt = BradleyTerry(penalty=1e-6).fit([(x.model_a, x.model_b, x.winner) for x in battles])
    for row in board.models:
        assert row.rating == pytest.approx(bt.ratings_[row.model], abs=1e-9)
    assert board.models[0].model == "champ" and math.isfinite(board.models[0].rating)
    theirs = {r.model: r for r in bt.bootstrap_ci(n_resamples=400, seed=2)}
    for row in board.models[1:]:
        width = theirs[row.model].high - theirs[row.model].low
        assert abs(row.low - theirs[row.model].low) < 0.25 * width
        assert abs(row.high - theirs[row.model].high) < 0.25 * width


def test_batched_resample_fits_equal_bradley_terry_scores() -> None:
    """Every bootstrap replicate is what bradley_terry_scores fits on that resample."""
    rng = np.random.default_rng(4)
    table = _parse(simulate({"p": 1.0, "q": 0.3, "r": 0.0, "s": -0.8, "t": -2.0}, 300, rng))
    cells = _Cells.of(table)
    m = len(table.models)

    def wins_of(counts: np.ndarray) -> np.ndarray:
        c = counts.reshape(-1, 3).astype(float)
        w = np.zeros((m, m))
        w[cells.lo, cells.hi] = c[:, 0] + c[:, 2] / 2
        w[cells.hi, cells.lo] = c[:, 1] + c[:, 2] / 2
        return w

    scores, _ = bradley_terry_scores(wins_of(cells.counts), 1e-6)
    samples, kept = _bootstrap_pairs(cells, scores, 1e-6, 60, 60, np.random.default_rng(0))
    for r in range(60):
        expected, _ = bradley_terry_scores(wins_of(kept[r]), 1e-6, scores, 200, 1e-12)
        np.testing.assert_allclose(samples[r], expected, atol=1e-6)


@pytest.mark.slow
def test_intervals_cover_the_true_ratings_about_95_percent_of_the_time() -> None:
    """Over 60 simulated arenas of 8 models (no ties: ties as half a win estimate a shrunk
    strength), the 95% intervals cover the true centred Elo ratings in 88-99% of models ×
    repetitions."""
    rng = np.random.default_rng(11)
    covered = total = 0
    for _ in range(60):
        truth = rng.normal(0, 0.7, 8)
        strength = {f"m{k}": float(s) for k, s in enumerate(truth)}
        board = leaderboard(
            simulate(strength, 1200, rng, tie=0.0),
            n_resamples=200,
            seed=int(rng.integers(1 << 30)),
        )
        elo = 1000 + 400 / math.log(10) * (truth - truth.mean())
        for row in board.models:
            true = elo[int(row.model[1:])]
            covered += row.low <= true <= row.high
            total += 1
    assert 0.88 <= covered / total <= 0.99, covered / total


def length_world(seed: int, n: int = 6000, effect: float = 1.0) -> list[Battle]:
    """Four equally good models; 'verbose' writes about 2.5 times longer answers, and the
    longer answer wins with log-odds ``effect`` per standardised length difference."""
    rng = np.random.default_rng(seed)
    names = ["verbose", "b", "c", "d"]
    typical = {"verbose": math.log(800), "b": math.log(320), "c": math.log(300), "d": math.log(280)}
    rows = []
    for _ in range(n):
        i, j = rng.choice(4, 2, replace=False)
        a, b = names[i], names[j]
        la = int(math.exp(typical[a] + rng.normal(0, 0.6)))
        lb = int(math.exp(typical[b] + rng.normal(0, 0.6)))
        rows.append((a, b, la, lb))
    diff = np.array([(la - lb) / (la + lb) for _, _, la, lb in rows])
    rms = math.sqrt(float(np.mean(diff**2)))
    battles = []
    for (a, b, la, lb), d in zip(rows, diff, strict=True):
        p = 1 / (1 + math.exp(-effect * d / rms))
        winner = "a" if rng.random() < p else "b"
        battles.append(Battle(a, b, winner, "a", length_a=la, length_b=lb))  # type: ignore[arg-type]
    return battles


def test_length_control_takes_back_a_win_made_only_by_length() -> None:
    """A model that wins only by answering longer tops the raw board; with length control it
    drops back among its equals and the fitted length effect is the planted one."""
    board = leaderboard(length_world(5), n_resamples=200, seed=0)
    raw = {m.model: m for m in board.models}
    assert board.models[0].model == "verbose" and board.models[0].rank == 1
    assert raw["verbose"].rating - 1000 > 60
    assert board.length_controlled is not None and board.length_coefficient is not None
    controlled = {m.model: m for m in board.length_controlled}
    assert abs(controlled["verbose"].rating - 1000) < 25
    assert controlled["verbose"].low < 1000 < controlled["verbose"].high
    assert {m.rank for m in board.length_controlled} == {1}
    assert board.length_coefficient == pytest.approx(1.0, abs=0.12)
    assert controlled["verbose"].battles == raw["verbose"].battles


def test_length_controlled_intervals_match_the_plain_ones_without_a_length_effect() -> None:
    """Without a length effect the one-step length-controlled bootstrap intervals have about
    the widths of the fully refitted plain intervals, except for the model whose lengths
    stand out, whose rating the covariate now shares (collinearity widens it)."""
    board = leaderboard(length_world(12, n=4000, effect=0.0), n_resamples=200, seed=1)
    assert board.length_controlled is not None and board.length_coefficient is not None
    assert abs(board.length_coefficient) < 0.1
    plain = {m.model: m.high - m.low for m in board.models}
    for row in board.length_controlled:
        if row.model == "verbose":
            assert row.high - row.low > plain[row.model]
        else:
            assert row.high - row.low == pytest.approx(plain[row.model], rel=0.3)


def length_design(battles: list[Battle]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The two-rows-per-tie design: model columns +1/-1 (the last model the reference),
    then the standardised length difference; outcomes and weights."""
    models = sorted({x.model_a for x in battles} | {x.model_b for x in battles})
    diff = np.array([(x.length_a - x.length_b) / (x.length_a + x.length_b) for x in battles])  # type: ignore[operator]
    z = diff / math.sqrt(float(np.mean(diff**2)))
    x_rows, y, w = [], [], []
    for battle, zk in zip(battles, z, strict=True):
        row = np.zeros(len(models))
        row[models.index(battle.model_a)] += 1
        row[models.index(battle.model_b)] -= 1
        row[-1] = zk
        for outcome, weight in {"a": [(1, 1.0)], "b": [(0, 1.0)], "tie": [(1, 0.5), (0, 0.5)]}[
            battle.winner
        ]:
            x_rows.append(row)
            y.append(outcome)
            w.append(weight)
    return np.array(x_rows), np.array(y), np.array(w), models


def ours_relative(battles: list[Battle]) -> np.ndarray:
    """Our length-controlled scores relative to the last model, then the coefficient."""
    board = leaderboard(battles, n_resamples=5, seed=0, penalty=1e-10)
    assert board.length_controlled is not None and board.length_coefficient is not None
    scores = {m.model: (m.rating - 1000) * math.log(10) / 400 for m in board.length_controlled}
    models = sorted(scores)
    return np.array(
        [scores[k] - scores[models[-1]] for k in models[:-1]] + [board.length_coefficient]
    )


def test_length_fit_equals_scikit_learns_unpenalised_logistic_regression() -> None:
    """The length-controlled fit is the maximum-likelihood logistic regression on the
    +1/-1 design with the length covariate, ties as two half-weighted rows."""
    from sklearn.linear_model import LogisticRegression

    battles = length_world(8, n=1500, effect=0.7)
    battles[::5] = [
        Battle(x.model_a, x.model_b, "tie", "a", length_a=x.length_a, length_b=x.length_b)
        for x in battles[::5]
    ]
    x, y, w, _ = length_design(battles)
    fit = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10_000)
    fit.fit(x, y, sample_weight=w)
    np.testing.assert_allclose(ours_relative(battles), fit.coef_[0], atol=2e-5)


def test_evaluator_agreement_counts_agreeing_pairs_of_votes_from_different_evaluators() -> None:
    """Item 1: three evaluators, two agree (1 of 3 pairs); item 2: the same evaluator twice
    (not paired) and an anonymous vote (paired with both): 2 pairs, both agree with the
    tie; the vote is by model, whichever side it was on."""
    votes = [
        Battle("x", "y", "a", "a", evaluator="e1", item="1"),
        Battle("y", "x", "b", "b", evaluator="e2", item="1"),
        Battle("x", "y", "b", "a", evaluator="e3", item="1"),
        Battle("x", "y", "tie", "a", evaluator="e1", item="2"),
        Battle("x", "y", "tie", "a", evaluator="e1", item="2"),
        Battle("y", "x", "tie", "a", item="2"),
        Battle("x", "y", "a", "a", evaluator="e9"),
    ]
    share = leaderboard(votes, n_resamples=10, seed=0).evaluator_agreement
    assert share is not None
    assert (share.value, share.n) == (3 / 5, 5)
    assert (share.low, share.high) == pytest.approx(wilson(3, 5))
    alone = [Battle("x", "y", "a", "a", evaluator="e1", item="1")] * 2
    assert leaderboard(alone, n_resamples=10, seed=0).evaluator_agreement is None


def test_boards_by_category_skip_groups_that_cannot_make_one() -> None:
    """One board per category, each the leaderboard of its battles; a category whose models
    never meet as one group is left out, and so are battles without a category."""
    rng = np.random.default_rng(6)
    code = [
        Battle(x.model_a, x.model_b, x.winner, x.left, "code")
        for x in simulate({"p": 1, "q": 0, "r": -1}, 200, rng)
    ]
    chat = [
        Battle(x.model_a, x.model_b, x.winner, x.left, "chat")
        for x in simulate({"p": 0, "q": 0.5}, 50, rng)
    ]
    split = [Battle("p", "q", "a", "a", "split"), Battle("r", "s", "b", "a", "split")]
    loose = [Battle("p", "s", "a", "a")]
    boards = leaderboards_by(code + chat + split + loose, "category", n_resamples=50, seed=3)
    assert list(boards) == ["chat", "code"]
    assert boards["code"] == leaderboard(code, n_resamples=50, seed=3)
    assert boards["chat"] == leaderboard(chat, n_resamples=50, seed=3)
    by_left = leaderboards_by(code, lambda x: x.left, n_resamples=20, seed=0)
    assert sorted(by_left) == ["a", "b"]
    assert sum(b.battles for b in by_left.values()) == len(code)
    assert leaderboards_by([], "category") == {}


@pytest.mark.parametrize(
    ("battles", "message"),
    [
        ([], "there are no battles"),
        ([Battle("x", "y", "a", "a"), Battle("x", "y", "draw", "a")], "battle 1 has winner 'draw'"),  # type: ignore[arg-type]
        ([Battle("x", "y", "a", "top")], "battle 0 has left 'top'"),  # type: ignore[arg-type]
        (
            [Battle("x", "y", "a", "a"), Battle("y", "y", "a", "a")],
            "battle 1 compares 'y' with itself",
        ),
        ([Battle("x", "y", "a", "a", length_a=3, length_b=-1)], "battle 0 has a negative"),
        ([Battle("x", "y", "a", "a"), Battle("z", "w", "a", "a")], "do not all meet"),
        (
            [
                Battle("x", "y", "a", "a", item="i"),
                Battle("x", "z", "a", "a", item="i"),
                Battle("y", "z", "a", "a"),
            ],
            "item 'i' has votes on x vs y and on x vs z",
        ),
        ([Battle("", "y", "a", "a")], "non-empty strings"),
    ],
)
def test_bad_input_raises_a_clear_error(battles: list[Battle], message: str) -> None:
    """Bad battles raise InvalidRatingsError naming the battle and what is wrong."""
    with pytest.raises(InvalidRatingsError, match=message):
        leaderboard(battles, n_resamples=10)


def test_bad_options_raise_value_errors() -> None:
    """confidence outside (0, 1), a penalty <= 0 and no resamples are refused."""
    for options in ({"confidence": 1.0}, {"penalty": 0.0}, {"n_resamples": 0}):
        with pytest.raises(ValueError):
            leaderboard(small(), **options)  # type: ignore[arg-type]


battle_lists = st.lists(
    st.tuples(
        st.sampled_from(["w", "x", "y", "z"]),
        st.sampled_from(["w", "x", "y", "z"]),
        st.sampled_from(["a", "b", "tie"]),
        st.sampled_from(["a", "b"]),
        st.sampled_from([None, "e1", "e2"]),
        st.integers(1, 400),
        st.integers(1, 400),
        st.booleans(),
    ).filter(lambda t: t[0] != t[1]),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows=battle_lists)
def test_swapping_a_and_b_with_the_winner_and_left_changes_nothing(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    """Exchanging a and b (and the winner and ``left`` with them) in any battles leaves the
    whole leaderboard unchanged, bit for bit."""
    battles = [
        Battle(a, b, w, left, evaluator=e, item=f"{min(a, b)}{max(a, b)}", length_a=la, length_b=lb)  # type: ignore[arg-type]
        for a, b, w, left, e, la, lb, _ in rows
    ]
    mixed = [swapped(x) if row[-1] else x for x, row in zip(battles, rows, strict=True)]
    try:
        board = leaderboard(battles, n_resamples=30, seed=7, length_resamples=10)
    except InvalidRatingsError as exc:
        assert "do not all meet" in str(exc)
        with pytest.raises(InvalidRatingsError, match="do not all meet"):
            leaderboard(mixed, n_resamples=30, seed=7, length_resamples=10)
        return
    other = leaderboard(mixed, n_resamples=30, seed=7, length_resamples=10)
    assert repr(other) == repr(board)
    everything_swapped = leaderboard(
        [swapped(x) for x in battles], n_resamples=30, seed=7, length_resamples=10
    )
    assert repr(everything_swapped) == repr(board)


def test_a_leaderboard_is_a_plain_value() -> None:
    """Equal inputs and seeds give equal boards; the seed is what changes the intervals."""
    one = leaderboard(small(), n_resamples=40, seed=5)
    assert isinstance(one, Leaderboard) and one == leaderboard(small(), n_resamples=40, seed=5)
    other = leaderboard(small(), n_resamples=40, seed=6)
    assert [m.rating for m in other.models] == [m.rating for m in one.models]
