"""``labelworks coaching`` end to end on an embedded SQLite data directory: a person's page
as tables and as JSON (the API's shape), adding a note with ``--note``, and bad input
(an empty note, an unknown person or project) refused with a clear message, changing
nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.coaching_world import ANN, LEAD, PROJECT, CoachingWorld, build

from labelworks.config import Settings
from labelworks.domain.period import week_of
from labelworks.storage import migration
from labelworks.storage.engine import Database, utcnow


def flat(text: str) -> str:
    """Output with Rich's table borders dropped and runs of whitespace collapsed."""
    return " ".join(re.sub("[\u2500-\u257f]", " ", text).split())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, CoachingWorld]]:
    """A data directory holding the coaching world, its weeks before this one."""
    folder = tmp_path / "data"
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    try:
        yield folder, build(db, utcnow().date())
    finally:
        db.dispose()


def test_the_page_prints_headline_trend_mistakes_and_notes(
    world: tuple[Path, CoachingWorld],
) -> None:
    """The tables show the headline with intervals, both weeks against acme's medians,
    each mistake with the expert's answer or the fix and the section, then the notes."""
    folder, w = world
    added = lw(folder, "coaching", PROJECT, ANN, "--note", "  We read the Sarcasm section.  ")
    shown = lw(folder, "coaching", PROJECT, ANN)
    out = flat(shown.output)
    weeks = [week_of(d) for d in w.weeks]
    assert (added.exit_code, flat(added.output)) == (0, f"Note 1 added to {ANN}'s log in coach.")
    assert shown.exit_code == 0, shown.output
    expected = [
        "Ann <ann@acme.example>, acme in coach",
        "5 annotations · gold 1 of 3 right (33%, 95% 6%–79%) · review: 0 of 2 accepted as "
        "submitted (0%, 95% 0%–66%), 1 fixed, 1 rejected",
        f"{weeks[0]} 1/3 (33%) 67% 3 6 6",
        f"{weeks[1]} - - 2 40 40",
        "mistakes on gold (2)",
        "3: Great food, rude staff sentiment: positive sentiment: neutral Praise and "
        "complaint: mixed feelings. Mixed feelings (v1)",
        "mistakes in review (2)",
        "5: ordinary review 1 sentiment: positive fixed to sentiment: neutral both at once "
        "Mixed feelings (v1)",
        "4: ordinary review 0 sentiment: positive rejected: wrong label Sarcasm again: the "
        "words are kind, the meaning is not. Sarcasm (v1)",
        "an operator: We read the Sarcasm section.",
    ]
    assert [line for line in expected if line not in out] == []


def test_json_is_the_api_shape_and_a_note_comes_back_as_json(
    world: tuple[Path, CoachingWorld],
) -> None:
    """``--json`` gives the page as ``GET …/coaching`` does; with ``--note`` the new note."""
    folder, _ = world
    note = lw(folder, "coaching", PROJECT, ANN, "--note", "Good week.", "--json")
    page = lw(folder, "coaching", PROJECT, ANN, "--json")
    body = json.loads(page.output)
    assert (note.exit_code, page.exit_code) == (0, 0)
    assert {k: v for k, v in json.loads(note.output).items() if k != "created_at"} == {
        "id": 1,
        "body": "Good week.",
        "author": "an operator",
    }
    assert (
        [m["guideline"]["section"] for m in body["gold_mistakes"]],
        [m["status"] for m in body["review_mistakes"]],
        body["headline"]["gold"]["correct"],
        [n["body"] for n in body["notes"]],
        body["expert_answers_shown"],
    ) == (["Mixed feelings", "Sarcasm"], ["fixed", "rejected"], 1, ["Good week."], True)


def test_bad_input_is_refused_and_changes_nothing(world: tuple[Path, CoachingWorld]) -> None:
    """An empty note (exit 2), an unknown person and an unknown project (exit 3) each
    fail with a message naming what is wrong; the log stays empty."""
    folder, _ = world
    runs = [
        lw(folder, "coaching", PROJECT, ANN, "--note", "   "),
        lw(folder, "coaching", PROJECT, "nobody@example.com"),
        lw(folder, "coaching", "nope", ANN),
        lw(folder, "coaching", PROJECT, "nobody@example.com", "--note", "hi"),
    ]
    notes = json.loads(lw(folder, "coaching", PROJECT, ANN, "--json").output)["notes"]
    assert [(r.exit_code, flat(r.output)) for r in runs] == [
        (2, "error [invalid_input] field 'body': a note must not be empty"),
        (3, "error [not_found] user 'nobody@example.com' does not exist"),
        (3, "error [not_found] project 'nope' does not exist"),
        (3, "error [not_found] user 'nobody@example.com' does not exist"),
    ]
    assert (notes, LEAD in json.dumps(notes)) == ([], False)
