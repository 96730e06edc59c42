"""``labelworks project delete`` on an embedded SQLite data directory: a project without
annotations goes at once, one with annotations only with --force, and nothing is left."""

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
name: {name}
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative]
overlap: 1
"""
ITEMS = "".join(f'{{"external_id": "r{i}", "text": "review {i}"}}\n' for i in range(3))


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Projects 'done' (ann annotated two of its three items) and 'fresh' (three items, no
    annotations), ann a member of both."""
    folder = tmp_path / "data"
    (tmp_path / "items.jsonl").write_text(ITEMS)
    for name in ("done", "fresh"):
        (tmp_path / f"{name}.yaml").write_text(SPEC.format(name=name))
        assert lw(folder, "project", "apply", str(tmp_path / f"{name}.yaml")).exit_code == 0
        assert lw(folder, "import", name, str(tmp_path / "items.jsonl")).exit_code == 0
    joined = lw(folder, "user", "add", "ann@example.com", "--project", "done", "--project", "fresh")
    assert joined.exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    try:
        ann = user_by_email(db, "ann@example.com").id
        for n in range(2):
            task = next_task_for(db, "done", ann)
            assert task is not None
            submit_annotation(
                db,
                task.assignment_id,
                ann,
                value={"sentiment": "positive"},
                seconds=1.0,
                idempotency_key=f"k{n}",
            )
    finally:
        db.dispose()
    return folder


def _projects(data_dir: Path) -> list[str]:
    listed = lw(data_dir, "project", "list").stdout
    return [name for name in ("done", "fresh") if f" {name} " in listed]


def test_delete_without_annotations_removes_the_project_at_once(data_dir: Path) -> None:
    """A project nobody annotated is deleted with its items; the other project and the user's
    membership of it stay."""
    result = lw(data_dir, "project", "delete", "fresh")
    gone = lw(data_dir, "status", "fresh")
    users = lw(data_dir, "user", "list").stdout
    assert (result.exit_code, result.stdout) == (0, "deleted project fresh with its items\n")
    assert (_projects(data_dir), gone.exit_code, flat(gone.stderr)) == (
        ["done"],
        3,
        "error [not_found] project 'fresh' does not exist",
    )
    assert "ann@example.com" in users and " done " in users and "fresh" not in users


def test_delete_with_annotations_needs_force(data_dir: Path) -> None:
    """Without --force a project with annotations is refused (exit 4) and unchanged; with it
    the project and its annotations are deleted, and the name can be used again."""
    refused = lw(data_dir, "project", "delete", "done")
    kept = json.loads(lw(data_dir, "status", "done", "--json").stdout)["annotations"]
    forced = lw(data_dir, "project", "delete", "done", "--force")
    assert (refused.exit_code, refused.stdout, flat(refused.stderr), kept) == (
        4,
        "",
        "error [conflict] project 'done' has 2 annotations; export them first, then delete "
        "with force to delete them too",
        2,
    )
    listed = _projects(data_dir)
    again = lw(data_dir, "project", "apply", str(data_dir.parent / "done.yaml"))
    assert (forced.exit_code, forced.stdout, listed, again.stdout) == (
        0,
        "deleted project done with its items and 2 annotations\n",
        ["fresh"],
        "project done: created (spec revision 1)\n",
    )


def test_delete_an_unknown_project_exits_3(data_dir: Path) -> None:
    """Deleting a project that does not exist is not found, in one line."""
    result = lw(data_dir, "project", "delete", "nope", "--force")
    assert (result.exit_code, flat(result.stderr)) == (
        3,
        "error [not_found] project 'nope' does not exist",
    )
