"""Reporting periods: ISO weeks and date ranges as half-open UTC intervals, and bad
input refused with the field it came from."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from labelworks.domain.errors import InvalidInput
from labelworks.domain.period import EVERYTHING, Period, date_range, parse_period, week_of


def test_an_iso_week_runs_monday_to_monday() -> None:
    """2026-W48 is 23 to 30 November 2026; 2026-W01 starts on 29 December 2025."""
    assert parse_period("2026-W48") == Period(
        datetime(2026, 11, 23), datetime(2026, 11, 30), "2026-W48"
    )
    assert parse_period(" 2026-W01 ").since == datetime(2025, 12, 29)
    assert week_of(date(2025, 12, 29)) == "2026-W01"


def test_dates_are_inclusive_at_both_ends() -> None:
    """since 1 Nov to 30 Nov covers the whole of 30 November; either end may be open."""
    assert date_range("2026-11-01", "2026-11-30") == Period(
        datetime(2026, 11, 1), datetime(2026, 12, 1), "2026-11-01 to 2026-11-30"
    )
    assert date_range("2026-11-01", None) == Period(datetime(2026, 11, 1), None, "since 2026-11-01")
    assert date_range(None, "2026-11-30").label == "until 2026-11-30"
    assert parse_period() == EVERYTHING and not EVERYTHING.bounded


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (("2026-48",), "period", "not an ISO week"),
        (("2026-W54",), "period", "2026 has no ISO week 54"),
        (("2026-W48", "2026-11-01"), "period", "either a week"),
        ((None, "yesterday"), "since", "not a date"),
        ((None, "2026-11-02", "2026-11-01"), "until", "before since"),
    ],
)
def test_bad_periods_name_their_field(
    args: tuple[str | None, ...], field: str, message: str
) -> None:
    """Each malformed period says what is wrong and where."""
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_period(*args)
    assert caught.value.location is not None and caught.value.location.field == field
