"""The coaching rules: a note's body, the sections of a guideline text and the one a text
names, ISO weeks, and the weekly trend against the team's median (checked against numpy
on random teams)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.domain.coaching import (
    MAX_NOTE,
    MIN_TEAM,
    Section,
    guideline_url,
    note_body,
    section_named,
    sections_of,
    weekly_trend,
)
from labelworks.domain.errors import InvalidInput
from labelworks.domain.period import week_of

GUIDE = """# Sentiment
Label the feeling.

## Sarcasm
Label what is meant.

```
# not a heading: code
```

### Sarcasm in emoji
A wink flips it.

## Mixed feelings ##
Neutral when both.
"""


def test_a_note_is_trimmed_and_refused_when_empty_long_or_with_a_nul() -> None:
    """Trimmed bodies of 1..MAX_NOTE characters pass; the rest name the ``body`` field."""
    refused = []
    for raw in ("", " \t\n", "x" * (MAX_NOTE + 1), "a\x00b"):
        with pytest.raises(InvalidInput) as caught:
            note_body(raw)
        refused.append(str(caught.value))
    assert (note_body("  ok \n"), note_body(" " + "y" * MAX_NOTE + " ")) == ("ok", "y" * MAX_NOTE)
    assert refused == [
        "field 'body': a note must not be empty",
        "field 'body': a note must not be empty",
        f"field 'body': a note must be at most {MAX_NOTE} characters, not {MAX_NOTE + 1}",
        "field 'body': a note must not contain a NUL character",
    ]


def test_sections_are_the_headings_outside_code_with_their_text() -> None:
    """Each ATX heading (closing hashes dropped) holds the text up to the next heading of
    its level or above; a ``#`` line inside a fence is not a heading."""
    assert sections_of(GUIDE) == [
        Section("Sentiment", 1, GUIDE.strip()),
        Section(
            "Sarcasm",
            2,
            "## Sarcasm\nLabel what is meant.\n\n```\n# not a heading: code\n```\n\n"
            "### Sarcasm in emoji\nA wink flips it.",
        ),
        Section("Sarcasm in emoji", 3, "### Sarcasm in emoji\nA wink flips it."),
        Section("Mixed feelings", 2, "## Mixed feelings ##\nNeutral when both."),
    ]


def test_the_section_named_is_the_longest_heading_said_else_one_holding_the_reference() -> None:
    """Headings are found as whole words ignoring case and spaces, the longest first; a
    short reference finds the heading that holds it; nothing matches nothing."""
    found = sections_of(GUIDE)
    cases = [
        "see SARCASM   in emoji, please",
        "Sarcasm: read it",
        "mixed",
        "sarcasms are everywhere",
        "",
        "no",
        "Label",
    ]
    titles = [(s.title if (s := section_named(found, text)) else None) for text in cases]
    assert titles == [
        "Sarcasm in emoji",
        "Sarcasm",
        "Mixed feelings",
        None,
        None,
        None,
        None,
    ]


def test_a_guideline_link_opens_the_version_at_its_heading() -> None:
    """The version's page, with the heading as a text fragment (dashes escaped, as they
    separate a fragment's parts); the project name is one path segment."""
    assert [
        guideline_url("a/b", 2),
        guideline_url("p", 3, "Mixed feelings"),
        guideline_url("p", 1, "Co-reference & names"),
    ] == [
        "/projects/a%2Fb/settings/guidelines/2",
        "/projects/p/settings/guidelines/3#:~:text=Mixed%20feelings",
        "/projects/p/settings/guidelines/1#:~:text=Co%2Dreference%20%26%20names",
    ]


def test_iso_weeks_cross_the_new_year_as_iso_8601_says() -> None:
    """Days at the turn of a year belong to the ISO year of their week."""
    days = [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 4), date(2026, 3, 9)]
    assert [week_of(d) for d in days] == ["2026-W53", "2026-W53", "2027-W01", "2026-W11"]


MONDAY = date(2026, 3, 2)
people = st.integers(min_value=1, max_value=6)
gold_rows = st.lists(
    st.tuples(people, st.integers(0, 20), st.integers(0, 3), st.integers(1, 3)), max_size=40
)
second_rows = st.lists(
    st.tuples(people, st.integers(0, 20), st.one_of(st.none(), st.floats(0.5, 500))),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(gold=gold_rows, seconds=second_rows)
def test_the_trend_matches_numpy_medians_for_any_team(
    gold: list[tuple[int, int, int, int]], seconds: list[tuple[int, int, float | None]]
) -> None:
    """For random work of up to six people over three weeks, each week's figures of
    person 1 and the team's medians equal numpy's, with no median under three people."""
    g = [(who, MONDAY + timedelta(days=d), min(c, n), n) for who, d, c, n in gold]
    s = [(who, MONDAY + timedelta(days=d), x) for who, d, x in seconds]
    trend = {w.week: w for w in weekly_trend(1, g, s)}
    weeks = {week_of(day) for _, day, *_ in [*g, *s]}
    expected = {}
    for week in sorted(weeks):
        tally: dict[int, list[int]] = {}
        for who, day, c, n in g:
            if week_of(day) == week:
                tally.setdefault(who, [0, 0])
                tally[who][0] += c
                tally[who][1] += n
        timed: dict[int, list[float]] = {}
        counts: dict[int, int] = {}
        for who, day, x in s:
            if week_of(day) == week:
                counts[who] = counts.get(who, 0) + 1
                if x is not None:
                    timed.setdefault(who, []).append(x)
        rates = [c / n for c, n in tally.values()]
        medians = {who: float(np.median(v)) for who, v in timed.items()}
        mine = tally.get(1)
        expected[week] = (
            None if mine is None else mine[0] / mine[1],
            float(np.median(rates)) if len(rates) >= MIN_TEAM else None,
            len(rates),
            counts.get(1, 0),
            medians.get(1),
            float(np.median(list(medians.values()))) if len(medians) >= MIN_TEAM else None,
            len(medians),
        )
    got = {
        w.week: (
            w.accuracy,
            w.team_accuracy,
            w.team_gold_people,
            w.annotations,
            w.median_seconds,
            w.team_median_seconds,
            w.team_seconds_people,
        )
        for w in trend.values()
    }
    assert _rounded(got) == _rounded(expected)


def _rounded(found: dict[str, tuple[float | int | None, ...]]) -> dict[str, tuple[object, ...]]:
    """Floats to 9 places: the median of the same numbers, summed in another order, may
    differ in the last bit."""
    return {
        k: tuple(round(x, 9) if isinstance(x, float) else x for x in v) for k, v in found.items()
    }
