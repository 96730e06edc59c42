"""Evaluation runs and comparisons on every database: a model version scored against the
final labels or the gold answers, figures known by construction and equal to
scikit-learn's, per-slice figures, stored runs, and the paired comparison's verdict."""

from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score
from tests.services.eval_world import (
    DECIDED,
    GOLD,
    ITEMS,
    PROJECT,
    answer_v1,
    answer_v2,
    make_eval_world,
    prediction,
    truth,
    wrong,
)

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.services import evaluation, predictions
from labelworks.services.model_comparison import compare_models
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


def test_a_run_scores_against_final_labels_as_scikit_learn_does(db: Database) -> None:
    """m@1 is wrong on every fifth of the 40 decided items: accuracy 0.8, and macro-F1 and
    kappa equal scikit-learn's; every interval holds its point; the run is stored."""
    make_eval_world(db)
    run = evaluation.run_evaluation(db, PROJECT, "m@1")
    reference = [truth(i) for i in range(DECIDED)]
    predicted = [answer_v1(i) for i in range(DECIDED)]
    report = run.report
    assert (run.model, run.version, run.field, run.against, run.items) == (
        "m", "1", "sentiment", "final", DECIDED
    )  # fmt: skip
    assert report["accuracy"]["value"] == pytest.approx(accuracy_score(reference, predicted))
    assert report["macro_f1"]["value"] == pytest.approx(
        f1_score(reference, predicted, average="macro")
    )
    assert report["kappa"]["value"] == pytest.approx(cohen_kappa_score(reference, predicted))
    for key in ("accuracy", "macro_f1", "kappa"):
        assert report[key]["low"] <= report[key]["value"] <= report[key]["high"]
    assert report["labels"] == ["pos", "neg", "neu"]
    assert sum(map(sum, report["confusion"])) == DECIDED
    assert report["calibration"]["brier"]["value"] is not None
    assert (report["kind"], report["skipped"], run.headline) == ("classification", 0, 0.8)
    assert [r.id for r in evaluation.eval_runs(db, PROJECT)] == [run.id]
    assert evaluation.eval_run(db, PROJECT, run.id) == run


def test_a_bare_name_is_the_newest_version_and_gold_is_another_reference(db: Database) -> None:
    """'m' means m@2, pushed last (wrong on items 0, 10, 20, 30 of 40); against gold only
    the 10 gold items count, where m@1 is wrong on two (50, 55)."""
    make_eval_world(db)
    newest = evaluation.run_evaluation(db, PROJECT, "m")
    assert (newest.version, newest.headline) == ("2", 0.9)
    gold = evaluation.run_evaluation(db, PROJECT, "m@1", against="gold")
    expected = [answer_v1(i) == truth(i) for i in range(ITEMS - GOLD, ITEMS)]
    assert (gold.items, gold.headline) == (GOLD, sum(expected) / GOLD)


def test_slices_break_the_figures_down_by_a_metadata_key(db: Database) -> None:
    """By category: 20 books (even items) and 20 toys (odd items), each with its accuracy."""
    make_eval_world(db)
    run = evaluation.run_evaluation(db, PROJECT, "m@1", slice_key="category")
    by_value = {s["value"]: (s["items"], s["accuracy"]["value"]) for s in run.report["slices"]}
    books = [answer_v1(i) == truth(i) for i in range(0, DECIDED, 2)]
    toys = [answer_v1(i) == truth(i) for i in range(1, DECIDED, 2)]
    assert by_value == {"books": (20, sum(books) / 20), "toys": (20, sum(toys) / 20)}


def test_refusals_name_what_is_missing(db: Database) -> None:
    """An unknown model or version is NotFound; a field predictions cannot be scored on,
    or the same version twice in a comparison, is invalid input."""
    make_eval_world(db)
    with pytest.raises(NotFound, match=r"no predictions from model 'x'.*models: m@1, m@2"):
        evaluation.run_evaluation(db, PROJECT, "x")
    with pytest.raises(NotFound, match="'m@9'"):
        evaluation.run_evaluation(db, PROJECT, "m@9")
    with pytest.raises(InvalidInput, match="'nope' is not a field"):
        evaluation.run_evaluation(db, PROJECT, "m@1", field="nope")
    with pytest.raises(InvalidInput, match="the same model version"):
        compare_models(db, PROJECT, "m@2", "m")
    with pytest.raises(NotFound):
        evaluation.eval_run(db, PROJECT, 999)


def test_vendor_staff_may_not_score_against_final_labels(db: Database) -> None:
    """Final labels mix every vendor's work: a vendor's reviewer is refused."""
    make_eval_world(db)
    made = add_user(db, "v@x.example", role="reviewer", projects=[PROJECT], vendor="acme")
    actor = Actor(made.user.id, "v@x.example", Role.REVIEWER, vendor="acme")
    with pytest.raises(PermissionDenied, match="vendors' staff"):
        evaluation.run_evaluation(db, PROJECT, "m@1", actor=actor)


def test_a_comparison_pairs_the_items_and_tests_the_difference(db: Database) -> None:
    """m@2 against m@1 on the 40 decided items: +10 points, only m@2 right on items 5, 15,
    25 and 35 (all toys), never only m@1: McNemar's exact p = 2 · 0.5⁴; no regression; the
    toys slice is flagged, books (no item differs) is not."""
    make_eval_world(db)
    found = compare_models(db, PROJECT, "m@1", "m@2", slice_key="category", fail_if_worse=0.0)
    r = found.report
    assert (found.a, found.b, found.items, found.only_a, found.only_b) == ("m@1", "m@2", 40, 0, 4)
    assert (r["accuracy_a"], r["accuracy_b"]) == (0.8, 0.9)
    assert r["accuracy_difference"]["value"] == pytest.approx(0.1)
    assert r["mcnemar"]["p_value"] == pytest.approx(0.125)
    assert found.worse is False
    flags = {s["value"]: (s["accuracy_difference"]["value"], s["flagged"]) for s in found.slices}
    assert flags == {"books": (0.0, False), "toys": (pytest.approx(0.2), True)}
    expected_b = [answer_v2(i) == truth(i) for i in range(DECIDED)]
    assert r["accuracy_b"] == sum(expected_b) / DECIDED


def test_the_regression_check_fails_a_clearly_worse_candidate(db: Database) -> None:
    """m@1 as the candidate against m@2 is 10 points worse, its interval wholly below 0
    but not below −0.05: a regression at DELTA 0, none at 0.05; a version wrong on half
    the items is one at 0.05 too; DELTA must be an accuracy difference."""
    make_eval_world(db)
    assert compare_models(db, PROJECT, "m@2", "m@1", fail_if_worse=0.0).worse is True
    assert compare_models(db, PROJECT, "m@2", "m@1", fail_if_worse=0.05).worse is False
    assert compare_models(db, PROJECT, "m@2", "m@1").worse is None
    rows = [prediction(i, "3", wrong(i) if i % 2 else truth(i)) for i in range(ITEMS)]
    predictions.push(db, PROJECT, rows)
    bad = compare_models(db, PROJECT, "m@2", "m@3", fail_if_worse=0.05)
    assert bad.worse is True
    assert bad.report["accuracy_difference"]["high"] < -0.05
    with pytest.raises(InvalidInput, match="fail-if-worse"):
        compare_models(db, PROJECT, "m@2", "m@3", fail_if_worse=1.5)
