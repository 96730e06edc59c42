"""The spec's ``privacy:`` section: parsing, located errors, round trip, and who sees what."""

from __future__ import annotations

import pytest

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidSpec
from labelworks.domain.privacy import PrivacySpec, treatment_for
from labelworks.domain.spec import parse_spec, spec_to_yaml

HEAD = "name: p\nfields:\n  - {name: x, kind: choice, labels: [a, b]}\n"


def _error(privacy: str) -> tuple[int | None, str | None, str]:
    with pytest.raises(InvalidSpec) as caught:
        parse_spec(HEAD + privacy, source="spec.yaml")
    where = caught.value.location
    assert where is not None
    return where.line, where.field, caught.value.message


def test_a_policy_parses_and_round_trips() -> None:
    """A full privacy section parses to its model and writes back to the same spec."""
    spec = parse_spec(
        HEAD + "privacy:\n  detect: [email, card]\n  keys: [text]\n"
        "  audiences: {vendor: redact, reviewer: flag}\n"
    )
    assert (spec.privacy, parse_spec(spec_to_yaml(spec))) == (
        PrivacySpec(
            detect=["email", "card"],
            keys=["text"],
            audiences={"vendor": "redact", "reviewer": "flag"},
        ),
        spec,
    )


def test_an_empty_policy_takes_every_default() -> None:
    """``privacy: {}`` screens every kind in every text value with the default audiences."""
    privacy = parse_spec(HEAD + "privacy: {}\n").privacy
    assert privacy is not None
    assert (privacy.detect, privacy.keys, privacy.analyser, privacy.audiences) == (
        ["email", "phone", "card", "iban", "ip"],
        None,
        False,
        {},
    )


@pytest.mark.parametrize(
    ("privacy", "line", "field", "message"),
    [
        (
            "privacy:\n  detect: [email, names]\n",
            5,
            "privacy.detect[1]",
            "must be 'email', 'phone', 'card', 'iban' or 'ip', got 'names'",
        ),
        ("privacy:\n  detect: []\n", 5, "privacy.detect", "at least 1 item"),
        ("privacy:\n  detect: [email, email]\n", 5, "privacy.detect[1]", "'email' is listed twice"),
        (
            "privacy:\n  audiences: {vendor: hide}\n",
            5,
            "privacy.audiences.vendor",
            "must be 'show', 'flag' or 'redact', got 'hide'",
        ),
        (
            "privacy:\n  audiences: {guests: show}\n",
            5,
            "privacy.audiences.guests.[key]",
            "must be 'vendor', 'admin', 'manager', 'reviewer' or 'annotator', got 'guests'",
        ),
        ("privacy:\n  keys: ['']\n", 5, "privacy.keys[0]", "a payload key is 1 to 200 characters"),
        ("privacy:\n  redact: true\n", 5, "privacy.redact", "unknown key 'redact'"),
        ("privacy:\n  analyser: 'yes'\n", 5, "privacy.analyser", "must be true or false"),
        ("privacy: [email]\n", 4, "privacy", "must be a mapping"),
    ],
)
def test_bad_policies_name_line_and_field(
    privacy: str, line: int, field: str, message: str
) -> None:
    """Each wrong privacy section is refused naming the line, the field and the problem."""
    got_line, got_field, got_message = _error(privacy)
    assert (got_line, got_field, message in got_message) == (line, field, True)


def test_hostile_policies_are_refused_not_obeyed() -> None:
    """Oversized lists, oversized keys and deep nesting are refused with located errors."""
    many = "[" + ", ".join(f"k{i}" for i in range(101)) + "]"
    deep = "{a: " * 60 + "1" + "}" * 60
    assert (
        _error(f"privacy:\n  keys: {many}\n")[1],
        _error(f"privacy:\n  keys: [{'k' * 201}]\n")[1],
        _error(f"privacy:\n  audiences: {deep}\n")[::2],
        _error("privacy:\n  audiences: {vendor: {redact: 1}}\n")[1],
    ) == (
        "privacy.keys",
        "privacy.keys[0]",
        (5, "the spec nests more than 50 levels deep"),
        "privacy.audiences.vendor",
    )


@pytest.mark.parametrize(
    ("role", "vendor", "audiences", "expected"),
    [
        (Role.ANNOTATOR, None, {}, "flag"),
        (Role.ANNOTATOR, "acme", {}, "redact"),
        (Role.MANAGER, "acme", {}, "redact"),
        (Role.MANAGER, None, {}, "show"),
        (Role.REVIEWER, None, {"reviewer": "redact"}, "redact"),
        (Role.REVIEWER, "acme", {"reviewer": "redact", "vendor": "show"}, "redact"),
        (Role.ANNOTATOR, "acme", {"vendor": "show"}, "flag"),
        (Role.ADMIN, None, {}, "show"),
    ],
)
def test_each_audience_gets_its_treatment(
    role: Role, vendor: str | None, audiences: dict[str, str], expected: str
) -> None:
    """Roles get theirs; a vendor's staff the stricter of their role's and the vendor's."""
    actor = Actor(1, "a@example.com", role, vendor=vendor)
    assert treatment_for(actor, PrivacySpec.model_validate({"audiences": audiences})) == expected


def test_without_a_policy_or_for_the_local_operator_items_are_shown() -> None:
    """No privacy section, or the trusted CLI operator: items as stored."""
    vendor_staff = Actor(1, "a@example.com", Role.ANNOTATOR, vendor="acme")
    assert (treatment_for(vendor_staff, None), treatment_for(None, PrivacySpec())) == (
        "show",
        "show",
    )
