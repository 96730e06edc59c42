"""Cross-checks against crowd-kit 1.4 (dev-only): same conventions, same numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from labelworks.stats import Ratings
from labelworks.stats.aggregation import (
    GLAD,
    MACE,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    Wawa,
    simulate_crowd,
)

pytestmark = pytest.mark.peer
ck = pytest.importorskip("crowdkit.aggregation")
pd = pytest.importorskip("pandas")


def frame(r: Ratings) -> object:
    return pd.DataFrame(
        {
            "task": np.asarray(r.items)[r.item],
            "worker": np.asarray(r.annotators)[r.annotator],
            "label": np.asarray(r.categories)[r.label],
        }
    )


def random_ratings(seed: int, n_items: int = 300, n_workers: int = 12, k: int = 3) -> Ratings:
    """Random labels with many ties (2-4 labels per item from 3 classes)."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n_items):
        workers = rng.choice(n_workers, size=rng.integers(2, 5), replace=False)
        records += [(f"t{i}", f"w{w}", int(rng.integers(k))) for w in workers]
    return Ratings.from_records(records)


def aligned(r: Ratings, probas: object) -> np.ndarray:
    table = probas.reindex(index=r.items, columns=r.categories).fillna(0.0)  # type: ignore[attr-defined]
    return np.asarray(table.to_numpy(), dtype=float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_majority_vote_matches_crowdkit_including_ties(seed: int) -> None:
    """Labels (ties broken towards the smallest label) and vote shares equal crowd-kit's."""
    r = random_ratings(seed)
    ours = MajorityVote().fit(r)
    theirs = ck.MajorityVote().fit(frame(r))
    assert ours.labels_ == theirs.labels_.to_dict()
    np.testing.assert_allclose(ours.probas_, aligned(r, theirs.probas_), atol=1e-12)
    assert ours.ties_.sum() > 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wawa_matches_crowdkits_wawa_steps(seed: int) -> None:
    """Wawa equals crowd-kit's Wawa recipe (skills from get_accuracy, then a weighted
    MajorityVote); crowd-kit 1.4.2's own Wawa.predict fails with scikit-learn >= 1.6."""
    utils = pytest.importorskip("crowdkit.aggregation.utils")
    r = random_ratings(seed)
    df = frame(r)
    skills = utils.get_accuracy(df, ck.MajorityVote().fit_predict(df), by="worker")
    theirs = ck.MajorityVote().fit(df, skills=skills)
    ours = Wawa().fit(r)
    np.testing.assert_allclose(ours.skills_, skills.reindex(r.annotators).to_numpy(), atol=1e-12)
    assert ours.labels_ == theirs.labels_.to_dict()
    np.testing.assert_allclose(ours.probas_, aligned(r, theirs.probas_), atol=1e-12)


@pytest.mark.parametrize("model", ["DawidSkene", "OneCoinDawidSkene"])
@pytest.mark.parametrize("seed", [0, 1])
def test_dawid_skene_matches_crowdkit_iteration_for_iteration(model: str, seed: int) -> None:
    """Running both for the same number of EM rounds gives the same labels and posteriors up
    to crowd-kit's habit of flooring posteriors at 1e-10 in place between rounds."""
    crowd = simulate_crowd(3_000, n_annotators=30, n_classes=4, seed=seed)
    r = crowd.ratings
    ours = {"DawidSkene": DawidSkene, "OneCoinDawidSkene": OneCoinDawidSkene}[model]
    theirs = getattr(ck, model)(n_iter=15, tol=-np.inf).fit(frame(r))
    fitted = ours(max_iter=15, tol=0.0).fit(r)
    assert fitted.n_iter_ == 15
    assert fitted.labels_ == theirs.labels_.to_dict()
    np.testing.assert_allclose(fitted.probas_, aligned(r, theirs.probas_), atol=5e-3)
    np.testing.assert_allclose(fitted.priors_, theirs.priors_.reindex(r.categories), atol=1e-3)


def test_dawid_skene_on_the_anaesthesia_data_matches_crowdkit() -> None:
    """Dawid & Skene's 1979 data (observer 1's first reading): same posteriors and labels."""
    path = Path(__file__).parents[1] / "test_aggregation_dawid_skene.py"
    spec = importlib.util.spec_from_file_location("ds_data", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    r = module.anaesthesia()
    ours = DawidSkene().fit(r)
    theirs = ck.DawidSkene(n_iter=100).fit(frame(r))
    np.testing.assert_allclose(ours.probas_, aligned(r, theirs.probas_), atol=5e-3)
    assert ours.labels_ == theirs.labels_.to_dict()


def accuracy(labels: object, truth: np.ndarray) -> float:
    series = labels.sort_index()  # type: ignore[attr-defined]
    return float((series.to_numpy() == truth[series.index.to_numpy()]).mean())


def test_glad_accuracy_is_within_half_a_point_of_crowdkit() -> None:
    """On a simulated crowd GLAD's accuracy is within 0.005 of crowd-kit's GLAD."""
    crowd = simulate_crowd(2_000, n_annotators=20, n_classes=3, seed=4)
    theirs = accuracy(ck.GLAD(n_iter=30).fit_predict(frame(crowd.ratings)), crowd.truth)
    ours = float((GLAD().fit(crowd.ratings).labels_.codes == crowd.truth).mean())
    assert ours >= theirs - 0.005


def test_mace_accuracy_is_within_half_a_point_of_crowdkit() -> None:
    """On a simulated crowd MACE's accuracy is within 0.005 of crowd-kit's MACE."""
    crowd = simulate_crowd(4_000, n_annotators=30, n_classes=4, seed=6)
    theirs = accuracy(ck.MACE(n_restarts=2).fit_predict(frame(crowd.ratings)), crowd.truth)
    ours = float((MACE().fit(crowd.ratings).labels_.codes == crowd.truth).mean())
    assert ours >= theirs - 0.005
