"""The ``labelworks`` command end to end on an embedded SQLite data directory."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import typer
import yaml
from tests.cli.runner import lw
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.config import Settings
from labelworks.domain.spec import parse_spec
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.demo import DEMO_BUILDERS, DEMO_PEOPLE
from labelworks.services.status import project_status
from labelworks.services.users import list_users, user_for_token
from labelworks.storage.engine import Database
from labelworks.storage.migration import head_revision

SPEC = """\
name: sentiment
description: Sentiment of product reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
overlap: 2
guidelines: guidelines.md
guidelines_changelog: first version
"""

ITEMS = (
    '{"external_id": "r1", "text": "Loved it"}\n'
    '{"external_id": "r2", "text": "Hated it"}\n'
    '{"text": "Loved it"}\n'
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with a spec, its guidelines and an items file."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "spec.yaml").write_text(SPEC)
    (folder / "guidelines.md").write_text("# Sentiment\nLabel what is meant.\n")
    (folder / "items.jsonl").write_text(ITEMS)
    return folder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    """The data directory's database, for checking what the commands did."""
    settings = Settings(data_dir=data_dir)
    database = Database(settings.effective_database_url)
    yield database
    database.dispose()


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


def ready(data_dir: Path, work: Path) -> None:
    """Apply the spec and import the items."""
    assert lw(data_dir, "project", "apply", str(work / "spec.yaml")).exit_code == 0
    assert lw(data_dir, "import", "sentiment", str(work / "items.jsonl")).exit_code == 0


def test_project_apply_show_and_list(data_dir: Path, work: Path) -> None:
    """Apply creates then reports unchanged; show prints the effective spec; list shows it."""
    first = lw(data_dir, "project", "apply", str(work / "spec.yaml"))
    assert (first.exit_code, first.stdout) == (
        0,
        "project sentiment: created (spec revision 1, guidelines v1)\nnew guidelines version v1\n",
    )
    again = lw(data_dir, "project", "apply", str(work / "spec.yaml"))
    assert (again.exit_code, again.stdout) == (
        0,
        "project sentiment: unchanged (spec revision 1, guidelines v1)\n",
    )
    shown = lw(data_dir, "project", "show", "sentiment")
    assert shown.exit_code == 0
    assert parse_spec(shown.stdout) == parse_spec(SPEC)
    assert yaml.safe_load(shown.stdout)["lease_minutes"] == 30
    listed = lw(data_dir, "project", "list")
    assert listed.exit_code == 0
    rows = [line for line in listed.stdout.splitlines() if "sentiment" in line]
    assert len(rows) == 1
    assert re.search(r"sentiment\s*│\s*2\s*│\s*30\s*│\s*1\s*│\s*v1\s*│", rows[0])


def test_user_add_prints_the_token_last(data_dir: Path, work: Path, db: Database) -> None:
    """``user add --token`` prints a working token as the very last line."""
    ready(data_dir, work)
    result = lw(
        data_dir,
        "user",
        "add",
        "Ada@Example.com",
        "--role",
        "annotator",
        "--project",
        "sentiment",
        "--vendor",
        "Acme",
        "--team",
        "t1",
        "--token",
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "user ada@example.com (annotator) — sentiment",
        "API token (shown once, store it now):",
    ]
    assert len(lines) == 3
    user = user_for_token(db, lines[-1])
    assert user is not None
    assert (user.email, user.role, user.vendor, user.team) == (
        "ada@example.com",
        "annotator",
        "Acme",
        "t1",
    )
    listed = lw(data_dir, "user", "list")
    assert listed.exit_code == 0
    assert "ada@example.com" in listed.stdout and "Acme" in listed.stdout


def test_people_commands_join_leave_deactivate_and_token(
    data_dir: Path, work: Path, db: Database
) -> None:
    """join and leave change memberships, deactivate ends tokens at once and reactivate
    brings them back, token prints a working token last; list shows who is active."""
    ready(data_dir, work)
    assert lw(data_dir, "user", "add", "bo@example.com", "--token").exit_code == 0
    joined = lw(data_dir, "user", "join", "BO@example.com", "--project", "sentiment")
    token = lw(data_dir, "user", "token", "bo@example.com", "--label", "ci")
    secret = token.stdout.splitlines()[-1]
    off = lw(data_dir, "user", "deactivate", "bo@example.com")
    while_off = user_for_token(db, secret)
    listed = lw(data_dir, "user", "list").stdout
    on = lw(data_dir, "user", "reactivate", "bo@example.com")
    left = lw(data_dir, "user", "leave", "bo@example.com", "--project", "sentiment")
    again = lw(data_dir, "user", "leave", "bo@example.com", "--project", "sentiment")
    assert [(r.exit_code, flat(r.stdout)) for r in (joined, off, on, left)] == [
        (0, "user bo@example.com (annotator) — sentiment"),
        (0, "bo@example.com is deactivated; every session and token of theirs has ended"),
        (0, "bo@example.com is active again"),
        (0, "bo@example.com is no longer a member of sentiment"),
    ]
    user = user_for_token(db, secret)
    assert (token.exit_code, while_off, user is not None and user.email) == (
        0,
        None,
        "bo@example.com",
    )
    assert re.search(r"bo@example\.com\s.*\sno\s", listed)
    assert (again.exit_code, flat(again.stderr)) == (
        3,
        "error [not_found] user bo@example.com is not a member of project 'sentiment'",
    )


def test_import_prints_a_summary(data_dir: Path, work: Path, db: Database) -> None:
    """Import reports new items, rows read and duplicates skipped on its last line."""
    lw(data_dir, "project", "apply", str(work / "spec.yaml"))
    result = lw(data_dir, "import", "sentiment", str(work / "items.jsonl"))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        "imported 2 new items into sentiment from 3 rows; 1 duplicates skipped"
    )
    assert project_status(db, "sentiment").items == 2


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_to_a_file(data_dir: Path, work: Path, tmp_path: Path, fmt: str) -> None:
    """``export -o`` writes every item in the chosen format and names the file."""
    ready(data_dir, work)
    target = tmp_path / f"out.{fmt}"
    result = lw(data_dir, "export", "sentiment", "--format", fmt, "-o", str(target))
    assert (result.exit_code, flat(result.stdout)) == (
        0,
        f"exported 2 items from sentiment to {target}",
    )
    data = target.read_bytes()
    if fmt == "jsonl":
        records = [json.loads(line) for line in data.splitlines()]
    elif fmt == "csv":
        records = list(csv.DictReader(io.StringIO(data.decode())))
    else:
        records = pq.read_table(io.BytesIO(data)).to_pylist()
    payloads = [r["payload"] if fmt == "jsonl" else json.loads(r["payload"]) for r in records]
    assert [(r["external_id"], p) for r, p in zip(records, payloads, strict=True)] == [
        ("r1", {"text": "Loved it"}),
        ("r2", {"text": "Hated it"}),
    ]
    assert not target.with_name(target.name + ".partial").exists()


def test_export_to_stdout(data_dir: Path, work: Path) -> None:
    """Without ``-o`` the JSONL export goes to standard output and nothing else does."""
    ready(data_dir, work)
    result = lw(data_dir, "export", "sentiment")
    assert result.exit_code == 0
    assert [json.loads(line)["external_id"] for line in result.stdout.splitlines()] == ["r1", "r2"]


def test_csv_export_escapes_formulas_unless_raw(data_dir: Path, work: Path, tmp_path: Path) -> None:
    """CSV cells that start a formula get a quote unless ``--csv-formulas raw``, which other
    formats refuse before any file is written."""
    assert lw(data_dir, "project", "apply", str(work / "spec.yaml")).exit_code == 0
    rows = [{"external_id": "=1+1", "text": "@SUM(A1)"}, {"external_id": "-2", "text": "x"}]
    (work / "formulas.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert lw(data_dir, "import", "sentiment", str(work / "formulas.jsonl")).exit_code == 0
    read = {}
    for mode in ("escape", "raw"):
        target = tmp_path / f"{mode}.csv"
        result = lw(
            data_dir,
            "export",
            "sentiment",
            "--format",
            "csv",
            "--csv-formulas",
            mode,
            "-o",
            str(target),
        )
        records = csv.DictReader(io.StringIO(target.read_text()))
        read[mode] = (
            result.exit_code,
            [(r["external_id"], json.loads(r["payload"])) for r in records],
        )
    assert read == {
        "escape": (0, [("'=1+1", {"text": "@SUM(A1)"}), ("-2", {"text": "x"})]),
        "raw": (0, [("=1+1", {"text": "@SUM(A1)"}), ("-2", {"text": "x"})]),
    }
    target = tmp_path / "out.jsonl"
    refused = lw(data_dir, "export", "sentiment", "--csv-formulas", "raw", "-o", str(target))
    unknown = lw(data_dir, "export", "sentiment", "--format", "csv", "--csv-formulas", "keep")
    assert [(r.exit_code, flat(r.stderr)) for r in (refused, unknown)] == [
        (
            2,
            "error [invalid_input] csv_formulas 'raw' applies to csv exports only; jsonl "
            "exports always hold the exact text",
        ),
        (2, "error [invalid_input] --csv-formulas must be escape or raw, not 'keep'"),
    ]
    assert sorted(p.name for p in tmp_path.glob("out.*")) == []


def test_status_table_and_json(data_dir: Path, work: Path) -> None:
    """Status prints a table for people and the whole status as JSON with ``--json``."""
    ready(data_dir, work)
    table = lw(data_dir, "status", "sentiment")
    assert table.exit_code == 0
    assert "sentiment (overlap 2)" in table.stdout
    assert re.search(r"│ items\s*│ 2\s*│", table.stdout)
    assert re.search(r"│ complete\s*│ 0 \(0.0%\)\s*│", table.stdout)
    as_json = lw(data_dir, "status", "sentiment", "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {
        "project": "sentiment",
        "overlap": 2,
        "items": 2,
        "complete": 0,
        "annotations": 0,
        "active_leases": 0,
        "skips": 0,
        "late_submissions": 0,
        "annotators": [],
        "completion": 0.0,
    }


def test_db_current_and_upgrade(data_dir: Path) -> None:
    """``db current`` on a new directory says empty; ``db upgrade`` migrates, then is a no-op."""
    head = head_revision()
    assert lw(data_dir, "db", "current").stdout == f"database: empty; shipped: {head}\n"
    assert lw(data_dir, "db", "upgrade").stdout == f"database upgraded from empty to {head}\n"
    assert lw(data_dir, "db", "upgrade").stdout == f"database already at revision {head}\n"
    assert lw(data_dir, "db", "current").stdout == f"database: {head}; shipped: {head}\n"


def test_demo_seeds_once(data_dir: Path, db: Database) -> None:
    """``demo --no-serve`` seeds every demo project and 6 people with working tokens, once."""
    first = lw(data_dir, "demo", "--no-serve")
    assert first.exit_code == 0
    assert flat(first.stdout).startswith(f"demo data created in {data_dir} (")
    tokens = re.findall(r"lw_[A-Za-z0-9_-]{43}", first.stdout)
    assert sorted(u.email for u in (user_for_token(db, t) for t in tokens) if u) == [
        "ada@demo.labelworks",
        "admin@demo.labelworks",
        "alan@demo.labelworks",
        "grace@demo.labelworks",
        "lead@demo.labelworks",
        "reviewer@demo.labelworks",
    ]
    assert "  sentiment-demo  " in first.stdout
    assert "http://127.0.0.1:8000/projects/sentiment-demo/label" in first.stdout
    assert first.stdout.splitlines()[-1] == (
        "open http://127.0.0.1:8000/  (API docs at http://127.0.0.1:8000/docs)"
    )
    status = project_status(db, "sentiment-demo")
    assert (status.items, status.overlap) == (200, 3)
    again = lw(data_dir, "demo", "--no-serve")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[0] == f"demo data already exists in {data_dir}; serving it"
    assert project_status(db, "sentiment-demo").items == 200
    assert len(list_users(db)) == 6


def test_invalid_input_exits_2_naming_file_line_and_field(data_dir: Path, work: Path) -> None:
    """A bad import row exits 2 with file, line and field in the message; nothing is written."""
    lw(data_dir, "project", "apply", str(work / "spec.yaml"))
    bad = work / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"body": "no text"}\n')
    result = lw(data_dir, "import", "sentiment", str(bad))
    assert result.exit_code == 2
    assert flat(result.stderr).split("error ", 1)[1] == (
        f"[invalid_import] {bad}, line 2, field 'payload.text': payload has no key "
        "'text', which the project's fields need"
    )
    status = lw(data_dir, "status", "sentiment", "--json")
    assert json.loads(status.stdout)["items"] == 0


def test_other_invalid_inputs_exit_2(data_dir: Path, work: Path, tmp_path: Path) -> None:
    """A bad spec, an unknown format or a missing file exits 2 with the reason."""
    (work / "bad.yaml").write_text(SPEC.replace("overlap: 2", "overlap: 0"))
    spec = lw(data_dir, "project", "apply", str(work / "bad.yaml"))
    assert spec.exit_code == 2
    assert flat(spec.stderr) == (
        f"error [invalid_spec] {work / 'bad.yaml'}, line 7, field 'overlap': "
        "must be at least 1, got 0"
    )
    lw(data_dir, "project", "apply", str(work / "spec.yaml"))
    unknown = lw(data_dir, "import", "sentiment", str(work / "spec.yaml"))
    assert (unknown.exit_code, flat(unknown.stderr)) == (
        2,
        "error [invalid_import] cannot tell the format of spec.yaml; name it .jsonl, .json, "
        ".csv or .parquet or pass --format",
    )
    missing = lw(data_dir, "import", "sentiment", str(tmp_path / "none.jsonl"))
    assert (missing.exit_code, flat(missing.stderr)) == (
        2,
        f"error [invalid_import] {tmp_path / 'none.jsonl'} does not exist or is not a file",
    )
    fmt = lw(data_dir, "export", "sentiment", "--format", "xml")
    assert (fmt.exit_code, flat(fmt.stderr)) == (
        2,
        "error [invalid_input] --format must be jsonl, csv or parquet, not 'xml'",
    )


def test_not_found_exits_3(data_dir: Path) -> None:
    """A missing project exits 3 from show, status, import and export."""
    for args in (
        ("project", "show", "nope"),
        ("status", "nope"),
        ("export", "nope"),
    ):
        result = lw(data_dir, *args)
        assert (result.exit_code, flat(result.stderr)) == (
            3,
            "error [not_found] project 'nope' does not exist",
        ), args


def test_conflicts_exit_4(data_dir: Path, work: Path) -> None:
    """Re-adding a user under another role exits 4 with already_exists."""
    ready(data_dir, work)
    assert lw(data_dir, "user", "add", "a@example.com", "--role", "annotator").exit_code == 0
    result = lw(
        data_dir, "user", "add", "a@example.com", "--role", "admin", "--project", "sentiment"
    )
    assert (result.exit_code, flat(result.stderr)) == (
        4,
        "error [already_exists] user a@example.com already exists",
    )


def test_version(data_dir: Path) -> None:
    """``--version`` prints the package version."""
    from labelworks import __version__

    result = lw(data_dir, "--version")
    assert (result.exit_code, result.stdout) == (0, f"labelworks {__version__}\n")


def test_errors_show_their_stable_code(data_dir: Path) -> None:
    """The error line carries the error's stable code, e.g. ``[not_found]``."""
    result = lw(data_dir, "project", "show", "nope")
    assert (result.exit_code, flat(result.stderr)) == (
        3,
        "error [not_found] project 'nope' does not exist",
    )


def test_import_progress_reaches_the_file_size(data_dir: Path, work: Path) -> None:
    """On a terminal (``TTY_COMPATIBLE=1`` stands in for one) the import progress bar ends
    at the file's full size."""
    lw(data_dir, "project", "apply", str(work / "spec.yaml"))
    result = CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), "import", "sentiment", str(work / "items.jsonl")],
        env={"COLUMNS": "200", "TTY_COMPATIBLE": "1", "LABELWORKS_DATABASE_URL": None},
    )
    size = (work / "items.jsonl").stat().st_size
    assert f"{size}/{size} bytes" in result.stderr


MAIN = "from labelworks.cli.app import main; main()"


def _to_files(tmp_path: Path, data_dir: Path, *args: str) -> tuple[int, str, str]:
    """Run ``labelworks`` in a new process with standard output and error redirected to
    files (an 80-column default width, no terminal); returns the exit code and both files."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LABELWORKS_") and k not in ("COLUMNS", "TTY_COMPATIBLE", "FORCE_COLOR")
    }
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = subprocess.run(
            [sys.executable, "-c", MAIN, "--data-dir", str(data_dir), *args],
            env=env,
            stdout=stdout,
            stderr=stderr,
            timeout=120,
        ).returncode
    return code, out.read_text(), err.read_text()


def test_redirected_standard_error_gets_no_bar_and_one_line_errors(
    data_dir: Path, work: Path, tmp_path: Path
) -> None:
    """With standard output and error in files, an import and an export draw no progress
    bar, and messages and an error over 80 columns are one line each, unwrapped."""
    lw(data_dir, "project", "apply", str(work / "spec.yaml"))
    imported = _to_files(tmp_path, data_dir, "import", "sentiment", str(work / "items.jsonl"))
    target = tmp_path / "out.jsonl"
    exported = _to_files(tmp_path, data_dir, "export", "sentiment", "-o", str(target))
    bad = work / "a-file-with-a-long-name-so-the-error-is-well-over-eighty-columns.jsonl"
    bad.write_text('{"body": "no text"}\n')
    failed = _to_files(tmp_path, data_dir, "import", "sentiment", str(bad))
    assert [imported, exported, failed] == [
        (0, "imported 2 new items into sentiment from 3 rows; 1 duplicates skipped\n", ""),
        (0, f"exported 2 items from sentiment to {target}\n", ""),
        (
            2,
            "",
            f"error [invalid_import] {bad}, line 1, field 'payload.text': payload has no key "
            "'text', which the project's fields need\n",
        ),
    ]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LABELWORKS_WORKERS", "-1", "Input should be greater than or equal to 0 (got '-1')"),
        (
            "LABELWORKS_PORT",
            "abc",
            "Input should be a valid integer, unable to parse string as an integer (got 'abc')",
        ),
        ("LABELWORKS_SESSION_HOURS", "nan", "Input should be greater than 0 (got 'nan')"),
        (
            "LABELWORKS_PORT",
            "9" * 100_000,
            "Unable to parse input string as an integer, exceeded maximum size "
            f"(got '{'9' * 56}...)",
        ),
    ],
)
def test_a_bad_setting_is_named_and_changes_nothing(
    data_dir: Path, variable: str, value: str, message: str
) -> None:
    """A malformed LABELWORKS_ variable stops every command with one line naming it (long
    values cut short), exit code 2, and no data directory made."""
    result = CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), "status", "anything"],
        env={"COLUMNS": "400", variable: value, "LABELWORKS_DATABASE_URL": None},
    )
    assert (result.exit_code, flat(result.output).strip(), data_dir.exists()) == (
        2,
        f"error [invalid_input] field '{variable}': {message}",
        False,
    )


def test_parquet_export_to_standard_output_is_refused(data_dir: Path, work: Path) -> None:
    """Parquet without ``-o`` exits 2 naming the fix, and nothing reaches standard output."""
    ready(data_dir, work)
    result = lw(data_dir, "export", "sentiment", "--format", "parquet")
    assert (result.exit_code, result.stdout, flat(result.stderr)) == (
        2,
        "",
        "error [invalid_input] a Parquet export needs -o FILE; only jsonl and csv go to "
        "standard output",
    )


def test_import_into_a_missing_project_draws_no_bar(data_dir: Path, work: Path) -> None:
    """On a terminal, an import into a missing project says so and draws no progress bar."""
    result = CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), "import", "nope", str(work / "items.jsonl")],
        env={"COLUMNS": "200", "TTY_COMPATIBLE": "1", "LABELWORKS_DATABASE_URL": None},
    )
    assert (result.exit_code, result.stderr) == (
        3,
        "error [not_found] project 'nope' does not exist\n",
    )


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_serve_on_a_busy_port_is_a_conflict(data_dir: Path, tmp_path: Path, command: str) -> None:
    """``serve`` and ``demo`` on a port another program listens on exit 4 with one line
    naming the port, before anything is seeded; not 3, which means "not found"."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _to_files(tmp_path, data_dir, command, "--port", str(port))
    assert (result, (data_dir / "media").exists()) == (
        (
            4,
            "",
            f"error [conflict] port {port} on 127.0.0.1 is already in use (by another server, "
            "or a labelworks serve still running): stop it or pick another with --port\n",
        ),
        False,
    )


def test_a_server_that_does_not_start_exits_1(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When uvicorn gives up starting (its exit code 3), ``serve`` says so and exits 1."""

    def fails_to_start(*args: object, **kwargs: object) -> None:
        raise SystemExit(3)

    monkeypatch.setattr(os, "environ", dict(os.environ))  # serve exports its settings
    monkeypatch.setattr("labelworks.cli.server.uvicorn.run", fails_to_start)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = lw(data_dir, "serve", "--port", str(port))
    assert (result.exit_code, flat(result.stderr)) == (
        1,
        "error [error] the server did not start; uvicorn logged why above",
    )


def test_serve_on_an_address_of_no_interface_exits_2(data_dir: Path) -> None:
    """A host no interface has (TEST-NET-1) is bad input: exit 2 with the system's reason."""
    result = lw(data_dir, "serve", "--host", "192.0.2.1", "--port", "8000")
    assert (result.exit_code, flat(result.stderr)) == (
        2,
        "error [invalid_input] cannot listen on 192.0.2.1:8000: Cannot assign requested address",
    )


def test_status_table_gives_time_spent_and_time_per_item(
    data_dir: Path, work: Path, db: Database
) -> None:
    """The annotator table reads minutes of work as minutes with the mean per item, where
    hours to two decimals said 0.00, and a dash for someone with nothing submitted."""
    ready(data_dir, work)
    lw(data_dir, "user", "add", "ann@example.com", "--project", "sentiment")
    lw(data_dir, "user", "add", "bob@example.com", "--project", "sentiment")
    ann, bob = (u.id for u, _ in list_users(db))
    for n, seconds in enumerate((131.903, 111.264)):
        task = next_task_for(db, "sentiment", ann)
        assert task is not None
        value = {"sentiment": "positive"}
        submit_annotation(
            db, task.assignment_id, ann, value=value, seconds=seconds, idempotency_key=f"k{n}"
        )
    assert next_task_for(db, "sentiment", bob) is not None
    table = lw(data_dir, "status", "sentiment").stdout
    rows = [line.split("│")[1:-1] for line in table.splitlines() if "@example.com" in line]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["ann@example.com", "2", "0", "0", "4.1 min", "121.6 s"],
        ["bob@example.com", "0", "0", "1", "0.0 s", "–"],
    ]


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group of the tree, as the arguments that reach it."""
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*path, name))


def test_help_shows_flags_without_a_value_type(data_dir: Path) -> None:
    """No help screen gives a flag a type, as if it took a value (``--version <bool>``):
    ``--version`` and ``--help`` read as bare flags, options with values keep theirs."""
    paths = list(_command_paths(typer.main.get_command(app)))
    screens = {path: lw(data_dir, *path, "--help") for path in paths}
    options = [line for line in screens[()].stdout.splitlines() if line.startswith("│ --")]
    rows = [flat(line.strip("│ ")) for line in options]
    assert (
        len(paths) > 50,
        [p for p, r in screens.items() if r.exit_code != 0 or "<bool>" in r.stdout],
        rows,
    ) == (
        True,
        [],
        [
            "--data-dir <path> data directory (default ./labelworks-data, LABELWORKS_DATA_DIR)",
            "--database-url <str> database URL (default: SQLite in the data directory)",
            "--version print the version",
            "--help Show this message and exit.",
        ],
    )


def test_readme_counts_the_demo_projects_and_people() -> None:
    """The README's first paragraph says how many projects and people ``labelworks demo``
    seeds: every demo project but the video one, which needs a video library it names."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    paragraph = readme.split("```\n\n")[2].split("\n\n")[0]
    numbers = {"six": 6, "eight": 8, "nine": 9}
    projects = re.search(r"(\w+) demo projects", paragraph)
    people = re.search(r"(\w+) demo people", paragraph)
    assert projects is not None and people is not None
    optional = [name for name, _, _ in DEMO_BUILDERS if name == "video-demo"]
    assert (numbers[projects[1]], numbers[people[1]], optional, "a ninth, video" in paragraph) == (
        len(DEMO_BUILDERS) - 1,
        len(DEMO_PEOPLE),
        ["video-demo"],
        True,
    )
