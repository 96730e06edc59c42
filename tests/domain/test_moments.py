"""Typed moments as storage keeps them: naive UTC, offsets applied, anything else refused."""

from __future__ import annotations

from datetime import datetime

import pytest

from labelworks.domain.moments import stored_utc


def test_dates_times_and_offsets_become_naive_utc() -> None:
    """A date is its midnight, a time without offset is UTC, an offset is applied."""
    assert [
        stored_utc(t) for t in ("2026-01-31", " 2026-01-31T12:00 ", "2026-01-31T12:00+02:00")
    ] == [datetime(2026, 1, 31), datetime(2026, 1, 31, 12), datetime(2026, 1, 31, 10)]


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "0001-01-01T00:00+01:00"])
def test_anything_else_is_a_value_error(text: str) -> None:
    """Words, impossible dates and offsets that leave the calendar raise ValueError."""
    with pytest.raises(ValueError):
        stored_utc(text)
