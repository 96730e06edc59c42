"""``labelworks experiment`` end to end on an embedded SQLite data directory: start one
(readable and JSON), list, status, analyse (the table and verdict, and JSON), stop; bad
arguments exit 2 with one line naming what is wrong and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.cli.runner import lw
from tests.services import experiment_world

from labelworks.config import Settings
from labelworks.storage.engine import Database


def _folder(tmp_path: Path, rounds: int) -> Path:
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(experiment_world.SPEC))
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    experiment_world.build(db, project_exists=True, rounds=rounds)
    db.dispose()
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Project 'exp' under experiment 'guide' (tests/services/experiment_world.py)."""
    return _folder(tmp_path, 8)


@pytest.fixture
def bare_dir(tmp_path: Path) -> Path:
    """The same before anyone worked."""
    return _folder(tmp_path, 0)


def test_start_list_status_analyse_and_stop(data_dir: Path) -> None:
    """An item experiment starts (its 40 items split 20/20, said in one line), both are
    listed, 'guide' shows its arms and the annotations in them, its analysis prints the
    per-arm table and a verdict naming B, the JSON carries the same, and it stops."""
    started = lw(
        data_dir, "experiment", "create", "exp", "ui", "--unit", "item",
        "--arm", "old=the old form", "--arm", "new=the new form", "--seed", "2",
    )  # fmt: skip
    listed = json.loads(lw(data_dir, "experiment", "list", "exp", "--json").stdout)
    status = json.loads(lw(data_dir, "experiment", "status", "exp", "guide", "--json").stdout)
    readable = lw(data_dir, "experiment", "analyze", "exp", "guide")
    analysis = json.loads(
        lw(
            data_dir, "experiment", "analyze", "exp", "guide", "--min-effect", "0.1", "--json"
        ).stdout
    )
    stopped = lw(data_dir, "experiment", "stop", "exp", "guide")
    assert (started.exit_code, started.stdout.splitlines()[0]) == (
        0,
        "experiment 'ui' started in exp: old (the old form) vs new (the new form); items per "
        "arm old: 20, new: 20 (seed 2)",
    )
    assert [e["name"] for e in listed] == ["guide", "ui"]
    assert (
        [a["name"] for a in status["arms"]],
        sum(a["units"] for a in status["arms"]),
        sum(a["annotations"] for a in status["arms"]),
    ) == (["A", "B"], 8, 64)
    assert (readable.exit_code, "gold accuracy" in readable.stdout, "B is " in readable.stdout) == (
        0,
        True,
        True,
    )
    assert (analysis["min_effect"], analysis["verdict"][0].startswith("B is ")) == (0.1, True)
    assert (stopped.exit_code, "experiment 'guide' stopped" in stopped.stdout) == (0, True)
    after = json.loads(lw(data_dir, "experiment", "list", "exp", "--json").stdout)
    assert [e["status"] for e in after] == ["stopped", "running"]


MISTAKES = [
    (["create", "exp", "x", "--arm", "A=one"], "give two arms"),
    (["create", "exp", "x", "--arm", "A", "--arm", "A"], "the two arms need different names"),
    (["create", "exp", "guide", "--arm", "A", "--arm", "B"], "already exists"),
    (["analyze", "exp", "guide", "--min-effect", "2"], "min_effect must lie strictly"),
    (["status", "exp", "nope"], "experiment 'nope' does not exist"),
]


def test_bad_arguments_change_nothing(bare_dir: Path) -> None:
    """Each mistake is one line on stderr naming it and a non-zero exit; no experiment
    is made."""
    outcomes = []
    for args, said in MISTAKES:
        result = lw(bare_dir, "experiment", *args)
        lines = result.stderr.strip().splitlines()
        outcomes.append((result.exit_code != 0, len(lines) == 1 and said in lines[0]))
    listed = json.loads(lw(bare_dir, "experiment", "list", "exp", "--json").stdout)
    assert (outcomes, [e["name"] for e in listed]) == ([(True, True)] * len(MISTAKES), ["guide"])
