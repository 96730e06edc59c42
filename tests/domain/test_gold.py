"""The pure gold rules: scoring an answer per field, the Wilson bound and auto-pause, the
gold draw."""

from __future__ import annotations

import math
import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from labelworks.domain.gold import (
    PauseRule,
    gold_draw,
    is_correct,
    pause_reason,
    score_answer,
    wilson_bounds,
)
from labelworks.domain.spec import spec_from_dict
from labelworks.stats.aggregation.gold import wilson_interval

SPEC = spec_from_dict(
    {
        "name": "mixed",
        "fields": [
            {"name": "topic", "kind": "choice", "labels": ["a", "b"]},
            {"name": "tags", "kind": "multi_choice", "labels": ["x", "y", "z"]},
            {"name": "note", "kind": "text"},
            {"name": "stars", "kind": "rating", "min": 1, "max": 5},
            {"name": "ents", "kind": "spans", "labels": ["PER", "ORG"], "source": "text"},
            {"name": "objs", "kind": "boxes", "labels": ["car"], "source": "image"},
        ],
    }
)
EXPERT = {
    "topic": "a",
    "tags": ["x", "z"],
    "note": "Fine  Print",
    "stars": 4,
    "ents": [{"start": 0, "end": 10, "label": "PER"}, {"start": 20, "end": 30, "label": "ORG"}],
    "objs": [{"x": 0, "y": 0, "width": 10, "height": 10, "label": "car"}],
}


def test_every_field_kind_is_matched_by_its_own_rule() -> None:
    """Sets ignore order, text ignores case and spacing, spans and boxes match at IoU 0.5."""
    close = {
        "topic": "a",
        "tags": ["z", "x"],
        "note": "fine print",
        "stars": 4,
        "ents": [{"start": 21, "end": 30, "label": "ORG"}, {"start": 0, "end": 8, "label": "PER"}],
        "objs": [{"x": 2, "y": 0, "width": 10, "height": 10, "label": "car"}],
    }
    wrong = {
        "topic": "b",
        "tags": ["x"],
        "note": "fine prints",
        "stars": 5,
        "ents": [{"start": 0, "end": 10, "label": "ORG"}, {"start": 20, "end": 30, "label": "ORG"}],
        "objs": [{"x": 8, "y": 0, "width": 10, "height": 10, "label": "car"}],
    }
    assert (score_answer(SPEC.fields, EXPERT, close), score_answer(SPEC.fields, EXPERT, wrong)) == (
        {"topic": True, "tags": True, "note": True, "stars": True, "ents": True, "objs": True},
        {
            "topic": False,
            "tags": False,
            "note": False,
            "stars": False,
            "ents": False,
            "objs": False,
        },
    )


def test_an_answer_is_correct_only_when_every_expert_field_matches() -> None:
    """Fields the expert left out are not scored; a missing answer field is wrong."""
    assert (
        score_answer(SPEC.fields, {"topic": "a"}, {"topic": "a", "stars": 1}),
        is_correct(score_answer(SPEC.fields, {"topic": "a", "stars": 4}, {"topic": "a"})),
        is_correct({}),
        score_answer(SPEC.fields, {"ents": EXPERT["ents"]}, {"ents": EXPERT["ents"][:1]}),
    ) == ({"topic": True}, False, False, {"ents": False})


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_wilson_bounds_agree_with_the_stats_core(total: int, data: st.DataObject) -> None:
    """The pure bound equals the vectorised scipy-based interval of ``labelworks.stats``."""
    correct = data.draw(st.integers(min_value=0, max_value=total))
    low, high = wilson_interval(np.array([correct]), np.array([total]))
    ours = wilson_bounds(correct, total)
    assert math.isclose(ours[0], float(low[0]), abs_tol=1e-12) and math.isclose(
        ours[1], float(high[0]), abs_tol=1e-12
    )


def test_pause_fires_only_with_enough_answers_and_an_upper_bound_below_the_bar() -> None:
    """Too few answers never pause; 3 of 10 pauses at 0.8; 7 of 10 does not at 0.8."""
    rule = PauseRule(min_gold=10, below=0.8)
    assert (
        pause_reason(rule, 0, 9),
        pause_reason(rule, 3, 10),
        pause_reason(rule, 7, 10),
        pause_reason(None, 0, 100),
    ) == (
        None,
        "paused: 3 of 10 gold answers correct (30%, 95% interval 11%–60%) is below the "
        "project's bar of 80%; a manager can reinstate you",
        None,
        None,
    )


def test_the_gold_draw_comes_up_at_the_gold_rate() -> None:
    """Over 20,000 seeded draws the share is within 1.5 points of the rate; 0 and None
    never draw."""
    rng = random.Random(7)
    share = sum(gold_draw(0.1, rng) for _ in range(20_000)) / 20_000
    assert (abs(share - 0.1) < 0.015, gold_draw(0.0, rng), gold_draw(None, rng)) == (
        True,
        False,
        False,
    )
