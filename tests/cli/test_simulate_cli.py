"""``labelworks simulate``: a spec's quality settings on a simulated crowd, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from labelworks.cli.app import app

SPEC = """name: crowd
fields:
  - {name: label, kind: choice, labels: [a, b, c]}
quality:
  consensus: dawid_skene
  dynamic_overlap: {min: 2, max: 4, confidence: 0.9}
"""


def _run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    spec = tmp_path / "crowd.yaml"
    spec.write_text(SPEC)
    result = CliRunner().invoke(
        app, ["simulate", str(spec), *args], env={"LABELWORKS_DATA_DIR": str(tmp_path / "d")}
    )
    return result.exit_code, result.stdout, result.stderr


def test_the_json_report_has_every_figure_and_the_baseline(tmp_path: Path) -> None:
    """--json prints the figures the issue names, the baseline's among them, and creates no
    data directory (the run is in a throwaway database)."""
    code, out, _ = _run(tmp_path, "--items", "60", "--annotators", "5", "--seed", "2", "--json")
    report = json.loads(out)
    assert (code, sorted(report), sorted(report["baseline"]), (tmp_path / "d").exists()) == (
        0,
        sorted(
            [
                "accuracy",
                "adjudication",
                "annotations",
                "annotations_per_item",
                "annotations_per_second",
                "annotators",
                "baseline",
                "classes",
                "gold_items",
                "gold_leaks",
                "honest_blocked",
                "honest_paused",
                "items",
                "lost",
                "quality",
                "seconds",
                "seed",
                "spammers",
                "spammers_blocked",
                "spammers_paused",
            ]
        ),
        ["accuracy", "annotations_per_item", "lost", "seconds"],
        False,
    )


def test_the_table_sets_the_settings_beside_the_baseline(tmp_path: Path) -> None:
    """Without --json a table compares the settings with fixed overlap 3."""
    code, out, _ = _run(tmp_path, "--items", "40", "--annotators", "4", "--classes", "4")
    assert (code, "fixed overlap 3, majority" in out, "accuracy" in out, "4 classes" in out) == (
        0,
        True,
        True,
        True,
    )


def test_bad_options_are_one_line_with_exit_2(tmp_path: Path) -> None:
    """A malformed --skill or an out-of-range --spammers is named, and nothing runs."""
    results = [_run(tmp_path, "--skill", "0.9"), _run(tmp_path, "--spammers", "1.5")]
    assert [(code, err.strip()) for code, _, err in results] == [
        (2, "error [invalid_input] --skill must be LOW:HIGH, e.g. 0.6:0.95 (got '0.9')"),
        (2, "error [invalid_input] --spammers must be a share from 0 to below 1"),
    ]
