"""Coaching: the rules behind a person's coaching page, as pure functions.

- A coaching note is 1 to ``MAX_NOTE`` characters once trimmed. Notes are a log: added,
  never edited or deleted, so what a person was told, and when, stays as it was said.
- The guideline section a mistake is about is found in the guideline version the person
  worked under: its Markdown headings are the sections, and the section is the heading an
  expert named (an escalation's ``guideline_section``, a gold answer's explanation, a
  reviewer's comment) — the longest heading named wins; failing that, a heading that holds
  a short reference (``"sarcasm"`` finds ``"Sarcasm and irony"``).
- The weekly trend is the person's gold accuracy (with its 95% Wilson interval) and median
  seconds per item in each ISO week, against the team's median of each person's weekly
  figure. A team median rests on at least ``MIN_TEAM`` people: with two, the median is
  their mean, and a person who knows their own figure would know the other one's.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from labelworks.domain.errors import InvalidInput, Location
from labelworks.domain.gold import wilson_bounds
from labelworks.domain.period import week_of

MAX_NOTE = 5_000
MIN_TEAM = 3
# Headings shorter than this are too common as words to be taken as named in a text.
MIN_TITLE = 3
MAX_SECTION_TEXT = 4_000

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def note_body(raw: str) -> str:
    """A coaching note's text, trimmed; ``InvalidInput`` naming ``body`` when it is empty,
    longer than ``MAX_NOTE`` or holds a NUL (which PostgreSQL text cannot)."""
    body = raw.strip()
    where = Location(field="body")
    if not body:
        raise InvalidInput("a note must not be empty", location=where)
    if len(body) > MAX_NOTE:
        raise InvalidInput(
            f"a note must be at most {MAX_NOTE} characters, not {len(body)}", location=where
        )
    if "\x00" in body:
        raise InvalidInput("a note must not contain a NUL character", location=where)
    return body


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of a guideline text and the Markdown under it (up to the next heading
    of the same or a higher level), cut at ``MAX_SECTION_TEXT`` characters."""

    title: str
    level: int
    text: str


def sections_of(markdown: str) -> list[Section]:
    """The ATX headings (``#`` to ``######``) of ``markdown`` outside fenced code, in
    order, each with its text."""
    lines = markdown.splitlines()
    heads: list[tuple[int, int, str]] = []  # (line, level, title)
    fence: str | None = None
    for i, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        found = _HEADING.match(line)
        if found and found.group(2).strip():
            heads.append((i, len(found.group(1)), found.group(2).strip()))
    sections = []
    for k, (start, level, title) in enumerate(heads):
        end = next((s for s, lv, _ in heads[k + 1 :] if lv <= level), len(lines))
        text = "\n".join(lines[start:end]).strip()
        if len(text) > MAX_SECTION_TEXT:
            text = text[: MAX_SECTION_TEXT - 1] + "…"
        sections.append(Section(title, level, text))
    return sections


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def section_named(sections: Sequence[Section], text: str) -> Section | None:
    """The section ``text`` names: the longest heading that appears in it as whole words
    (case and runs of spaces ignored), else the first heading that contains ``text``
    itself; ``None`` when neither."""
    said = _normal(text)
    if not said:
        return None
    named = [
        s
        for s in sections
        if len(_normal(s.title)) >= MIN_TITLE
        and re.search(rf"(?<!\w){re.escape(_normal(s.title))}(?!\w)", said)
    ]
    if named:
        return max(named, key=lambda s: len(_normal(s.title)))  # first of the longest
    if len(said) < MIN_TITLE:
        return None
    return next((s for s in sections if said in _normal(s.title)), None)


def guideline_url(project: str, version: int, section: str | None = None) -> str:
    """The page of guideline ``version``, scrolled to the heading ``section`` by a text
    fragment (``#:~:text=``, which browsers that know it highlight; the rest open the
    page at its top)."""
    url = f"/projects/{quote(project, safe='')}/settings/guidelines/{version}"
    if not section:
        return url
    # A dash separates a text fragment's parts: it is escaped too.
    return f"{url}#:~:text={quote(section, safe='').replace('-', '%2D')}"


@dataclass(frozen=True, slots=True)
class TrendWeek:
    """One ISO week of the trend. The person's figures are ``None`` in a week they did not
    work (gold accuracy: answered no gold); the team's when fewer than ``MIN_TEAM`` people
    had the figure that week. ``team_*_people`` count the people behind each median."""

    week: str
    gold_answered: int
    gold_correct: int
    accuracy: float | None
    low: float | None
    high: float | None
    team_accuracy: float | None
    team_gold_people: int
    annotations: int
    median_seconds: float | None
    team_median_seconds: float | None
    team_seconds_people: int


def _team_median(values: Iterable[float]) -> tuple[float | None, int]:
    found = list(values)
    if len(found) < MIN_TEAM:
        return None, len(found)
    return float(statistics.median(found)), len(found)


def weekly_trend(
    person: int,
    gold: Iterable[tuple[int, date, int, int]],
    seconds: Iterable[tuple[int, date, float | None]],
) -> list[TrendWeek]:
    """The trend of ``person`` against their team, oldest week first, over the weeks in
    which the person or anyone of the team worked.

    ``gold``: (annotator, day, correct, answered) per day; ``seconds``: (annotator, day,
    seconds spent or ``None`` when not measured) per annotation; both for the whole team,
    the person included. Annotations without a time count as work, not in the medians.
    """
    tallies: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for who, day, correct, answered in gold:
        tally = tallies[week_of(day)][who]
        tally[0] += correct
        tally[1] += answered
    times: dict[str, dict[int, list[float | None]]] = defaultdict(lambda: defaultdict(list))
    for who, day, spent in seconds:
        times[week_of(day)][who].append(spent)
    weeks = []
    for week in sorted(set(tallies) | set(times)):
        scored = {who: c / n for who, (c, n) in tallies[week].items() if n}
        correct, answered = tallies[week].get(person, [0, 0])
        low, high = wilson_bounds(correct, answered) if answered else (None, None)
        team_accuracy, gold_people = _team_median(scored.values())
        timed = {who: [s for s in v if s is not None] for who, v in times[week].items()}
        medians = {who: float(statistics.median(v)) for who, v in timed.items() if v}
        team_seconds, seconds_people = _team_median(medians.values())
        weeks.append(
            TrendWeek(
                week=week,
                gold_answered=answered,
                gold_correct=correct,
                accuracy=scored.get(person),
                low=low,
                high=high,
                team_accuracy=team_accuracy,
                team_gold_people=gold_people,
                annotations=len(times[week].get(person, [])),
                median_seconds=medians.get(person),
                team_median_seconds=team_seconds,
                team_seconds_people=seconds_people,
            )
        )
    return weeks
