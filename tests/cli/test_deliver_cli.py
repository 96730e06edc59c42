"""``labelworks acceptance`` and ``labelworks deliver`` end to end on an embedded SQLite data
directory: the criteria as a table and as JSON, refusal with exit 4 listing what is unmet,
a delivery, a forced one, and output directories that are refused."""

from __future__ import annotations

import getpass
import json
from collections.abc import Collection, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.config import Settings
from labelworks.services import assignment
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC = """\
name: sentiment
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
overlap: 2
quality:
  consensus: majority
  acceptance:
    agreement: {lower_bound: 0.5}
    all_final: true
"""
LABELS = ["positive", "negative", "neutral"]
ITEMS = "".join(f'{{"external_id": "r{i}", "text": "review {i}"}}\n' for i in range(4))
FILES = [
    "delivery.json",
    "labels.jsonl",
    "labels.parquet",
    "quality_report.html",
    "quality_report.json",
]
T0 = datetime(2026, 1, 1, 12, 0, 0)


def lw(data_dir: Path, *args: str) -> Result:
    """Run ``labelworks --data-dir DATA_DIR ARGS`` with a wide terminal and no env overrides."""
    return CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), *args],
        env={"COLUMNS": "250", "LABELWORKS_DATABASE_URL": None, "LABELWORKS_DATA_DIR": None},
    )


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with project 'sentiment' (four items r0-r3, nothing labelled)."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    return folder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    """The data directory's database, for working as annotators."""
    database = Database(Settings(data_dir=data_dir).effective_database_url)
    yield database
    database.dispose()


def _label(db: Database, split: Collection[int] = ()) -> None:
    """Two annotators label every item: item i is LABELS[i % 3], except that the second
    annotator gives another label on the items in ``split``."""
    for n in range(2):
        who = add_user(db, f"ann{n}@example.com", role="annotator", projects=["sentiment"])
        k = 0
        while task := assignment.next_task_for(
            db, "sentiment", who.user.id, now=T0 + timedelta(seconds=k)
        ):
            i = int(task.payload["text"].split()[-1])
            label = LABELS[(i + n) % 3] if i in split else LABELS[i % 3]
            assignment.submit_annotation(
                db,
                task.assignment_id,
                who.user.id,
                value={"sentiment": label},
                seconds=1.0,
                idempotency_key=f"{n}-{k}",
                now=T0 + timedelta(seconds=k),
            )
            k += 1


def test_acceptance_shows_each_criterion_and_deliver_refuses(
    data_dir: Path, tmp_path: Path
) -> None:
    """Before any labels: the table says both criteria are not met, JSON says why, and
    deliver exits 4 naming each unmet criterion, writing nothing."""
    table = lw(data_dir, "acceptance", "sentiment")
    as_json = lw(data_dir, "acceptance", "sentiment", "--json")
    refused = lw(data_dir, "deliver", "sentiment", "-o", str(tmp_path / "out"))
    report = json.loads(as_json.stdout)
    no_agreement = (
        "no ordinary item has two or more annotations of 'sentiment'; the lower end must "
        "reach 0.500"
    )
    no_final = "0 of 4 ordinary items have a final label; 0 wait for adjudication, 4 have none yet"
    assert (table.exit_code, as_json.exit_code, refused.exit_code) == (0, 0, 4)
    assert flat(table.stdout).startswith("sentiment: 2 of 2 acceptance criteria not met ┏━")
    assert [flat(line) for line in table.stdout.splitlines() if "not met" in line][1:] == [
        f"│ agreement.sentiment │ not met │ - │ - │ 0.500 │ {no_agreement} │",
        f"│ all_final │ not met │ 0.0% │ - │ 100.0% │ {no_final} │",
    ]
    assert (report["accepted"], report["criteria"], report["counts"]["pending"]) == (
        False,
        [
            {
                "name": "agreement.sentiment",
                "met": False,
                "value": None,
                "low": None,
                "high": None,
                "target": 0.5,
                "detail": no_agreement,
            },
            {
                "name": "all_final",
                "met": False,
                "value": 0.0,
                "low": None,
                "high": None,
                "target": 1.0,
                "detail": no_final,
            },
        ],
        4,
    )
    assert flat(refused.stderr) == (
        "error [acceptance_not_met] project 'sentiment' does not meet its acceptance "
        f"criteria: agreement.sentiment: {no_agreement}; all_final: {no_final} (force the "
        "delivery to deliver anyway)"
    )
    assert not (tmp_path / "out").exists()


def test_deliver_writes_the_directory_once_criteria_are_met(
    data_dir: Path, db: Database, tmp_path: Path
) -> None:
    """Two agreeing annotators: every criterion is met, deliver writes the five files and
    says so; --json reports the same delivery's shape; the manifest names the OS user."""
    _label(db)
    table = lw(data_dir, "acceptance", "sentiment")
    out = tmp_path / "out"
    done = lw(data_dir, "deliver", "sentiment", "-o", str(out))
    again = lw(data_dir, "deliver", "sentiment", "-o", str(tmp_path / "again"), "--json")
    assert (table.exit_code, done.exit_code, again.exit_code) == (0, 0, 0)
    assert flat(table.stdout).startswith("sentiment: all 2 acceptance criteria met")
    assert flat(done.stdout).startswith(f"delivered 4 items of sentiment to {out} (delivery 1) ┏━")
    assert sorted(p.name for p in out.iterdir()) == FILES
    manifest = json.loads((out / "delivery.json").read_text())
    second = json.loads(again.stdout)
    assert (manifest["delivered_by"], manifest["forced"], manifest["items"]) == (
        getpass.getuser(),
        False,
        4,
    )
    assert (second["id"], second["accepted"], second["forced"], sorted(second["files"])) == (
        2,
        True,
        False,
        FILES,
    )


def test_force_delivers_past_unmet_criteria(data_dir: Path, db: Database, tmp_path: Path) -> None:
    """Annotators who disagree on every item leave agreement unmet (majority still makes
    each label final, by its tie rule): --force delivers, says which criterion it was
    forced past, and the manifest records it."""
    _label(db, split={0, 1, 2, 3})
    out = tmp_path / "out"
    forced = lw(data_dir, "deliver", "sentiment", "-o", str(out), "--force")
    manifest = json.loads((out / "delivery.json").read_text())
    unmet = [c["name"] for c in manifest["criteria"] if not c["met"]]
    assert (forced.exit_code, manifest["forced"], manifest["accepted"], unmet) == (
        0,
        True,
        False,
        ["agreement.sentiment"],
    )
    assert "forced past unmet criteria: agreement.sentiment" in flat(forced.stdout)


def test_output_directories_that_are_refused(data_dir: Path, db: Database, tmp_path: Path) -> None:
    """A non-empty directory exits 4 naming it; a file exits 2; neither is touched."""
    _label(db)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("keep")
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    not_empty = lw(data_dir, "deliver", "sentiment", "-o", str(full))
    not_dir = lw(data_dir, "deliver", "sentiment", "-o", str(afile))
    assert [(r.exit_code, flat(r.stderr)) for r in (not_empty, not_dir)] == [
        (
            4,
            f"error [conflict] output directory '{full}' is not empty; deliver into a new or "
            "empty directory",
        ),
        (2, f"error [invalid_input] output path '{afile}' exists and is not a directory"),
    ]
    assert ([p.name for p in full.iterdir()], afile.read_text()) == (["keep.txt"], "x")
