"""``labelworks project history`` and ``labelworks project check`` on an embedded SQLite data
directory: revisions with the forced one marked, the diff between two, each guideline
version, JSON for scripts; the dry run of an apply with its diff, its unsafe changes
(exit 4, as the apply would need --force) and the apply's own errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.runner import lw

from labelworks.config import Settings
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import user_by_email
from labelworks.storage.engine import Database

SPEC = """\
name: hist
fields:
  - name: sentiment
    kind: choice
    labels: {labels}
guidelines: guidelines.md
guidelines_changelog: {changelog}
"""


def _write(tmp_path: Path, labels: str, rules: str, changelog: str = "first") -> Path:
    (tmp_path / "guidelines.md").write_text(rules)
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(labels=labels, changelog=changelog))
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Project 'hist': revision 1 with guidelines v1, revision 2 with v2 (a label added),
    an annotation 'meh', then revision 3 forced (label 'meh' removed)."""
    folder = tmp_path / "data"
    spec = _write(tmp_path, "[pos, neg, meh]", "# Rules\n")
    assert lw(folder, "project", "apply", str(spec)).exit_code == 0
    spec = _write(tmp_path, "[pos, neg, meh, new]", "# Rules\nMore.\n", "more")
    assert lw(folder, "project", "apply", str(spec)).exit_code == 0
    (tmp_path / "items.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n')
    assert lw(folder, "import", "hist", str(tmp_path / "items.jsonl")).exit_code == 0
    assert lw(folder, "user", "add", "ann@example.com", "--project", "hist").exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    try:
        ann = user_by_email(db, "ann@example.com").id
        for n, label in enumerate(("meh", "pos")):
            task = next_task_for(db, "hist", ann)
            assert task is not None
            value = {"sentiment": label}
            submit_annotation(
                db, task.assignment_id, ann, value=value, seconds=1, idempotency_key=str(n)
            )
    finally:
        db.dispose()
    spec = _write(tmp_path, "[pos, neg, new]", "# Rules\nMore.\n", "more")
    assert lw(folder, "project", "apply", str(spec), "--force").exit_code == 0
    return folder


def test_history_lists_revisions_and_guideline_versions(data_dir: Path) -> None:
    shown = lw(data_dir, "project", "history", "hist")
    rows = [line.split("│")[1:-1] for line in shown.stdout.splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in row] for row in rows]
    assert shown.exit_code == 0
    assert [(c[0], c[2]) for c in cells[:3]] == [("1", ""), ("2", ""), ("3", "forced")]
    assert [(c[0], c[2]) for c in cells[3:]] == [("v1", "first"), ("v2", "more")]


def test_history_as_json(data_dir: Path) -> None:
    shown = lw(data_dir, "project", "history", "hist", "--json")
    data = json.loads(shown.stdout)
    assert [(r["revision"], r["forced"]) for r in data["revisions"]] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert [(g["version"], g["changelog"]) for g in data["guidelines"]] == [
        (1, "first"),
        (2, "more"),
    ]
    assert all(r["created_at"].endswith("Z") for r in data["revisions"])


def test_the_diff_between_two_revisions(data_dir: Path) -> None:
    diff = lw(data_dir, "project", "history", "hist", "--diff", "2", "3")
    as_json = json.loads(
        lw(data_dir, "project", "history", "hist", "--diff", "2", "3", "--json").stdout
    )
    same = lw(data_dir, "project", "history", "hist", "--diff", "3", "3")
    assert diff.exit_code == 0
    assert diff.stdout.splitlines()[:2] == ["--- revision 2", "+++ revision 3"]
    assert "-  labels: [pos, neg, meh, new]" in diff.stdout.splitlines()
    assert "+  labels: [pos, neg, new]" in diff.stdout.splitlines()
    assert (as_json["diff"] + "\n", as_json["added"], as_json["removed"]) == (diff.stdout, 1, 1)
    assert (as_json["a"]["revision"], as_json["b"]["forced"]) == (2, True)
    assert same.stdout.strip() == "revisions 3 and 3 are the same spec"


def test_a_guideline_version_prints_its_markdown(data_dir: Path) -> None:
    first = lw(data_dir, "project", "history", "hist", "--guidelines", "1")
    second = json.loads(
        lw(data_dir, "project", "history", "hist", "--guidelines", "2", "--json").stdout
    )
    assert (first.exit_code, first.stdout) == (0, "# Rules\n")
    assert (second["content"], second["changelog"]) == ("# Rules\nMore.\n", "more")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--diff", "1", "9"], 3, "error [not_found] project 'hist' has no spec revision 9"),
        (["--guidelines", "7"], 3, "error [not_found] project 'hist' has no guideline version 7"),
        (
            ["--diff", "0", "1"],
            2,
            "error [invalid_input] --diff: 0 is not a revision or version number",
        ),
        (
            ["--diff", "1", "2", "--guidelines", "1"],
            2,
            "error [invalid_input] give --diff or --guidelines, not both",
        ),
    ],
)
def test_history_refusals(data_dir: Path, args: list[str], code: int, message: str) -> None:
    refused = lw(data_dir, "project", "history", "hist", *args)
    assert (refused.exit_code, refused.stderr.strip()) == (code, message)


def test_a_project_that_does_not_exist(data_dir: Path) -> None:
    refused = lw(data_dir, "project", "history", "nope")
    assert (refused.exit_code, refused.stderr.strip()) == (
        3,
        "error [not_found] project 'nope' does not exist",
    )


def test_check_shows_what_apply_would_do_and_does_nothing(data_dir: Path, tmp_path: Path) -> None:
    spec = _write(tmp_path, "[pos, neg, new, newer]", "# Rules\nMore.\nEven more.\n", "most")
    checked = lw(data_dir, "project", "check", str(spec))
    as_json = json.loads(lw(data_dir, "project", "check", str(spec), "--json").stdout)
    history = json.loads(lw(data_dir, "project", "history", "hist", "--json").stdout)
    lines = checked.stdout.splitlines()
    assert checked.exit_code == 0
    assert lines[0] == "project hist: would be updated (now revision 3)"
    assert "+  labels: [pos, neg, new, newer]" in lines
    assert lines[-1] == "the guidelines would become a new version"
    assert (as_json["action"], as_json["unsafe_changes"], as_json["guidelines_changed"]) == (
        "updated",
        [],
        True,
    )
    assert (len(history["revisions"]), len(history["guidelines"])) == (3, 2)


def test_check_of_an_unsafe_change_exits_as_the_apply_would(data_dir: Path, tmp_path: Path) -> None:
    spec = _write(tmp_path, "[neg, new]", "# Rules\nMore.\n", "more")
    checked = lw(data_dir, "project", "check", str(spec))
    assert checked.exit_code == 4
    assert (
        "unsafe: label 'pos' of field 'sentiment' is in use and would be removed" in checked.stdout
    )
    assert checked.stderr.strip() == (
        "error [unsafe_spec_change] 1 change would invalidate existing annotations "
        "(apply with --force to do it anyway)"
    )


def test_check_of_an_unchanged_and_a_new_project(data_dir: Path, tmp_path: Path) -> None:
    spec = _write(tmp_path, "[pos, neg, new]", "# Rules\nMore.\n", "more")
    same = lw(data_dir, "project", "check", str(spec))
    spec.write_text(spec.read_text().replace("name: hist", "name: fresh"))
    fresh = lw(data_dir, "project", "check", str(spec))
    assert (same.exit_code, same.stdout.strip()) == (
        0,
        "project hist: is unchanged (now revision 3)",
    )
    assert fresh.stdout.splitlines()[:3] == [
        "project fresh: would be created",
        "--- (no project)",
        "+++ proposed",
    ]


def test_check_gives_the_applys_errors(data_dir: Path, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: hist\nfields:\n  - name: s\n    kind: choise\n")
    checked = lw(data_dir, "project", "check", str(spec))
    applied = lw(data_dir, "project", "apply", str(spec))
    assert (checked.exit_code, checked.stderr) == (applied.exit_code, applied.stderr)
    assert checked.stderr.startswith(f"error [invalid_spec] {spec}, line 4, field 'fields[0].kind'")
