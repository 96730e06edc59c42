"""The similarity consensus reads for spans, boxes and segments: the stats core's pairwise
F1 at IoU >= 0.5, against hand computations."""

from __future__ import annotations

from labelworks.domain.spec import spec_from_dict
from labelworks.services.structured import field_similarity, similarities

SPEC = spec_from_dict(
    {
        "name": "s",
        "fields": [
            {"name": "ents", "kind": "spans", "labels": ["PER", "ORG"]},
            {"name": "objects", "kind": "boxes", "labels": ["cat", "dog"]},
            {"name": "note", "kind": "text", "required": False},
        ],
    }
)
ENTS, OBJECTS, NOTE = SPEC.fields


def _box(label: str, x: float, y: float, w: float = 10, h: float = 10) -> dict[str, object]:
    return {"x": x, "y": y, "width": w, "height": h, "label": label}


def test_box_f1_matches_a_hand_computation() -> None:
    """Two boxes against one matching box: F1 2·1/(2+1); a box of IoU 0.36 (6x6 inside
    10x10) does not match; two empty answers agree fully."""
    answers = [
        [_box("cat", 0, 0), _box("dog", 50, 50)],
        [_box("cat", 1, 1)],  # IoU 81/119 with the first cat
        [_box("cat", 2, 2, 6, 6)],  # IoU 36/100 with the first cat, 36/100 with the second
        [],
        [],
    ]
    assert field_similarity(OBJECTS, answers) == [
        [1.0, 2 / 3, 0.0, 0.0, 0.0],
        [2 / 3, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0, 1.0],
        [0.0, 0.0, 0.0, 1.0, 1.0],
    ]


def test_span_f1_needs_the_same_label_and_half_the_overlap() -> None:
    """Spans match one to one with their label at IoU >= 0.5: (0, 10) and (2, 10) do, a
    relabelled copy does not, and (0, 10) against (6, 10) (IoU 0.4) does not."""
    answers = [
        [{"start": 0, "end": 10, "label": "PER"}],
        [{"start": 2, "end": 10, "label": "PER"}],
        [{"start": 0, "end": 10, "label": "ORG"}],
        [{"start": 6, "end": 10, "label": "PER"}],
    ]
    assert field_similarity(ENTS, answers) == [
        [1.0, 1.0, 0.0, 0.0],
        [1.0, 1.0, 0.0, 1.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 1.0, 0.0, 1.0],
    ]


def test_only_structured_fields_given_twice_get_a_matrix() -> None:
    """Text fields, fields one vote gives, and answers that are not lists get none."""
    values = [
        {"ents": [], "objects": [_box("cat", 0, 0)], "note": "a"},
        {"ents": [], "note": "b"},
    ]
    assert (similarities(SPEC.fields, values), field_similarity(ENTS, ["x", []])) == (
        {"ents": [[1.0, 1.0], [1.0, 1.0]]},
        None,
    )
