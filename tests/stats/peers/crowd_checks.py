"""Aggregators against crowd-kit 1.4: same conventions, same numbers.

crowd-kit works on a (task, worker, label) DataFrame and returns pandas objects indexed by
task and label; both sides are turned into lists in the order of the Ratings' items,
categories and annotators before they are compared or stored.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
from tests.stats.peers.check import Check, Params, close, equal, fields, grid
from tests.stats.test_aggregation_dawid_skene import anaesthesia

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
from labelworks.stats.aggregation.estimator import Aggregator

Crowd = tuple[Ratings, list[int]]


def ck() -> Any:
    return importlib.import_module("crowdkit.aggregation")


def frame(r: Ratings) -> Any:
    return importlib.import_module("pandas").DataFrame(
        {
            "task": np.asarray(r.items)[r.item],
            "worker": np.asarray(r.annotators)[r.annotator],
            "label": np.asarray(r.categories)[r.label],
        }
    )


def random_ratings(p: Params) -> Ratings:
    """300 items, 2-4 of 12 workers each, labels 0-2 at random: many ties."""
    rng = np.random.default_rng(p["seed"])
    records = []
    for i in range(300):
        workers = rng.choice(12, size=rng.integers(2, 5), replace=False)
        records += [(f"t{i}", f"w{w}", int(rng.integers(3))) for w in workers]
    return Ratings.from_records(records)


def crowd(n_labels: int, n_annotators: int, n_classes: int, seed: int) -> Crowd:
    c = simulate_crowd(n_labels, n_annotators=n_annotators, n_classes=n_classes, seed=seed)
    return c.ratings, c.truth.tolist()


def fitted(model: Aggregator, r: Ratings) -> dict[str, Any]:
    """Labels (category values in item order) and posteriors of a fitted aggregator."""
    return {"labels": [r.categories[c] for c in model.labels_.codes], "probas": model.probas_}


def their_fit(model: Any, r: Ratings) -> dict[str, Any]:
    """The same two fields from a fitted crowd-kit aggregator."""
    probas = model.probas_.reindex(index=r.items, columns=r.categories).fillna(0.0)
    return {"labels": model.labels_.reindex(r.items).tolist(), "probas": probas.to_numpy()}


def majority_ours(r: Ratings, p: Params) -> dict[str, Any]:
    model = MajorityVote().fit(r)
    assert model.ties_.sum() > 10, "the case is meant to exercise tie-breaking"
    return fitted(model, r)


def wawa_ours(r: Ratings, p: Params) -> dict[str, Any]:
    model = Wawa().fit(r)
    return {**fitted(model, r), "skills": model.skills_}


def wawa_theirs(r: Ratings, p: Params) -> dict[str, Any]:
    """crowd-kit's Wawa recipe spelled out (skills from get_accuracy, then a weighted
    MajorityVote): crowd-kit 1.4.2's own Wawa.predict fails with scikit-learn >= 1.6."""
    df = frame(r)
    utils = importlib.import_module("crowdkit.aggregation.utils")
    skills = utils.get_accuracy(df, ck().MajorityVote().fit_predict(df), by="worker")
    model = ck().MajorityVote().fit(df, skills=skills)
    return {**their_fit(model, r), "skills": skills.reindex(r.annotators).to_numpy()}


def em_ours(model: type[DawidSkene] | type[OneCoinDawidSkene]) -> Callable[[Ratings, Params], Any]:
    def ours(r: Ratings, p: Params) -> dict[str, Any]:
        m = model(max_iter=15, tol=0.0).fit(r)
        assert m.n_iter_ == 15
        return {**fitted(m, r), "priors": m.priors_}

    return ours


def em_theirs(name: str) -> Callable[[Ratings, Params], Any]:
    def theirs(r: Ratings, p: Params) -> dict[str, Any]:
        m = getattr(ck(), name)(n_iter=15, tol=-np.inf).fit(frame(r))
        return {**their_fit(m, r), "priors": m.priors_.reindex(r.categories).to_numpy()}

    return theirs


def accuracy_ours(model: type[GLAD] | type[MACE]) -> Callable[[Crowd, Params], Any]:
    def ours(data: Crowd, p: Params) -> dict[str, Any]:
        r, truth = data
        codes = model().fit(r).labels_.codes
        labels = [r.categories[c] for c in codes]
        return {"labels": labels, "accuracy": float((codes == np.asarray(truth)).mean())}

    return ours


def accuracy_theirs(make: Callable[[], Any]) -> Callable[[Crowd, Params], Any]:
    def theirs(data: Crowd, p: Params) -> dict[str, Any]:
        r, truth = data
        labels = make().fit_predict(frame(r)).reindex(r.items).to_numpy()
        return {"labels": labels.tolist(), "accuracy": float((labels == np.asarray(truth)).mean())}

    return theirs


def as_accurate(min_agreement: float) -> Callable[[Any, Any], None]:
    """Accuracy at most half a point below crowd-kit's, and the same label on at least
    ``min_agreement`` of the items (the two fit differently: neither has a closed form)."""

    def compare(ours: Any, reference: Any) -> None:
        assert ours["accuracy"] >= reference["accuracy"] - 0.005, (ours["accuracy"], reference)
        same = np.mean(np.asarray(ours["labels"]) == np.asarray(reference["labels"]))
        assert same >= min_agreement, f"same label on {same:.4f} of the items"

    return compare


CHECKS = [
    Check(
        name="crowdkit.MajorityVote",
        doc="Labels (ties broken towards the smallest label) and vote shares equal crowd-kit's.",
        peers=("crowdkit", "pandas"),
        cases=grid(seed=range(3)),
        data=random_ratings,
        ours=majority_ours,
        theirs=lambda r, p: their_fit(ck().MajorityVote().fit(frame(r)), r),
        compare=fields(labels=equal, probas=close(1e-12)),
    ),
    Check(
        name="crowdkit.Wawa",
        doc="Wawa's skills, labels and shares equal crowd-kit's Wawa steps.",
        peers=("crowdkit", "pandas"),
        cases=grid(seed=range(3)),
        data=random_ratings,
        ours=wawa_ours,
        theirs=wawa_theirs,
        compare=fields(labels=equal, probas=close(1e-12), skills=close(1e-12)),
    ),
]
for _name, _model, _priors_atol in [
    # crowd-kit floors posteriors at 1e-10 between rounds, hence the 1e-9 on posteriors. Its
    # priors_ are the mean of the final posteriors, ours the priors the final E-step used (one
    # M-step earlier): still moving after 15 rounds, by up to 7e-5 (DS) and 1e-7 (one-coin).
    ("DawidSkene", DawidSkene, 2e-4),
    ("OneCoinDawidSkene", OneCoinDawidSkene, 1e-6),
]:
    CHECKS.append(
        Check(
            name=f"crowdkit.{_name}",
            doc=f"{_name} run for the same 15 EM rounds gives crowd-kit's labels, posteriors "
            "and priors.",
            peers=("crowdkit", "pandas"),
            cases=grid(seed=range(2)),
            data=lambda p: crowd(3_000, n_annotators=30, n_classes=4, seed=p["seed"])[0],
            ours=em_ours(_model),
            theirs=em_theirs(_name),
            compare=fields(labels=equal, probas=close(1e-9), priors=close(_priors_atol)),
        )
    )
CHECKS += [
    Check(
        name="crowdkit.DawidSkene.anaesthesia",
        doc="On Dawid & Skene's 1979 data (observer 1's first reading), 100 EM rounds give "
        "crowd-kit's posteriors and labels.",
        peers=("crowdkit", "pandas"),
        cases=({},),
        data=lambda p: anaesthesia(),
        ours=lambda r, p: fitted(DawidSkene(max_iter=100, tol=0.0).fit(r), r),
        theirs=lambda r, p: their_fit(ck().DawidSkene(n_iter=100, tol=-np.inf).fit(frame(r)), r),
        # Posteriors near 0 are floored at 1e-10 by crowd-kit for 100 rounds: 3e-8 apart.
        compare=fields(labels=equal, probas=close(1e-7)),
    ),
    Check(
        name="crowdkit.GLAD",
        doc="On a simulated crowd GLAD is as accurate as crowd-kit's GLAD and mostly agrees.",
        peers=("crowdkit", "pandas"),
        cases=({},),
        data=lambda p: crowd(2_000, n_annotators=20, n_classes=3, seed=4),
        ours=accuracy_ours(GLAD),
        theirs=accuracy_theirs(lambda: ck().GLAD(n_iter=30)),
        compare=as_accurate(0.98),
    ),
    Check(
        name="crowdkit.MACE",
        doc="On a simulated crowd MACE is as accurate as crowd-kit's MACE and mostly agrees.",
        peers=("crowdkit", "pandas"),
        cases=({},),
        data=lambda p: crowd(4_000, n_annotators=30, n_classes=4, seed=6),
        ours=accuracy_ours(MACE),
        theirs=accuracy_theirs(lambda: ck().MACE(n_restarts=2)),
        compare=as_accurate(0.97),
    ),
]
