"""Finding personal data in item text: emails, phone numbers, payment cards, IBANs, IPs.

Pure functions over strings. A ``Finding`` holds where a value is (the payload key and
character offsets), never the value itself, so findings can be logged, stored and shown.
Checks keep false alarms down: card numbers must pass Luhn, IBANs mod-97 and their
country's length, IP addresses must parse with ``ipaddress``; national phone numbers need
separators, so plain long numbers and dates are not phone numbers.

More kinds come from an optional *analyser*: any callable ``(text) -> iterable of
(kind, start, end)`` (docs/project-spec.md, "privacy"); its answers are checked the same way
(a short lowercase kind, offsets inside the text).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "KINDS",
    "MASK",
    "Analyser",
    "Finding",
    "find_in_payload",
    "find_in_text",
    "find_in_value",
    "iban_ok",
    "luhn_ok",
    "masked_sample",
    "redact_payload",
    "redact_text",
    "redact_value",
]

KINDS: Final = ("email", "phone", "card", "iban", "ip")
MASK: Final = "█"
ANALYSER_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

Analyser = Callable[[str], Iterable[tuple[str, int, int]]]


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One detected value: the payload ``key`` and ``[start, end)`` character offsets in
    that key's text. The value itself is never kept."""

    key: str
    start: int
    end: int
    kind: str


# ---- checks -----------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (payment cards)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# Lengths from the SWIFT IBAN registry.
IBAN_LENGTHS: Final[Mapping[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
    "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_ok(iban: str) -> bool:
    """Whether ``iban`` (no spaces, upper case) has its country's length and mod-97 = 1."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum() or not iban.isascii():
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in moved)) % 97 == 1


# ---- detectors: each yields (start, end) spans of one kind --------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])"
)
_PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}(?![\w])"
)
_PHONE_NANP = re.compile(r"(?<![\w+(])(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w])")
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+])\(?0\d{1,4}\)?(?:[ /-]\d{3,8})(?:[ -]\d{2,4}){0,3}(?![\w])"
)
_DIGIT_RUN = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,40}(?![\w])")
_DIGITS = re.compile(r"\d+")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?=[ ]?[A-Z0-9])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![\w:])")


def _count_digits(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _emails(text: str) -> Iterable[tuple[int, int]]:
    if "@" in text:
        for match in _EMAIL.finditer(text):
            yield match.span()


def _phones(text: str) -> Iterable[tuple[int, int]]:
    if "+" in text:
        for match in _PHONE_INTERNATIONAL.finditer(text):
            if 8 <= _count_digits(match.group()) <= 15:
                yield match.span()
    for pattern in (_PHONE_NANP, _PHONE_NATIONAL):
        for match in pattern.finditer(text):
            if 9 <= _count_digits(match.group()) <= 13:
                yield match.span()


def _cards(text: str) -> Iterable[tuple[int, int]]:
    """Runs of 13-19 digits in groups split by single spaces or dashes that pass Luhn; in a
    longer run, the longest passing window of whole groups."""
    for run in _DIGIT_RUN.finditer(text):
        groups = [(g.start(), g.end()) for g in _DIGITS.finditer(run.group())]
        base, i = run.start(), 0
        while i < len(groups):
            found = None
            for j in range(len(groups) - 1, i - 1, -1):
                digits = "".join(run.group()[s:e] for s, e in groups[i : j + 1])
                if 13 <= len(digits) <= 19 and luhn_ok(digits):
                    found = j
                    break
            if found is None:
                i += 1
                continue
            yield base + groups[i][0], base + groups[found][1]
            i = found + 1


def _ibans(text: str) -> Iterable[tuple[int, int]]:
    for match in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match.group()[:2])
        if length is None:
            continue
        chars: list[str] = []
        at = match.start()
        while at < len(text) and len(chars) < length:
            char = text[at]
            if char == " " and chars and at + 1 < len(text) and text[at + 1] != " ":
                at += 1
                continue
            if not (char.isascii() and (char.isdigit() or char.isupper())):
                break
            chars.append(char)
            at += 1
        after = text[at : at + 1]
        boundary = not (after.isalnum() or after == "_")
        if len(chars) == length and boundary and iban_ok("".join(chars)):
            yield match.start(), at


def _ips(text: str) -> Iterable[tuple[int, int]]:
    if "." in text:
        for match in _IPV4.finditer(text):
            try:
                ipaddress.IPv4Address(match.group())
            except ValueError:
                continue
            yield match.span()
    if "::" in text or text.count(":") >= 7:
        for match in _IPV6.finditer(text):
            value = match.group().rstrip(".")
            if not any(char.isalnum() for char in value):
                continue
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            yield match.start(), match.start() + len(value)


_DETECTORS: Final[Mapping[str, Callable[[str], Iterable[tuple[int, int]]]]] = {
    "card": _cards,
    "iban": _ibans,
    "email": _emails,
    "ip": _ips,
    "phone": _phones,
}
# When spans of two kinds overlap, the first kind in this order keeps it (a Luhn-checked
# card number is not also a phone number).
_PRECEDENCE: Final = ("card", "iban", "email", "ip", "phone")


def _analysed(text: str, analyser: Analyser) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for kind, start, end in analyser(text):
        if not (isinstance(kind, str) and ANALYSER_KIND.match(kind)):
            raise ValueError(f"the PII analyser returned a kind that is not a short name: {kind!r}")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise ValueError(
                f"the PII analyser returned offsets outside the text: {start!r}, {end!r}"
            )
        found.append((kind, start, end))
    return found


def _one_pass(
    text: str, kinds: Sequence[str], analyser: Analyser | None
) -> list[tuple[str, int, int]]:
    candidates: list[tuple[str, int, int]] = []
    for kind in _PRECEDENCE:
        if kind in kinds:
            spans = sorted(_DETECTORS[kind](text), key=lambda span: span[0] - span[1])
            candidates.extend((kind, start, end) for start, end in spans)
    if analyser is not None:
        candidates.extend(_analysed(text, analyser))
    kept: list[tuple[str, int, int]] = []
    for kind, start, end in candidates:
        if not any(start < other_end and other_start < end for _k, other_start, other_end in kept):
            kept.append((kind, start, end))
    return kept


def find_in_text(
    text: str, kinds: Sequence[str] = KINDS, *, analyser: Analyser | None = None
) -> list[tuple[str, int, int]]:
    """``(kind, start, end)`` of each value found in ``text``, in order of ``start``; spans
    never overlap (built-in kinds take precedence over the analyser's, then by
    ``_PRECEDENCE``). Where a span lost to an overlapping one, the text is screened again
    with what was found masked, until nothing more turns up: masking every span returned
    leaves nothing any detector finds."""
    found = _one_pass(text, kinds, analyser)
    masked = text
    for _round in range(_MAX_ROUNDS):
        if not found:
            break
        masked = redact_text(masked, [(start, end) for _kind, start, end in found])
        more = _one_pass(masked, kinds, None)  # the analyser answered once, on the text
        if not more:
            break
        found = found + more
    return sorted(found, key=lambda finding: finding[1])


_MAX_ROUNDS = 4


def screened_keys(payload: Mapping[str, Any], keys: Sequence[str] | None) -> list[str]:
    """The payload keys screened: ``keys`` that hold text, or every key that holds text."""
    chosen = payload.keys() if keys is None else [key for key in keys if key in payload]
    return [key for key in chosen if isinstance(payload[key], str)]


def find_in_payload(
    payload: Mapping[str, Any],
    kinds: Sequence[str] = KINDS,
    *,
    keys: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    analyser: Analyser | None = None,
) -> list[Finding]:
    """Findings in the payload's text values (``keys``, or all of them), but not in the
    keys in ``skip`` (media paths the page loads)."""
    findings: list[Finding] = []
    for key in screened_keys(payload, keys):
        if key in skip:
            continue
        for kind, start, end in find_in_text(payload[key], kinds, analyser=analyser):
            findings.append(Finding(key, start, end, kind))
    return findings


def redact_text(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span replaced by as many ``MASK`` characters: the length and every
    other character's offset stay as they were, so spans marked on the redacted text
    mark the same characters of the stored one."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = MASK * (end - start)
    return "".join(chars)


def redact_payload(payload: Mapping[str, Any], findings: Sequence[Finding]) -> dict[str, Any]:
    """A copy of ``payload`` with every finding masked (``payload`` is not changed)."""
    out = dict(payload)
    by_key: dict[str, list[tuple[int, int]]] = {}
    for finding in findings:
        by_key.setdefault(finding.key, []).append((finding.start, finding.end))
    for key, spans in by_key.items():
        out[key] = redact_text(out[key], spans)
    return out


def _texts(value: Any, skip: Sequence[str]) -> Iterator[tuple[str, str]]:
    """``(top-level key, text)`` of every string in a JSON value, objects and lists walked
    without recursion (stored values nest as deep as their JSON does); the key is ``""``
    when the value is no object. Object keys are names, not screened."""
    if isinstance(value, dict):
        stack = [(key, inner) for key, inner in value.items() if key not in skip]
    else:
        stack = [("", value)]
    stack.reverse()
    while stack:
        key, inner = stack.pop()
        if isinstance(inner, str):
            yield key, inner
        elif isinstance(inner, dict):
            stack.extend((key, x) for x in reversed(list(inner.values())))
        elif isinstance(inner, list):
            stack.extend((key, x) for x in reversed(inner))


def find_in_value(
    value: Any,
    kinds: Sequence[str] = KINDS,
    *,
    prefix: str = "",
    skip: Sequence[str] = (),
    analyser: Analyser | None = None,
) -> list[tuple[Finding, str]]:
    """Findings in every text of a JSON value (an item's metadata, an annotation's value),
    however deep, each with the text it is in (for masked samples). A finding's ``key``
    is ``prefix`` followed by the value's top-level key (``metadata.owner``), or ``prefix``
    alone when the value is no object; top-level keys in ``skip`` are not screened."""
    found: list[tuple[Finding, str]] = []
    for key, text in _texts(value, skip):
        for kind, start, end in find_in_text(text, kinds, analyser=analyser):
            found.append((Finding(prefix + key, start, end, kind), text))
    return found


def redact_value(
    value: Any,
    kinds: Sequence[str] = KINDS,
    *,
    skip: Sequence[str] = (),
    analyser: Analyser | None = None,
) -> Any:
    """A copy of a JSON value with what is found in each of its texts masked as
    ``redact_text`` does; top-level keys in ``skip`` are copied as they are. Built without
    recursion, as ``find_in_value`` walks."""

    def masked(text: str) -> str:
        spans = [(start, end) for _kind, start, end in find_in_text(text, kinds, analyser=analyser)]
        return redact_text(text, spans) if spans else text

    holder: list[Any] = [None]
    # Each entry: a value to copy, and the container and slot its copy goes to.
    stack: list[tuple[Any, Any, Any]] = [(value, holder, 0)]
    while stack:
        inner, into, slot = stack.pop()
        if isinstance(inner, str):
            into[slot] = masked(inner)
        elif isinstance(inner, dict):
            copy: dict[str, Any] = dict.fromkeys(inner)
            into[slot] = copy
            for key, x in inner.items():
                if inner is value and key in skip:
                    copy[key] = x
                else:
                    stack.append((x, copy, key))
        elif isinstance(inner, list):
            items: list[Any] = [None] * len(inner)
            into[slot] = items
            stack.extend((x, items, index) for index, x in enumerate(inner))
        else:
            into[slot] = inner
    return holder[0]


def masked_sample(value: str) -> str:
    """A value shown in a report without giving it away: its first and last character with
    the rest masked (``j████████m``); short values are masked whole."""
    if len(value) <= 4:
        return MASK * len(value)
    return value[0] + MASK * (len(value) - 2) + value[-1]
