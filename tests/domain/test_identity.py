"""Email identities: one normal form, refused non-addresses, and the login lockout rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelworks.domain.errors import InvalidInput
from labelworks.domain.identity import email_key, normal_email
from labelworks.domain.login_policy import LoginRules, lockout_seconds

T0 = datetime(2026, 12, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("ann@example.org", "ann@example.org"),
        ("  Ann@Example.ORG \t", "ann@example.org"),
        ("\u00a0ann@example.org\u2003", "ann@example.org"),
        ("o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk"),
        ("Straße@example.de", "strasse@example.de"),
        ("e\u0301lodie@example.fr", "\u00e9lodie@example.fr"),
        ("ada@demo.labelworks", "ada@demo.labelworks"),
    ],
)
def test_addresses_are_stored_in_one_normal_form(raw: str, stored: str) -> None:
    """Surrounding spaces go, case folds, Unicode composes: one identity per person."""
    assert normal_email(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        'x"><script>alert(1)</script>@e.org',
        "a b@example.org",
        "two@@example.org",
        "root@localhost",
        "dot.@example.org",
        ".dot@example.org",
        "a..b@example.org",
        "ann@-example.org",
        "ann@example..org",
        "ann@exa_mple.org",
        "ann@example.org.",
        "<ann@example.org>",
        "ann@example.org\u200b",
        "ann\u0000@example.org",
        "",
        "@example.org",
        "ann@",
        "x" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_non_addresses_are_refused_naming_the_field(raw: str) -> None:
    """Anything but a plain address is an InvalidInput on the field 'email'."""
    with pytest.raises(InvalidInput) as caught:
        normal_email(raw)
    assert caught.value.location is not None and caught.value.location.field == "email"


@given(st.text(max_size=40), st.text(alphabet=" \t\n\u00a0", max_size=3))
def test_lookup_key_ignores_surrounding_space_and_case(core: str, pad: str) -> None:
    """Padding and case never make a second lookup key for the same text."""
    assert email_key(pad + core.upper() + pad) == email_key(core.lower())


@given(st.emails())
def test_stored_form_is_its_own_lookup_key(address: str) -> None:
    """An address accepted for storage is found again under its own key, and is stable."""
    try:
        stored = normal_email(address)
    except InvalidInput:
        return  # hypothesis' emails include RFC forms we deliberately refuse
    assert (email_key(stored), normal_email(stored)) == (stored, stored)


def test_lockout_counts_failures_per_client_then_per_identity() -> None:
    """Five failures from one client lock that client out until the oldest leaves the
    window; fifty from anywhere lock everyone out; older failures do not count."""
    rules = LoginRules(per_client=5, per_identity=50, window_seconds=300)
    mine = [("1.2.3.4", T0 + timedelta(seconds=i)) for i in range(5)]
    at = T0 + timedelta(seconds=10)
    spread = [(f"10.0.0.{i}", T0 + timedelta(seconds=i)) for i in range(50)]
    stale = [("1.2.3.4", T0 - timedelta(seconds=400))] * 10
    assert [
        lockout_seconds(mine[:4], "1.2.3.4", at, rules),
        lockout_seconds(mine, "1.2.3.4", at, rules),
        lockout_seconds(mine, "5.6.7.8", at, rules),
        lockout_seconds(spread, "5.6.7.8", T0 + timedelta(seconds=60), rules),
        lockout_seconds(stale, "1.2.3.4", at, rules),
    ] == [0, 291, 0, 241, 0]
