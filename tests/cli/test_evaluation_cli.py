"""``labelworks predictions`` and ``labelworks eval`` on an embedded data directory: a push
from a JSONL file (all or none, errors at their line), a stored run printed and shown
again, and a comparison whose regression check sets the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.eval_world import ITEMS, PROJECT, make_eval_world, prediction, truth, wrong

from labelworks.config import Settings
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The evaluation world (models m@1 and m@2 pushed) in an embedded data directory."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    make_eval_world(db)
    db.dispose()
    return folder


def _file(tmp_path: Path, rows: list[object], blank: bool = False) -> Path:
    path = tmp_path / "predictions.jsonl"
    lines = [json.dumps(r) for r in rows]
    if blank:
        lines.insert(1, "")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_push_from_a_file_stores_every_line(data_dir: Path, tmp_path: Path) -> None:
    """Sixty lines of m@3 are stored and listed beside m@1 and m@2."""
    rows = [prediction(i, "3", truth(i)) for i in range(ITEMS)]
    pushed = lw(data_dir, "predictions", "push", PROJECT, str(_file(tmp_path, rows)))
    assert pushed.exit_code == 0, pushed.output
    assert pushed.output.strip() == f"{PROJECT}: 60 predictions stored from m@3"
    listed = lw(data_dir, "predictions", "models", PROJECT, "--json")
    found = [(m["model"], m["version"], m["items"]) for m in json.loads(listed.output)]
    assert sorted(found) == [("m", "1", 60), ("m", "2", 60), ("m", "3", 60)]


def test_a_bad_line_is_named_and_nothing_is_stored(data_dir: Path, tmp_path: Path) -> None:
    """The third line (after a blank one) names a label the field lacks: exit 2, the file,
    line and field in the message, and m@4 does not exist afterwards."""
    rows: list[object] = [prediction(0, "4", "pos"), prediction(1, "4", "nope")]
    result = lw(data_dir, "predictions", "push", PROJECT, str(_file(tmp_path, rows, blank=True)))
    assert result.exit_code == 2
    assert "predictions.jsonl, line 3, field 'predictions[1].value.sentiment'" in result.output
    models = json.loads(lw(data_dir, "predictions", "models", PROJECT, "--json").output)
    assert {m["version"] for m in models} == {"1", "2"}
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"item": "r0"}\n{not json\n')
    result = lw(data_dir, "predictions", "push", PROJECT, str(broken))
    assert (result.exit_code, "broken.jsonl, line 2" in result.output) == (2, True)


def test_a_run_is_printed_stored_and_shown_again(data_dir: Path) -> None:
    """eval run prints the headline figures and per-class table; --json is the stored run,
    which eval runs lists and eval show prints again."""
    result = lw(data_dir, "eval", "run", PROJECT, "--model", "m@1", "--slice", "category")
    assert result.exit_code == 0, result.output
    assert "run 1: m@1 on 'sentiment' against final labels, 40 items" in result.output
    assert "accuracy" in result.output and "80.0%" in result.output
    assert "by category" in result.output and "books" in result.output
    as_json = json.loads(lw(data_dir, "eval", "show", PROJECT, "1", "--json").output)
    assert (as_json["id"], as_json["model"], as_json["items"], as_json["headline"]) == (
        1,
        "m",
        40,
        0.8,
    )
    assert as_json["report"]["accuracy"]["value"] == 0.8
    runs = json.loads(lw(data_dir, "eval", "runs", PROJECT, "--json").output)
    assert [r["id"] for r in runs] == [1]
    missing = lw(data_dir, "eval", "run", PROJECT, "--model", "zzz")
    assert (missing.exit_code, "no predictions from model 'zzz'" in missing.output) == (3, True)
    wrong_ref = lw(data_dir, "eval", "run", PROJECT, "--model", "m", "--against", "silver")
    assert wrong_ref.exit_code == 2


def test_compare_exits_1_on_a_regression(data_dir: Path, tmp_path: Path) -> None:
    """m@2 then m@1: 10 points worse with its interval below 0, exit 1 at --fail-if-worse 0
    with the reason; the other way round exits 0; a half-wrong m@5 fails at 0.05 too."""
    better = lw(data_dir, "eval", "compare", PROJECT, "--a", "m@1", "--b", "m@2",
                "--fail-if-worse", "0")  # fmt: skip
    assert better.exit_code == 0, better.output
    assert "McNemar's exact test: A right and B wrong on 0 items, B right and A wrong on 4" in (
        better.output
    )
    worse = lw(data_dir, "eval", "compare", PROJECT, "--a", "m@2", "--b", "m@1",
               "--fail-if-worse", "0", "--json")  # fmt: skip
    assert worse.exit_code == 1
    assert json.loads(worse.output)["worse"] is True
    rows = [prediction(i, "5", wrong(i) if i % 2 else truth(i)) for i in range(ITEMS)]
    lw(data_dir, "predictions", "push", PROJECT, str(_file(tmp_path, rows)))
    bad = lw(data_dir, "eval", "compare", PROJECT, "--a", "m@2", "--b", "m@5",
             "--fail-if-worse", "0.05")  # fmt: skip
    assert bad.exit_code == 1
    assert "regression: m@5 is worse than m@2 by more than 0.05" in bad.output
