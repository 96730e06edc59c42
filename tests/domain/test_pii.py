"""PII detectors: what they find, what they leave alone, and redaction that keeps offsets."""

from __future__ import annotations

import itertools
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.domain.pii import (
    KINDS,
    MASK,
    Finding,
    find_in_payload,
    find_in_text,
    iban_ok,
    luhn_ok,
    masked_sample,
    redact_payload,
    redact_text,
)
from labelworks.domain.privacy import PrivacySpec


def _found(text: str, kinds: tuple[str, ...] = KINDS) -> list[tuple[str, str]]:
    return [(kind, text[start:end]) for kind, start, end in find_in_text(text, kinds)]


def _luhn_complete(body: str) -> str:
    """``body`` with the check digit that makes it pass Luhn."""
    return next(body + d for d in string.digits if luhn_ok(body + d))


def test_every_kind_is_found_in_prose_with_its_exact_text() -> None:
    """One sentence holding one value of each kind yields each value, in order."""
    text = (
        "Mail john.doe@example.com or call +44 20 7946 0958 or (555) 123-4567 or "
        "030 1234567; card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00. "
        "Server 192.168.0.1 and 2001:db8::1."
    )
    assert _found(text) == [
        ("email", "john.doe@example.com"),
        ("phone", "+44 20 7946 0958"),
        ("phone", "(555) 123-4567"),
        ("phone", "030 1234567"),
        ("card", "4111 1111 1111 1111"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("ip", "192.168.0.1"),
        ("ip", "2001:db8::1"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Order 1234567890123 shipped on 2024-01-15",
        "Invoice 20240115 and 15.01.2024 and 15/01/2024 at 12:30:45",
        "Version 1.2.3 and 300.1.1.1 and 1.2.3.4.5",
        "Card 4111 1111 1111 1112 fails Luhn",
        "IBAN DE89 3704 0044 0532 0130 02 fails mod-97, GB82 WEST short",
        "user at example dot com, @handle, a@b",
        "std::vector and 12:30 and 1999-12-31T23:59:59",
        "",
    ],
)
def test_lookalikes_are_not_found(text: str) -> None:
    """Plain long numbers, dates, times, versions, invalid cards, IBANs and IPs are no PII."""
    assert _found(text) == []


def test_kinds_not_asked_for_are_not_looked_for() -> None:
    """Asking for emails only leaves the phone number in the same text alone."""
    assert _found("a@example.org +1 415 555 2671", ("email",)) == [("email", "a@example.org")]


def test_checks_known_values() -> None:
    """Luhn and IBAN checks accept published examples and refuse altered ones."""
    assert (
        luhn_ok("4111111111111111"),
        luhn_ok("4111111111111112"),
        iban_ok("GB82WEST12345698765432"),
        iban_ok("GB82WEST12345698765433"),
        iban_ok("NO9386011117947"),
        iban_ok("XX82WEST12345698765432"),
    ) == (True, False, True, False, True, False)


def test_a_card_inside_a_longer_run_of_digit_groups_is_still_found() -> None:
    """Digit groups around a card number do not hide it: its own groups are found."""
    assert _found("ref 12 4111-1111-1111-1111 ok") == [("card", "4111-1111-1111-1111")]


def test_the_analyser_adds_kinds_and_never_overlaps_built_in_findings() -> None:
    """An analyser's names are added; where one overlaps a built-in finding, the built-in
    kind keeps the span."""

    def names(text: str) -> list[tuple[str, int, int]]:
        start = text.index("Ada")
        return [("person", start, start + 12), ("person", 5, 8)]

    text = "Mail ada@example.com, Ada Lovelace wrote"
    found = find_in_text(text, ("email",), analyser=names)
    assert [(k, text[s:e]) for k, s, e in found] == [
        ("email", "ada@example.com"),
        ("person", "Ada Lovelace"),
    ]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (("Person Name", 0, 3), "kind that is not a short name"),
        (("person", 3, 2), "offsets outside the text"),
        (("person", 0, 99), "offsets outside the text"),
    ],
)
def test_an_analyser_answering_nonsense_is_refused(
    answer: tuple[str, int, int], message: str
) -> None:
    """Kinds must be short names and offsets inside the text, or the screening fails."""
    with pytest.raises(ValueError, match=message):
        find_in_text("some text", (), analyser=lambda _text: [answer])


def test_payload_findings_name_keys_and_skip_media_and_non_text() -> None:
    """Only text values are screened, media keys are skipped, and ``keys`` narrows it."""
    payload = {"text": "x a@b.io", "image": "a@b.io.png", "n": 5, "note": "+33 1 23 45 67 89"}
    assert (
        find_in_payload(payload, skip=("image",)),
        find_in_payload(payload, keys=["note", "missing"]),
    ) == (
        [Finding("text", 2, 8, "email"), Finding("note", 0, 17, "phone")],
        [Finding("note", 0, 17, "phone")],
    )


def test_redaction_masks_in_place_and_leaves_the_payload_unchanged() -> None:
    """Each found character becomes one mask character; the original dict is untouched."""
    payload = {"text": "write a@b.io now", "n": 1}
    redacted = redact_payload(payload, find_in_payload(payload))
    assert (redacted, payload) == (
        {"text": f"write {MASK * 6} now", "n": 1},
        {"text": "write a@b.io now", "n": 1},
    )


def test_masked_samples_keep_only_the_ends() -> None:
    """Report samples show the first and last character; short values nothing."""
    assert [masked_sample(v) for v in ("john@x.io", "abcd")] == [f"j{MASK * 7}o", MASK * 4]


def test_the_policy_and_the_detectors_name_the_same_kinds() -> None:
    """The spec's default ``detect`` list is every kind the detectors know."""
    assert tuple(PrivacySpec().detect) == KINDS


# ---- properties ---------------------------------------------------------------------------

_SEPARATOR = st.sampled_from(["", " ", "-"])
_FILLER = st.text(alphabet=string.ascii_letters + " ,.;", max_size=20).map(
    lambda s: f" {s} " if s else " "
)


@st.composite
def _card(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    body = draw(st.text(alphabet=string.digits, min_size=length - 1, max_size=length - 1))
    digits = _luhn_complete(body)
    sep = draw(_SEPARATOR)
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


@settings(max_examples=300)
@given(_card(), _FILLER, _FILLER)
def test_luhn_valid_numbers_are_found_exactly(card: str, before: str, after: str) -> None:
    """A Luhn-valid 13-19 digit number, grouped by spaces or dashes, is found at its exact
    offsets wherever it sits in prose."""
    text = before + card + after
    found = [f for f in find_in_text(text, ("card",))]
    assert found == [("card", len(before), len(before) + len(card))]


@settings(max_examples=300)
@given(st.text(alphabet=string.digits, min_size=13, max_size=19), _FILLER, _FILLER)
def test_digit_strings_failing_luhn_are_not_cards(digits: str, before: str, after: str) -> None:
    """A run of 13-19 digits that fails Luhn (and has no passing part of 13 or more) is
    never reported as a card."""
    if any(
        luhn_ok(digits[i:j]) for i in range(len(digits)) for j in range(i + 13, len(digits) + 1)
    ):
        digits = digits[:-1] + next(d for d in string.digits if not luhn_ok(digits[:-1] + d))
    if luhn_ok(digits):
        return
    assert find_in_text(before + digits + after, ("card",)) == []


_PIECES = st.lists(
    st.one_of(
        st.text(alphabet=string.ascii_letters + string.digits + " .,:-@+()", max_size=12),
        st.sampled_from(
            [
                "ann@example.com",
                "+49 30 1234 5678",
                "4111 1111 1111 1111",
                "GB82 WEST 1234 5698 7654 32",
                "10.0.0.1",
                "fe80::1",
                "(212) 555-0100",
            ]
        ),
    ),
    max_size=8,
)


@settings(max_examples=300)
@given(_PIECES)
def test_redaction_never_leaves_a_detected_value_and_keeps_offsets(pieces: list[str]) -> None:
    """Screening the redacted text finds nothing; its length is the original's, and every
    character outside a finding is where it was."""
    text = " ".join(pieces)
    found = find_in_text(text)
    redacted = redact_text(text, [(start, end) for _kind, start, end in found])
    inside = {i for _kind, start, end in found for i in range(start, end)}
    assert (
        find_in_text(redacted),
        len(redacted),
        all(redacted[i] == text[i] for i in range(len(text)) if i not in inside),
        all(redacted[i] == MASK for i in inside),
    ) == ([], len(text), True, True)


@settings(max_examples=200)
@given(_PIECES)
def test_offsets_are_exact_and_spans_never_overlap(pieces: list[str]) -> None:
    """Every finding's offsets cut out a value its own detector finds again alone, and
    findings come in order without overlapping."""
    text = " ".join(pieces)
    found = find_in_text(text)
    assert all(
        find_in_text(text[start:end], (kind,)) == [(kind, 0, end - start)]
        for kind, start, end in found
    )
    assert all(a[2] <= b[1] for a, b in itertools.pairwise(found))


def test_long_hostile_text_is_screened_quickly_enough_to_finish() -> None:
    """Hostile text (a megabyte of digits, separators, @ and colons) is screened without
    pathological backtracking: the call returns."""
    rng = random.Random(7)
    text = "".join(rng.choice("0123456789 -@.:+a") for _ in range(200_000)) + "@" * 100_000
    assert isinstance(find_in_text(text), list)
