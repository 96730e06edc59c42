"""Moments people type (a date, or a date and time with or without an offset) as storage
keeps them: naive UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def stored_utc(text: str) -> datetime:
    """``2026-01-31``, ``2026-01-31T12:00`` or with an offset, as naive UTC (UTC unless the
    text carries an offset); ``ValueError`` for anything else, each caller saying why in its
    own terms (a form field, a CLI option, a query parameter)."""
    try:
        found = datetime.fromisoformat(text.strip())
        return found if found.tzinfo is None else found.astimezone(UTC).replace(tzinfo=None)
    except OverflowError as exc:  # an offset that moves the moment out of range
        raise ValueError(str(exc)) from None
