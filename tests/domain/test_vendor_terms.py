"""A vendor's terms: validation that names the field, money that refuses two currencies,
the price of an annotation from the rate card, and the periods statements are drawn over."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from labelworks.domain.errors import InvalidInput
from labelworks.domain.vendor_terms import (
    ALL_TIME,
    Money,
    Period,
    period_of,
    terms_from_dict,
    total,
    weeks_between,
)

FULL: dict[str, Any] = {
    "currency": "USD",
    "per_annotation": {"choice": 0.05, "spans": 0.2},
    "per_hour": 12,
    "sla": {
        "percentile": 95,
        "lease_to_submit_hours": 24,
        "import_to_final_hours": 72,
        "quality_floor": 0.9,
        "weekly_volume": 5000,
    },
    "contact": "ops@acme.example",
}


def test_full_terms_are_read_as_given() -> None:
    """Every part of a contract comes back as written, numbers as floats and ints."""
    terms = terms_from_dict(FULL)
    assert terms.model_dump() == {
        "currency": "USD",
        "per_annotation": {"choice": 0.05, "spans": 0.2},
        "per_hour": 12.0,
        "sla": {
            "percentile": 95.0,
            "lease_to_submit_hours": 24.0,
            "import_to_final_hours": 72.0,
            "quality_floor": 0.9,
            "weekly_volume": 5000,
        },
        "contact": "ops@acme.example",
    }
    assert (terms.priced, terms.sla.any) == (True, True)


def test_defaults_price_nothing_and_promise_nothing() -> None:
    """A currency alone is valid terms: no price known yet, no service level."""
    terms = terms_from_dict({"currency": "EUR"})
    assert (terms.priced, terms.sla.any, terms.sla.percentile, terms.contact) == (
        False,
        False,
        90.0,
        "",
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"currency": "usd"}, "currency", "ISO 4217"),
        ({"currency": "US"}, "currency", "ISO 4217"),
        ({"per_annotation": {"box": 1}}, "per_annotation", "unknown field kind 'box'"),
        ({"per_annotation": {"choice": float("nan")}}, "per_annotation.choice", "finite"),
        ({"per_annotation": {"choice": float("inf")}}, "per_annotation.choice", "finite"),
        ({"per_annotation": {"choice": -0.01}}, "per_annotation", "between 0 and"),
        ({"per_annotation": {"choice": True}}, "per_annotation.choice", "valid number"),
        ({"per_annotation": {"choice": "0.05"}}, "per_annotation.choice", "valid number"),
        ({"per_hour": -1}, "per_hour", "greater than or equal to 0"),
        ({"per_hour": float("inf")}, "per_hour", "finite"),
        ({"sla": {"quality_floor": 1.5}}, "sla.quality_floor", "less than or equal to 1"),
        ({"sla": {"weekly_volume": 2.5}}, "sla.weekly_volume", "valid integer"),
        ({"sla": {"lease_to_submit_hours": 0}}, "sla.lease_to_submit_hours", "greater than 0"),
        ({"sla": {"percentile": 40}}, "sla.percentile", "greater than or equal to 50"),
        ({"sla": {"uptime": 1}}, "sla.uptime", "Extra inputs"),
        ({"contact": "x" * 501}, "contact", "at most 500"),
        ({"contact": "a\x00b"}, "contact", "pattern"),
        ({"discount": 0.1}, "discount", "Extra inputs"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(
    change: dict[str, Any], field: str, words: str
) -> None:
    """NaN, infinities, negatives, unknown kinds, wrong types and unknown keys are refused,
    and the error names the field."""
    with pytest.raises(InvalidInput) as caught:
        terms_from_dict({**FULL, **change})
    assert caught.value.location is not None
    assert (caught.value.location.field, words in caught.value.message) == (field, True)


def test_money_refuses_two_currencies() -> None:
    """Adding a EUR amount to a USD one is refused rather than converted."""
    usd, eur = Money(Decimal("1.50"), "USD"), Money(Decimal("2"), "EUR")
    assert usd + Money(Decimal("0.25"), "USD") == Money(Decimal("1.75"), "USD")
    with pytest.raises(InvalidInput, match="cannot add EUR to USD"):
        _ = usd + eur
    with pytest.raises(InvalidInput, match="two currencies"):
        total([usd, eur], "USD")
    assert total([], "USD") == Money(Decimal(0), "USD")
    assert (usd.per(3), usd.per(0), Money(Decimal("1234.5"), "USD").text()) == (
        Money(Decimal("0.5"), "USD"),
        None,
        "1,234.50 USD",
    )


def test_price_of_one_annotation() -> None:
    """Each answered field is priced at its kind's rate, plus the hourly rate over its
    active time: 0.05 + 0.20 + 12 × 90 s / 3600 = 0.55."""
    terms = terms_from_dict(FULL)
    assert terms.price(["choice", "spans"], 90.0) == Money(Decimal("0.5500"), "USD")
    assert terms.price(["choice"], None) == Money(Decimal("0.0500"), "USD")
    # A kind the card does not price: the annotation cannot be priced.
    assert terms.price(["choice", "boxes"], 10.0) is None
    assert terms.missing(["boxes", "choice", "rating"]) == ["boxes", "rating"]
    hourly = terms_from_dict({"currency": "USD", "per_hour": 10})
    # 10 an hour for 7 s = 0.019444… kept to 4 places.
    assert hourly.price(["boxes"], 7.0) == Money(Decimal("0.0194"), "USD")
    assert hourly.missing(["boxes"]) == []
    assert terms_from_dict({"currency": "USD"}).price(["choice"], 5.0) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ALL_TIME),
        ("all", ALL_TIME),
        ("2026-11", Period("2026-11", datetime(2026, 11, 1), datetime(2026, 12, 1))),
        ("2026-12", Period("2026-12", datetime(2026, 12, 1), datetime(2027, 1, 1))),
        ("2026-W48", Period("2026-W48", datetime(2026, 11, 23), datetime(2026, 11, 30))),
        ("2026-W01", Period("2026-W01", datetime(2025, 12, 29), datetime(2026, 1, 5))),
        (
            "2026-11-03..2026-11-04",
            Period("2026-11-03..2026-11-04", datetime(2026, 11, 3), datetime(2026, 11, 5)),
        ),
    ],
)
def test_periods(text: str | None, expected: Period) -> None:
    """Months, ISO weeks and day ranges (both days included) become [start, end)."""
    assert period_of(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-13", "month must be in 1..12"),
        ("2026-W54", "Invalid week"),
        ("2026-11-05..2026-11-01", "ends before it starts"),
        ("last month", "is not one of"),
    ],
)
def test_bad_periods_say_why(text: str, words: str) -> None:
    """A period that is not a month, week or day range is refused with the forms allowed."""
    with pytest.raises(InvalidInput) as caught:
        period_of(text)
    assert words in caught.value.message
    assert caught.value.location is not None and caught.value.location.field == "period"


def test_weeks_between_cross_a_year() -> None:
    """ISO weeks from the one holding the first day to the one holding the last."""
    assert weeks_between(date(2025, 12, 24), date(2026, 1, 6)) == [
        "2025-W52",
        "2026-W01",
        "2026-W02",
    ]
    assert Period("x", datetime(2026, 1, 1), datetime(2026, 2, 1)).holds(datetime(2026, 1, 31))
