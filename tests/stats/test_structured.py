"""Span, box and segment agreement: matching rules, coverage and errors."""

from __future__ import annotations

import numpy as np
import pytest

from labelworks.stats import InvalidRatingsError
from labelworks.stats.agreement import box_agreement, segment_agreement, span_agreement

SPANS = [
    ("d1", "ann", 0, 5, "PER"), ("d1", "bob", 0, 5, "PER"), ("d1", "cat", 0, 4, "PER"),
    ("d1", "ann", 10, 15, "ORG"), ("d1", "bob", 11, 15, "ORG"), ("d1", "cat", 10, 15, "LOC"),
    ("d2", "ann", 3, 8, "PER"), ("d2", "bob", 3, 8, "PER"),
]  # fmt: skip


def as_dict(result) -> dict[str, object]:
    return {
        "annotators": result.annotators,
        "f1": np.round(result.f1, 4).tolist(),
        "matched": result.matched.tolist(),
        "marked": result.marked.tolist(),
        "shared": result.shared_items.tolist(),
    }


def test_exact_spans() -> None:
    """Exact mode matches identical boundaries and labels; cat shares only d1 with the others."""
    got = as_dict(span_agreement(SPANS))
    nan = float("nan")
    expected = {
        "annotators": ["ann", "bob", "cat"],
        "f1": [[nan, 0.6667, 0.0], [0.6667, nan, 0.0], [0.0, 0.0, nan]],
        "matched": [[0, 2, 0], [2, 0, 0], [0, 0, 0]],
        "marked": [[0, 6, 4], [6, 0, 4], [4, 4, 0]],
        "shared": [[0, 2, 1], [2, 0, 1], [1, 1, 0]],
    }
    np.testing.assert_equal(got, expected)


def test_overlap_spans_and_label_switch() -> None:
    """Overlap mode accepts partial overlaps; match_labels=False ignores the label."""
    overlap = span_agreement(SPANS, mode="overlap")
    loose = span_agreement(SPANS, mode="overlap", match_labels=False)
    assert (overlap.matched.tolist(), loose.matched.tolist()) == (
        [[0, 3, 1], [3, 0, 1], [1, 1, 0]],
        [[0, 3, 2], [3, 0, 2], [2, 2, 0]],
    )
    assert overlap.overall() == pytest.approx(2 * 5 / 14)


def test_annotated_without_spans_counts_as_disagreement() -> None:
    """An annotator who looked at an item and marked nothing lowers F1 via `annotated`."""
    spans = [("d1", "ann", 0, 5, "PER"), ("d1", "bob", 0, 5, "PER"), ("d2", "ann", 1, 2, "PER")]
    without = span_agreement(spans)
    with_cover = span_agreement(spans, annotated=[("d2", "bob")])
    assert (without.f1[0, 1], round(with_cover.f1[0, 1], 4)) == (1.0, 0.6667)


def test_one_to_one_matching_is_greedy_by_iou() -> None:
    """Two boxes cannot both match one box; the best-overlapping pair is kept."""
    boxes = [
        ("i", "ann", 0, 0, 10, 10, "car"),
        ("i", "bob", 0, 0, 10, 9, "car"),
        ("i", "bob", 0, 0, 9, 10, "car"),
        ("i", "ann", 100, 100, 110, 110, "car"),
    ]
    r = box_agreement(boxes, iou=0.5)
    assert (r.matched.tolist(), r.marked.tolist(), r.overall()) == (
        [[0, 1], [1, 0]],
        [[0, 4], [4, 0]],
        0.5,
    )


def test_iou_threshold_for_segments() -> None:
    """A segment pair with IoU 0.6 matches at 0.5 but not at 0.75."""
    segs = [("c", "a", 0.0, 10.0, "x"), ("c", "b", 2.0, 8.0, "x")]
    assert [segment_agreement(segs, iou=t).overall() for t in (0.5, 0.75)] == [1.0, 0.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: span_agreement([("d", "a", 5, 2, "X"), ("d", "b", 0, 1, "X")]), "end > start"),
        (lambda: span_agreement([("d", "a", 0, 2)]), "must have 5 fields"),
        (lambda: span_agreement([("d", "a", 0, 2, "X")]), "at least 2 annotators"),
        (lambda: span_agreement([("d", "a", 0, 2, "X")], mode="fuzzy"), "mode"),
        (lambda: box_agreement([("i", "a", 0, 0, "w", 1, "X")]), "non-numeric"),
        (lambda: box_agreement([], iou=0.0), "iou"),
        (lambda: segment_agreement([("c", "a", 0, 1, "x")], annotated=["c"]), "annotated entry"),
    ],
)
def test_bad_records_raise(call, message: str) -> None:
    """Malformed records raise InvalidRatingsError naming the problem."""
    with pytest.raises(InvalidRatingsError, match=message):
        call()
