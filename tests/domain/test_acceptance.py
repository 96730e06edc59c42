"""The pure acceptance rules: which fields agreement is measured on, the labels it reads,
and each criterion's decision, value, interval and sentence."""

from __future__ import annotations

import math

import pytest

from labelworks.domain.acceptance import (
    Criterion,
    accepted,
    agreement_criterion,
    agreement_field_problem,
    agreement_fields,
    agreement_label,
    all_final_criterion,
    escalations_criterion,
    gold_accuracy_criterion,
    rated_twice,
    unmet_summary,
)
from labelworks.domain.fields import parse_field
from labelworks.domain.gold import wilson_bounds

FIELDS = [
    parse_field({"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}),
    parse_field({"name": "stars", "kind": "rating", "min": 1, "max": 3}),
    parse_field({"name": "better", "kind": "pairwise", "allow_tie": False}),
    parse_field({"name": "topics", "kind": "multi_choice", "labels": ["a", "b"]}),
    parse_field({"name": "note", "kind": "text"}),
]


def test_agreement_is_measured_on_choice_rating_and_pairwise_fields() -> None:
    """Without a name every categorical field counts; a name picks that field alone."""
    assert (
        [f.name for f in agreement_fields(FIELDS)],
        [f.name for f in agreement_fields(FIELDS, "stars")],
        agreement_fields(FIELDS, "note"),
    ) == (["sentiment", "stars", "better"], ["stars"], [])


def test_agreement_field_problems_name_the_field() -> None:
    """A missing or non-categorical field, or none at all, is named; a good one is fine."""
    assert [
        agreement_field_problem(FIELDS, None),
        agreement_field_problem(FIELDS, "better"),
        agreement_field_problem(FIELDS, "topics"),
        agreement_field_problem(FIELDS, "nope"),
        agreement_field_problem(FIELDS[3:], None),
    ] == [
        None,
        None,
        "agreement is measured on choice, rating and pairwise fields; 'topics' is a "
        "multi_choice field",
        "unknown field 'nope' (fields: 'sentiment', 'stars', 'better', 'topics', 'note')",
        "agreement is measured on choice, rating and pairwise fields, and this project has none",
    ]


def test_agreement_labels_are_the_fields_categories_only() -> None:
    """A label, a scale point, a pairwise choice count; anything the field does not know
    (a removed label, a point off the scale, a tie where ties are off, a bool) does not."""
    sentiment, stars, better = FIELDS[:3]
    assert [
        agreement_label(sentiment, "pos"),
        agreement_label(sentiment, "gone"),
        agreement_label(stars, 3),
        agreement_label(stars, 4),
        agreement_label(stars, True),
        agreement_label(stars, "3"),
        agreement_label(better, {"choice": "b", "strength": 2}),
        agreement_label(better, {"choice": "tie"}),
        agreement_label(better, "a"),
        agreement_label(sentiment, None),
    ] == ["pos", None, 3, None, None, None, "b", None, None, None]


def test_items_rated_once_are_left_out() -> None:
    """Only items with two or more records stay, in their order."""
    records = [(1, 10, "a"), (2, 10, "b"), (1, 11, "a"), (3, 12, "a"), (2, 12, "a")]
    assert rated_twice(records) == [(1, 10, "a"), (2, 10, "b"), (1, 11, "a"), (2, 12, "a")]


def test_agreement_is_met_by_the_lower_end_of_its_interval() -> None:
    """A high estimate whose interval reaches below the bound is not met; one whose lower
    end reaches it is."""
    low = agreement_criterion("sentiment", "krippendorff_alpha", (0.85, 0.78, 0.9), 0.8, 120)
    high = agreement_criterion("sentiment", "krippendorff_alpha", (0.9, 0.8, 0.95), 0.8, 1200)
    assert (low, high) == (
        Criterion(
            "agreement.sentiment",
            False,
            0.85,
            (0.78, 0.9),
            0.8,
            "krippendorff_alpha 0.850 (95% CI 0.780–0.900) over 120 items rated twice or more; "
            "the lower end must reach 0.800",
        ),
        Criterion(
            "agreement.sentiment",
            True,
            0.9,
            (0.8, 0.95),
            0.8,
            "krippendorff_alpha 0.900 (95% CI 0.800–0.950) over 1,200 items rated twice or "
            "more; the lower end must reach 0.800",
        ),
    )


def test_unmeasurable_agreement_is_not_met_and_holds_no_nan() -> None:
    """No item rated twice, a failed computation, or an undefined coefficient: not met,
    with ``None`` in place of NaN."""
    nan = math.nan
    assert [
        agreement_criterion("s", "fleiss_kappa", None, 0.6, 0),
        agreement_criterion("s", "fleiss_kappa", None, 0.6, 3),
        agreement_criterion("s", "fleiss_kappa", (nan, nan, nan), 0.6, 40),
    ] == [
        Criterion(
            "agreement.s",
            False,
            None,
            None,
            0.6,
            "no ordinary item has two or more annotations of 's'; the lower end must reach 0.600",
        ),
        Criterion(
            "agreement.s",
            False,
            None,
            None,
            0.6,
            "fleiss_kappa could not be computed on 3 items; the lower end must reach 0.600",
        ),
        Criterion(
            "agreement.s",
            False,
            None,
            None,
            0.6,
            "fleiss_kappa is undefined on 40 items (every annotation of 's' has the same "
            "label, or too few vary); the lower end must reach 0.600",
        ),
    ]


def test_gold_accuracy_reads_the_point_estimate_or_the_wilson_lower_end() -> None:
    """48 of 50 right (96%) meets a 0.95 point target but not a 0.95 lower-bound target,
    whose Wilson lower end is about 86.5%; no gold answers meet neither."""
    low, high = wilson_bounds(48, 50)
    point = gold_accuracy_criterion(48, 50, 0.95)
    bound = gold_accuracy_criterion(48, 50, 0.95, lower_bound=True)
    none = gold_accuracy_criterion(0, 0, 0.9)
    span = f"96.0% (95% CI {low:.1%}–{high:.1%})"
    assert (point, bound, none, round(low, 3)) == (
        Criterion(
            "gold_accuracy",
            True,
            0.96,
            (low, high),
            0.95,
            f"48 of 50 gold answers right: {span}; it must reach 95.0%",
        ),
        Criterion(
            "gold_accuracy_lower_bound",
            False,
            0.96,
            (low, high),
            0.95,
            f"48 of 50 gold answers right: {span}; the lower end must reach 95.0%",
        ),
        Criterion(
            "gold_accuracy",
            False,
            None,
            None,
            0.9,
            "no gold answers scored yet; it must reach 90.0%",
        ),
        0.865,
    )


@pytest.mark.parametrize(
    ("counts", "keeps", "met", "value", "detail"),
    [
        (
            (10, 10, 0),
            True,
            True,
            1.0,
            "10 of 10 ordinary items have a final label; 0 wait for adjudication, 0 have none yet",
        ),
        (
            (10, 7, 2),
            True,
            False,
            0.7,
            "7 of 10 ordinary items have a final label; 2 wait for adjudication, 1 have none yet",
        ),
        ((0, 0, 0), True, False, None, "the project has no ordinary items"),
        (
            (5, 0, 0),
            False,
            False,
            None,
            "the project keeps no final labels (set quality.consensus or dynamic_overlap)",
        ),
    ],
    ids=["all-final", "adjudication-waits", "no-items", "no-consensus"],
)
def test_all_final_counts_only_decided_items(
    counts: tuple[int, int, int], keeps: bool, met: bool, value: float | None, detail: str
) -> None:
    """Items waiting for adjudication or with no label keep all_final unmet."""
    items, final, adjudication = counts
    got = all_final_criterion(items, final, adjudication, keeps_final_labels=keeps)
    assert got == Criterion("all_final", met, value, None, 1.0, detail)


def test_open_escalations_hold_delivery_back() -> None:
    """None open is met; any open is not, counted in the sentence."""
    assert [escalations_criterion(0), escalations_criterion(1), escalations_criterion(3)] == [
        Criterion("no_open_escalations", True, 0.0, None, 0.0, "0 escalations are open"),
        Criterion("no_open_escalations", False, 1.0, None, 0.0, "1 escalation is open"),
        Criterion("no_open_escalations", False, 3.0, None, 0.0, "3 escalations are open"),
    ]


def test_acceptance_needs_every_criterion_and_names_the_unmet_ones() -> None:
    """accepted is all-met (vacuously with none); the summary lists unmet ones in order;
    to_dict flattens the interval."""
    good = escalations_criterion(0)
    bad = gold_accuracy_criterion(0, 0, 0.9)
    assert (
        accepted([good]),
        accepted([good, bad]),
        accepted([]),
        unmet_summary([good, bad]),
        bad.to_dict(),
        gold_accuracy_criterion(1, 1, 0.5).to_dict()["low"] == wilson_bounds(1, 1)[0],
    ) == (
        True,
        False,
        True,
        "gold_accuracy: no gold answers scored yet; it must reach 90.0%",
        {
            "name": "gold_accuracy",
            "met": False,
            "value": None,
            "low": None,
            "high": None,
            "target": 0.9,
            "detail": "no gold answers scored yet; it must reach 90.0%",
        },
        True,
    )
