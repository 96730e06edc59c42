"""``labelworks report`` on an embedded SQLite data directory: Markdown on stdout, one HTML
file with inline SVG charts written with ``-o``, JSON as the API gives it, and bad input
(an unknown format, a malformed week, an unknown project) refused naming it, writing
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.test_stakeholder_report import _world

from labelworks.config import Settings
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """A data directory holding the report's world (weeks 2026-W10 and W11)."""
    data = tmp_path / "data"
    db = Database(Settings(data_dir=data).effective_database_url)
    migration.upgrade(db)
    try:
        _world(db)
        yield data
    finally:
        db.dispose()


def test_markdown_html_and_json(folder: Path, tmp_path: Path) -> None:
    """The week's report prints as Markdown, writes as one HTML file with three charts and
    no script, and its JSON names the week and the passed deadline."""
    markdown = lw(folder, "report", "sentiment", "--period", "2026-W11")
    target = tmp_path / "week.html"
    written = lw(
        folder, "report", "sentiment", "--period", "2026-W11", "--format", "html", "-o", str(target)
    )
    as_json = lw(folder, "report", "sentiment", "--period", "2026-W11", "--format", "json")
    html = target.read_text()
    data = json.loads(as_json.stdout)
    assert (
        markdown.exit_code,
        markdown.stdout.splitlines()[0],
        written.exit_code,
        " ".join(written.stdout.split()),
        html.count("<svg"),
        "<script" in html,
        data["period"]["week"],
        data["progress"]["period_annotations"],
        [r["kind"] for r in data["risks"]],
    ) == (
        0,
        "# sentiment — weekly report 2026-W11",
        0,
        f"wrote the 2026-W11 report of sentiment to {target}",
        3,
        False,
        "2026-W11",
        8,
        ["deadline"],
    )


def test_bad_input_is_refused_naming_it(folder: Path, tmp_path: Path) -> None:
    """An unknown format, a malformed week and an unknown project exit 2 with one line
    each, and no file is written."""
    target = tmp_path / "never.html"
    runs = [
        lw(folder, "report", "sentiment", "--format", "pdf", "-o", str(target)),
        lw(folder, "report", "sentiment", "--period", "W11", "-o", str(target)),
        lw(folder, "report", "nope", "-o", str(target)),
    ]
    assert [(r.exit_code, " ".join(r.stderr.split())) for r in runs] == [
        (2, "error [invalid_input] field '--format': unknown format 'pdf': use html, md or json"),
        (2, "error [invalid_input] field 'period': 'W11' is not an ISO week such as 2026-W48"),
        (3, "error [not_found] project 'nope' does not exist"),
    ]
    assert not target.exists()
