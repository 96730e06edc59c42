"""The pure consensus rules: majority, Wawa and Dawid-Skene decisions with confidences,
per-label multi-choice, the medoid of free answers, and what dynamic overlap does next."""

from __future__ import annotations

import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from labelworks.domain.consensus import (
    Decision,
    DynamicOverlap,
    FieldModel,
    Next,
    Vote,
    decide,
    next_step,
)
from labelworks.domain.gold import score_answer
from labelworks.domain.spec import spec_from_dict

SPEC = spec_from_dict(
    {
        "name": "c",
        "fields": [
            {"name": "s", "kind": "choice", "labels": ["pos", "neg", "neu"]},
            {"name": "tags", "kind": "multi_choice", "labels": ["x", "y"]},
            {"name": "note", "kind": "text", "required": False},
        ],
    }
)
FIELDS = SPEC.fields[:1]


def test_majority_takes_the_most_votes_and_breaks_ties_by_label_order() -> None:
    """Two of three is 2/3 confident; a tie goes to the label listed first."""
    votes = [Vote(1, {"s": "neg"}), Vote(2, {"s": "neg"}), Vote(3, {"s": "pos"})]
    tie = [Vote(1, {"s": "neu"}), Vote(2, {"s": "pos"})]
    assert (decide(FIELDS, votes), decide(FIELDS, tie)) == (
        Decision({"s": "neg"}, {"s": 2 / 3}, 2 / 3),
        Decision({"s": "pos"}, {"s": 0.5}, 0.5),
    )


def test_wawa_weights_votes_by_each_annotators_skill() -> None:
    """A skilled annotator outweighs two poor ones."""
    model = FieldModel(["pos", "neg", "neu"], [1 / 3] * 3, weights={1: 0.95, 2: 0.3, 3: 0.3})
    votes = [Vote(1, {"s": "pos"}), Vote(2, {"s": "neg"}), Vote(3, {"s": "neg"})]
    decided = decide(FIELDS, votes, "wawa", {"s": model})
    assert (decided.value, round(decided.confidence, 4)) == ({"s": "pos"}, round(0.95 / 1.55, 4))


def test_dawid_skene_posterior_matches_a_hand_computation() -> None:
    """The posterior is priors times each annotator's confusion row, normalised."""
    good = [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]
    spammer = [[0.9, 0.05, 0.05]] * 3  # says pos whatever the truth
    model = FieldModel(["pos", "neg", "neu"], [0.5, 0.3, 0.2], confusions={1: good, 2: spammer})
    votes = [Vote(1, {"s": "neg"}), Vote(2, {"s": "pos"})]
    scores = [0.5 * 0.05 * 0.9, 0.3 * 0.9 * 0.9, 0.2 * 0.05 * 0.9]
    decided = decide(FIELDS, votes, "dawid_skene", {"s": model})
    assert (decided.value, math.isclose(decided.confidence, scores[1] / sum(scores))) == (
        {"s": "neg"},
        True,
    )


def test_multi_choice_is_a_majority_per_label_and_text_takes_the_medoid() -> None:
    """Each tag needs more than half the votes; the free text most others match wins."""
    votes = [
        Vote(1, {"s": "pos", "tags": ["x", "y"], "note": "Good  value"}),
        Vote(2, {"s": "pos", "tags": ["x"], "note": "good value"}),
        Vote(3, {"s": "pos", "tags": ["y", "x"], "note": "meh"}),
    ]
    assert decide(SPEC.fields, votes) == Decision(
        {"s": "pos", "tags": ["x", "y"], "note": "Good  value"},
        {"s": 1.0, "tags": 2 / 3, "note": 2 / 3},
        2 / 3,
    )


def test_next_step_asks_for_more_until_max_then_adjudication() -> None:
    """Below the bar: one more while under max, adjudication at max; at the bar: final."""
    rule = DynamicOverlap(2, 4, 0.7)
    unsure = Decision({"s": "pos"}, {"s": 0.5}, 0.5)
    sure = Decision({"s": "pos"}, {"s": 0.75}, 0.75)
    assert [next_step(unsure, 2, rule), next_step(unsure, 4, rule), next_step(sure, 2, rule)] == [
        Next.MORE,
        Next.ADJUDICATE,
        Next.FINAL,
    ]
    assert next_step(unsure, 2, None) is Next.FINAL


@given(st.lists(st.sampled_from(["pos", "neg", "neu"]), min_size=1, max_size=9))
def test_majority_agrees_with_counting_and_ignores_arrival_order(labels: list[str]) -> None:
    """The decision is the most common label (first listed on ties), for every order."""
    counts = {c: labels.count(c) for c in ["pos", "neg", "neu"]}
    best = max(["pos", "neg", "neu"], key=lambda c: (counts[c], -["pos", "neg", "neu"].index(c)))
    outcomes = {
        decide(FIELDS, [Vote(k, {"s": v}) for k, v in enumerate(order)]).value["s"]
        for order in itertools.islice(itertools.permutations(labels), 20)
    }
    assert outcomes == {best}


SPANS = spec_from_dict(
    {"name": "s", "fields": [{"name": "ents", "kind": "spans", "labels": ["PER", "ORG"]}]}
).fields


def test_a_similarity_matrix_picks_the_answer_closest_to_all() -> None:
    """With a similarity matrix the medoid has the highest mean similarity to all answers
    (itself counted as 1), the earliest on a tie, and that mean is its confidence."""
    votes = [Vote(k, {"ents": [{"start": k, "end": k + 1, "label": "PER"}]}) for k in range(3)]
    close = {"ents": [[1.0, 0.2, 0.9], [0.2, 1.0, 0.5], [0.9, 0.5, 1.0]]}
    tied = {"ents": [[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]]}
    decided = [decide(SPANS, votes, similarity=m) for m in (close, tied)]
    assert [(d.value["ents"][0]["start"], round(d.fields["ents"], 6)) for d in decided] == [
        (2, round(2.4 / 3, 6)),
        (0, round(2 / 3, 6)),
    ]


_SPAN = st.fixed_dictionaries(
    {
        "start": st.integers(0, 6),
        "end": st.integers(7, 12),
        "label": st.sampled_from(["PER", "ORG"]),
    }
)


@given(st.lists(st.lists(_SPAN, max_size=2), min_size=1, max_size=5))
def test_an_all_or_nothing_matrix_decides_as_the_match_rule(answers: list[list[dict]]) -> None:
    """Fed the gold-matching rule as a 0/1 similarity, the medoid and its confidence are
    exactly those of the rule itself."""
    votes = [Vote(k, {"ents": a}) for k, a in enumerate(answers)]
    rule = decide(SPANS, votes)
    matrix = [
        [1.0 if score_answer(SPANS, {"ents": x}, {"ents": y})["ents"] else 0.0 for y in answers]
        for x in answers
    ]
    by_matrix = decide(SPANS, votes, similarity={"ents": matrix})
    assert (by_matrix.value, by_matrix.fields) == (rule.value, rule.fields)
