"""``labelworks duplicates`` and ``labelworks sample`` end to end on an embedded SQLite
data directory: clusters as a table and as JSON, keep-one, a stratified sample with its
allocation, and bad input exiting 2 with one line naming what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.runner import lw

SPEC = """\
name: {name}
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative]
overlap: 1
"""
LONG = "the kettle boils fast but the lid rattles and the handle gets far too hot to hold"
ROWS = [
    {"text": LONG, "split": "train"},
    {"text": "the blender is loud and leaks from its base after a week", "split": "train"},
    {"text": LONG.replace("fast", "quickly"), "split": "val"},
    {"text": "[bold]markup[/] stays text", "split": "test"},
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Projects 'pool' (four reviews, two of them near-duplicates) and an empty 'batch'."""
    folder = tmp_path / "data"
    for name in ("pool", "batch"):
        (tmp_path / f"{name}.yaml").write_text(SPEC.format(name=name))
        assert lw(folder, "project", "apply", str(tmp_path / f"{name}.yaml")).exit_code == 0
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    assert lw(folder, "import", "pool", str(tmp_path / "items.jsonl")).exit_code == 0
    return folder


def test_duplicates_table_json_and_keep_one(data_dir: Path) -> None:
    """The table names the cluster; --json has the members; --keep-one removes item 3 and a
    second look finds no cluster."""
    table = lw(data_dir, "duplicates", "pool", "--text-key", "text", "--threshold", "0.7")
    as_json = lw(
        data_dir, "duplicates", "pool", "--text-key", "text", "--threshold", "0.7", "--json"
    )
    kept = lw(
        data_dir, "duplicates", "pool", "--text-key", "text", "--threshold", "0.7", "--keep-one"
    )
    after = lw(data_dir, "duplicates", "pool", "--text-key", "text", "--threshold", "0.7", "--json")
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0] == (
        "1 clusters of near-duplicate texts under 'text' (Jaccard ≥ 0.7) among 4 items; "
        "1 could go; 0 skipped."
    )
    report = json.loads(as_json.output)
    assert [(c["representative"], [m["id"] for m in c["members"]]) for c in report["clusters"]] == [
        (1, [1, 3])
    ]
    assert kept.exit_code == 0 and "removed 1 item." in kept.output
    assert (json.loads(after.output)["clusters"], json.loads(after.output)["scanned"]) == ([], 3)


def test_sample_stratified_into_batch(data_dir: Path) -> None:
    """A stratified sample of three prints its allocation and copies three items with
    sampled_from into batch."""
    out = lw(
        data_dir,
        "sample",
        "pool",
        "--strategy",
        "stratified",
        "--by",
        "split",
        "--n",
        "3",
        "--into",
        "batch",
        "--seed",
        "5",
        "--json",
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["allocation"] == [
        {"stratum": "test", "available": 1, "sampled": 1},
        {"stratum": "train", "available": 2, "sampled": 1},
        {"stratum": "val", "available": 1, "sampled": 1},
    ]
    assert (result["inserted"], result["seed"], len(result["picks"])) == (3, 5, 3)
    listed = json.loads(lw(data_dir, "items", "list", "batch", "--json").output)
    assert len(listed["items"]) == 3


def test_bad_input_exits_2_naming_it(data_dir: Path) -> None:
    """A negative n, a NaN threshold and both keys at once exit 2 with one line."""
    outs = [
        lw(data_dir, "sample", "pool", "--strategy", "random", "--n", "-1", "--into", "batch"),
        lw(data_dir, "duplicates", "pool", "--text-key", "text", "--threshold", "nan"),
        lw(data_dir, "duplicates", "pool", "--text-key", "a", "--image-key", "b"),
    ]
    assert [(o.exit_code, o.output.strip()) for o in outs] == [
        (2, "error [invalid_input] n must be a whole number from 1 to 100,000"),
        (2, "error [invalid_input] threshold must be a number greater than 0 and at most 1"),
        (2, "error [invalid_input] give a text key or an image key (one of them)"),
    ]
