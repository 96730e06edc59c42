"""Spec diffs as numbered, classified lines, and the sample item a spec preview shows."""

from __future__ import annotations

from labelworks.domain.spec import spec_from_dict
from labelworks.domain.spec_diff import DiffLine, changed_lines, diff_lines, unified_diff
from labelworks.domain.spec_preview import (
    SAMPLE_ANSWERS,
    SAMPLE_MEDIA,
    SAMPLE_PROMPT,
    SAMPLE_TEXT,
    sample_payload,
)


def test_diff_lines_number_each_side_and_keep_text_that_looks_like_a_header() -> None:
    """Old and new line numbers follow the hunk header; a removed line reading ``-- x``
    (``--- x`` in the diff) is a removal, not a file header."""
    old = "a\n-- x\nb\nc\n"
    new = "a\nb\nc2\nd\n"
    diff = unified_diff(old, new, old_label="old", new_label="new", context=1)
    assert diff_lines(diff) == [
        DiffLine("file", "--- old"),
        DiffLine("file", "+++ new"),
        DiffLine("hunk", "@@ -1,4 +1,4 @@"),
        DiffLine("same", "a", 1, 1),
        DiffLine("remove", "-- x", old=2),
        DiffLine("same", "b", 3, 2),
        DiffLine("remove", "c", old=4),
        DiffLine("add", "c2", new=3),
        DiffLine("add", "d", new=4),
    ]
    assert changed_lines(diff) == (2, 2)


def test_equal_texts_have_no_diff() -> None:
    assert (unified_diff("a\n", "a\n", old_label="x", new_label="y"), diff_lines("")) == ("", [])


def test_the_sample_item_gives_every_widget_something_to_show() -> None:
    spec = spec_from_dict(
        {
            "name": "all",
            "fields": [
                {"name": "sentiment", "kind": "choice", "labels": ["a"]},
                {"name": "entities", "kind": "spans", "labels": ["x"], "source": "body"},
                {
                    "name": "objects",
                    "kind": "boxes",
                    "labels": ["car"],
                    "width_key": "w",
                    "height_key": "h",
                },
                {"name": "sounds", "kind": "segments", "labels": ["s"], "duration_key": "secs"},
                {"name": "clips", "kind": "segments", "labels": ["s"], "media": "video"},
                {"name": "better", "kind": "pairwise"},
                {"name": "score", "kind": "rating"},
            ],
        }
    )
    assert sample_payload(spec.fields) == {
        "text": SAMPLE_TEXT,
        "body": SAMPLE_TEXT,
        "image": SAMPLE_MEDIA["image"],
        "w": 640,
        "h": 480,
        "audio": SAMPLE_MEDIA["audio"],
        "secs": 2.0,
        "video": "sample.mp4",
        "prompt": SAMPLE_PROMPT,
        "a": SAMPLE_ANSWERS[0],
        "b": SAMPLE_ANSWERS[1],
    }


def test_fields_that_read_no_payload_key_still_get_a_text() -> None:
    spec = spec_from_dict({"name": "r", "fields": [{"name": "score", "kind": "rating"}]})
    assert sample_payload(spec.fields) == {"text": SAMPLE_TEXT}
