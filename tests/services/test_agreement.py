"""Project agreement through the service layer, on every database: the coefficients,
per-label and pairwise figures equal ``labelworks.stats`` on the same votes, a rating field
reads alpha at the ordinal level, refusals name what is wrong, and the cache holds only
while the project is unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.errors import InvalidInput
from labelworks.services import agreement
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.stats.agreement import (
    bootstrap_ci,
    cohen_kappa,
    disagreement_matrix,
    fleiss_kappa,
    gwet_ac1,
    item_agreement,
    krippendorff_alpha,
    pairwise_matrix,
    per_label_agreement,
    percent_agreement,
)
from labelworks.stats.ratings import Ratings
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
LABELS = ["positive", "negative", "neutral"]
FIELDS = [
    {"name": "sentiment", "kind": "choice", "labels": LABELS},
    {"name": "stars", "kind": "rating", "min": 1, "max": 5},
    {"name": "note", "kind": "text", "required": False},
]
# what each annotator (by position) answers on item k: mostly the truth, with a few slips
SLIPS = {0: set(), 1: {2, 5}, 2: {1, 5, 7}}


def _answer(annotator: int, k: int) -> dict[str, Any]:
    slip = k in SLIPS[annotator]
    label = LABELS[(k + slip) % 3]
    stars = 1 + (k + (annotator if slip else 0)) % 5
    return {"sentiment": label, "stars": stars}


def _world(db: Database, n: int = 10) -> list[int]:
    """Project 'sentiment' (overlap 3) with n items, each labelled by three annotators."""
    make_project(db, fields=FIELDS, overlap=3)
    load_texts(db, "sentiment", [f"t{k}" for k in range(n)])
    people = add_annotators(db, "sentiment", 3)
    for pos, who in enumerate(people):
        _work(db, who, lambda text, pos=pos: _answer(pos, int(text[1:])))
    return people


def _work(db: Database, annotator: int, answer: Any, start: int = 0) -> None:
    k = start
    while task := next_task_for(db, "sentiment", annotator, now=T0 + timedelta(seconds=k)):
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value=answer(task.payload["text"]),
            seconds=1.0,
            idempotency_key=f"{annotator}-{k}",
            now=T0 + timedelta(seconds=k),
        )
        k += 1


def _expected(records: list[tuple[int, str, Any]], categories: list[Any], ordinal: bool) -> Any:
    r = Ratings.from_records(records, categories=categories)
    options: dict[str, Any] = {"level": "ordinal"} if ordinal else {}
    ci = {
        name: bootstrap_ci(
            metric,
            r,
            n_resamples=1000,
            seed=20260601,
            **(options if name == "krippendorff_alpha" else {}),
        )
        for name, metric in [
            ("krippendorff_alpha", krippendorff_alpha),
            ("fleiss_kappa", fleiss_kappa),
            ("gwet_ac1", gwet_ac1),
        ]
    }
    return r, {k: {"value": v[0], "low": v[1], "high": v[2]} for k, v in ci.items()}


def _with_rest(records: list[tuple[int, str, Any]], categories: list[Any]) -> list[Any]:
    """Each annotator against the others, straight from the stats core: one unit per
    (item, other annotator), ordered by item and the other's id (the service's order)."""
    by_item: dict[int, dict[str, Any]] = {}
    for item, who, label in records:
        by_item.setdefault(item, {})[who] = label
    found = []
    for me in sorted({who for _, who, _ in records}):
        rows: list[tuple[int, int, Any]] = []
        shared = 0
        for item in sorted(by_item):
            votes = by_item[item]
            if me not in votes or len(votes) < 2:
                continue
            shared += 1
            for other in sorted(votes):
                if other != me:
                    unit = len(rows) // 2
                    rows += [(unit, 0, votes[me]), (unit, 1, votes[other])]
        r = Ratings.from_records(rows, categories=categories)
        value, low, high = bootstrap_ci(cohen_kappa, r, n_resamples=200, seed=20260601)
        found.append(
            {
                "annotator": me,
                "items": shared,
                "pairs": len(rows) // 2,
                "percent": percent_agreement(r),
                "cohen_kappa": {"value": value, "low": low, "high": high},
            }
        )
    return sorted(found, key=lambda a: a["cohen_kappa"]["value"])


def _disagreement(r: Ratings, votes: dict[int, list[tuple[str, Any]]]) -> dict[str, Any]:
    d = disagreement_matrix(r)
    contested = [(item, share) for item, share in item_agreement(r).items() if share < 1]
    return {
        "confusion": {
            "labels": d.categories,
            "counts": d.counts.tolist(),
            "rates": [[None if x != x else x for x in row] for row in d.rates.tolist()],
            "top": [{"a": a, "b": b, "count": n} for a, b, n in d.top_confusions(10)],
        },
        "contested": [
            {
                "item_id": item,
                "external_id": None,
                "agreement": share,
                "votes": [{"annotator": w, "label": lab} for w, lab in votes[item]],
            }
            for item, share in contested[:25]
        ],
    }


def test_figures_equal_the_stats_core_on_the_same_votes(db: Database) -> None:
    """Every coefficient with its interval, the per-label kappas and the pairwise matrix
    equal the stats core on the same (item, annotator, label) records."""
    people = _world(db)
    report = agreement.project_agreement(db, "sentiment").to_dict()
    assert list(report["fields"]) == ["sentiment", "stars"]
    emails = [f"ann{i}@example.com" for i in range(3)]
    cases: list[tuple[str, bool, list[Any]]] = [
        ("sentiment", False, LABELS),
        ("stars", True, [1, 2, 3, 4, 5]),
    ]
    for name, ordinal, cats in cases:
        records = [(k, emails[pos], _answer(pos, k)[name]) for k in range(10) for pos in range(3)]
        r, coefficients = _expected(records, cats, ordinal)
        got = report["fields"][name]
        pairs = pairwise_matrix(r)
        mean = pairs.mean_agreement()
        # items are numbered 1.. in the project, 0.. here
        by_id = Ratings.from_records([(k + 1, who, x) for k, who, x in records], categories=cats)
        votes: dict[int, list[tuple[str, Any]]] = {}
        for k, who, label in records:
            votes.setdefault(k + 1, []).append((who, label))
        assert got == {
            "kind": "rating" if ordinal else "choice",
            "level": "ordinal" if ordinal else "nominal",
            "items": 10,
            "ratings": 30,
            "annotators": 3,
            **coefficients,
            "labels": [{"label": k, "fleiss_kappa": v} for k, v in per_label_agreement(r).items()],
            "pairwise": {
                "annotators": pairs.annotators,
                "kappa": [
                    [None if i == j else pairs.values[i, j] for j in range(3)] for i in range(3)
                ],
                "shared": pairs.shared.tolist(),
                "mean": [mean[a] for a in pairs.annotators],
            },
            **_disagreement(by_id, votes),
            "annotator_agreement": _with_rest(records, cats),
            "structured": None,
        }
    assert len(people) == 3


def test_a_field_filter_measures_that_field_alone(db: Database) -> None:
    """``field="stars"`` gives the stars field only, the same figures as unfiltered."""
    _world(db)
    whole = agreement.project_agreement(db, "sentiment")
    one = agreement.project_agreement(db, "sentiment", field="stars")
    assert one.fields == [f for f in whole.fields if f.field == "stars"]


def test_unknown_and_unmeasured_fields_are_refused_naming_the_fields(db: Database) -> None:
    """An unknown field and a text field are refused with InvalidInput saying why."""
    _world(db, n=2)
    with pytest.raises(InvalidInput) as unknown:
        agreement.project_agreement(db, "sentiment", field="mood")
    assert unknown.value.message == ("unknown field 'mood' (fields: 'sentiment', 'stars', 'note')")
    with pytest.raises(InvalidInput) as text:
        agreement.project_agreement(db, "sentiment", field="note")
    assert text.value.message == (
        "agreement is measured on choice, rating, pairwise, spans, boxes and segments "
        "fields; 'note' is a text field"
    )


def test_a_project_without_double_ratings_has_undefined_figures(db: Database) -> None:
    """Items with one label each say nothing about agreement: no items, every figure None."""
    make_project(db, overlap=1)
    load_texts(db, "sentiment", ["t0", "t1"])
    (who,) = add_annotators(db, "sentiment", 1)
    _work(db, who, lambda text: {"sentiment": "positive"})
    (field,) = agreement.project_agreement(db, "sentiment").fields
    undefined = agreement.Coefficient(None, None, None)
    assert field == agreement.FieldAgreement(
        field="sentiment",
        kind="choice",
        level="nominal",
        items=0,
        ratings=0,
        annotators=0,
        coefficients=dict.fromkeys(agreement.METRICS, undefined),
    )


def test_the_cache_holds_until_a_new_annotation(db: Database) -> None:
    """A second call on an unchanged project returns the kept report (a field filter, its
    field); a new annotation measures again, a lone label on a new item changing nothing."""
    _world(db, n=3)
    first = agreement.project_agreement(db, "sentiment")
    assert agreement.project_agreement(db, "sentiment") is first
    assert agreement.project_agreement(db, "sentiment", field="stars").fields == [first.fields[1]]
    load_texts(db, "sentiment", ["t3"])
    (late,) = add_annotators(db, "sentiment", 1, prefix="late")
    _work(db, late, lambda text: _answer(0, int(text[1:])), start=100)
    again = agreement.project_agreement(db, "sentiment")
    assert again is not first
    assert again == first


def test_the_last_report_stays_readable_after_the_project_moved(db: Database) -> None:
    """A report counts the annotations it was measured at; once the project moved, only
    ``latest`` still returns it (whole or one field), until a newer one is kept."""
    _world(db, n=3)
    first = agreement.project_agreement(db, "sentiment")
    load_texts(db, "sentiment", ["t3"])
    (late,) = add_annotators(db, "sentiment", 1, prefix="late")
    _work(db, late, lambda text: _answer(0, int(text[1:])), start=100)
    stale = agreement.kept_agreement(db, "sentiment", latest=True)
    one = agreement.kept_agreement(db, "sentiment", field="stars", latest=True)
    assert (first.annotations, agreement.kept_agreement(db, "sentiment"), stale) == (
        9,
        None,
        first,
    )
    assert stale is first and one is not None and one.fields == [first.fields[1]]
    again = agreement.project_agreement(db, "sentiment")
    assert again.annotations == 10
    assert agreement.kept_agreement(db, "sentiment", latest=True) is again
