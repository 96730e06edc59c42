"""A reporting period: an ISO week (``2026-W48``) or a range of dates, both ends
inclusive, read as the half-open UTC interval ``[since, until)`` that queries filter on.

One parser for every face (CLI options, API query parameters, the page's form), so the
same words mean the same days everywhere and bad input names the field it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from labelworks.domain.errors import InvalidInput, Location

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """``[since, until)`` in naive UTC; ``None`` leaves that side open. ``label`` names it
    for people ("2026-W48", "2026-11-01 to 2026-11-30", "all time")."""

    since: datetime | None = None
    until: datetime | None = None
    label: str = "all time"

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "label": self.label,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
        }


EVERYTHING = Period()


def iso_week(text: str, *, field: str = "period") -> Period:
    """The ISO week ``YYYY-Www`` (Monday 00:00 UTC to the next Monday)."""
    found = _WEEK.match(text.strip())
    if found is None:
        raise InvalidInput(
            f"'{text}' is not an ISO week such as 2026-W48", location=Location(field=field)
        )
    year, week = int(found.group(1)), int(found.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidInput(
            f"{year} has no ISO week {week}", location=Location(field=field)
        ) from None
    start = datetime(monday.year, monday.month, monday.day)
    return Period(start, start + timedelta(days=7), f"{year}-W{week:02d}")


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"'{text}' is not a date (YYYY-MM-DD)", location=Location(field=field)
        ) from None


def date_range(since: str | None, until: str | None) -> Period:
    """From the start of ``since`` to the end of ``until`` (dates, both inclusive)."""
    first = None if not since else _day(since, "since")
    last = None if not until else _day(until, "until")
    if first is not None and last is not None and last < first:
        raise InvalidInput(
            f"until ({last}) is before since ({first})", location=Location(field="until")
        )
    start = None if first is None else datetime(first.year, first.month, first.day)
    end = None if last is None else datetime(last.year, last.month, last.day) + timedelta(days=1)
    if first is not None and last is not None:
        label = f"{first} to {last}"
    elif first is not None:
        label = f"since {first}"
    elif last is not None:
        label = f"until {last}"
    else:
        label = EVERYTHING.label
    return Period(start, end, label)


def parse_period(
    week: str | None = None, since: str | None = None, until: str | None = None
) -> Period:
    """The period a caller asked for: an ISO week, or dates, or everything; a week together
    with dates is refused (which would win is not obvious)."""
    if week:
        if since or until:
            raise InvalidInput(
                "give either a week (period) or dates (since, until), not both",
                location=Location(field="period"),
            )
        return iso_week(week)
    return date_range(since, until)


def week_of(day: date) -> str:
    """The ISO week a day falls in, as ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
