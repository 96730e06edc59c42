"""PII in JSON values (metadata, annotations): findings named by top-level key, masking
every text however deep."""

from __future__ import annotations

from typing import Any

from labelworks.domain.pii import MASK, Finding, find_in_value, redact_value

VALUE: dict[str, Any] = {
    "why": "mail ann@example.com",
    "entities": [{"start": 5, "end": 20, "label": "PER", "text": "ann@example.com"}],
    "media": {"image": {"thumbnail": "items/bob@example.com.webp"}},
    "score": 3,
}


def test_findings_name_the_top_level_key_and_carry_their_text() -> None:
    """Each finding is keyed by prefix and top-level key, in document order, with the text
    it was found in; skipped keys are not screened."""
    found = find_in_value(VALUE, ["email"], prefix="annotations.", skip=["media"])
    assert found == [
        (Finding("annotations.why", 5, 20, "email"), "mail ann@example.com"),
        (Finding("annotations.entities", 0, 15, "email"), "ann@example.com"),
    ]


def test_a_value_that_is_no_object_is_keyed_by_the_prefix_alone() -> None:
    """A list or a string has no top-level key: its findings carry the prefix."""
    assert find_in_value(["x", "ann@example.com"], ["email"], prefix="p") == [
        (Finding("p", 0, 15, "email"), "ann@example.com")
    ]


def test_redaction_masks_every_text_and_keeps_skipped_keys_and_the_original() -> None:
    """Strings at any depth are masked in place (same length), numbers and skipped keys
    are copied, key order is kept and the value given is not changed."""
    before = repr(VALUE)
    masked = redact_value(VALUE, ["email"], skip=["media"])
    assert (masked, list(masked), repr(VALUE)) == (
        {
            "why": f"mail {MASK * 15}",
            "entities": [{"start": 5, "end": 20, "label": "PER", "text": MASK * 15}],
            "media": {"image": {"thumbnail": "items/bob@example.com.webp"}},
            "score": 3,
        },
        ["why", "entities", "media", "score"],
        before,
    )


def test_deeply_nested_values_are_walked_without_recursion() -> None:
    """A value nested far deeper than Python's recursion limit is screened and masked."""
    deep: Any = "ann@example.com"
    for _ in range(5000):
        deep = [deep]
    masked = redact_value(deep, ["email"])
    for _ in range(5000):
        masked = masked[0]
    assert (masked, len(find_in_value(deep, ["email"]))) == (MASK * 15, 1)
