"""``labelworks pii scan``: the screening report as tables and as JSON, values masked."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.domain.pii import MASK

SPEC = (
    "name: calls\nfields:\n  - {name: topic, kind: choice, labels: [billing, other]}\n"
    "privacy:\n  detect: [phone, card]\n  audiences: {vendor: redact}\n"
)
ROWS = (
    '{"external_id": "c1", "payload": '
    '{"text": "card 4111 1111 1111 1111", "who": "+1 415 555 2671"}}\n'
    '{"external_id": "c2", "payload": {"text": "no numbers"}}\n'
)


def _setup(tmp_path: Path) -> tuple[CliRunner, dict[str, str]]:
    runner = CliRunner()
    env = {"LABELWORKS_DATA_DIR": str(tmp_path / "data")}
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    rows = tmp_path / "items.jsonl"
    rows.write_text(ROWS)
    assert runner.invoke(app, ["project", "apply", str(spec)], env=env).exit_code == 0
    assert runner.invoke(app, ["import", "calls", str(rows)], env=env).exit_code == 0
    return runner, env


def test_scan_json_counts_by_kind_and_key_and_masks_samples(tmp_path: Path) -> None:
    """The JSON report counts each kind and key, lists the affected item, and holds no
    found value whole."""
    runner, env = _setup(tmp_path)
    result = runner.invoke(app, ["pii", "scan", "calls", "--json"], env=env)
    report = json.loads(result.stdout)
    assert (result.exit_code, "4111 1111" in result.stdout, "555 2671" in result.stdout) == (
        0,
        False,
        False,
    )
    assert {k: report[k] for k in ("items", "affected", "findings", "by_kind", "by_key")} == {
        "items": 2,
        "affected": 1,
        "findings": 2,
        "by_kind": {"card": 1, "phone": 1},
        "by_key": {"text": 1, "who": 1},
    }
    assert report["listed"] == [
        {
            "item_id": 1,
            "external_id": "c1",
            "kinds": ["card", "phone"],
            "keys": ["text", "who"],
            "samples": [f"4{MASK * 17}1", f"+{MASK * 13}1"],
        }
    ]


def test_scan_tables_name_the_policy_and_the_items(tmp_path: Path) -> None:
    """The human report states what was screened and lists the affected item by id."""
    runner, env = _setup(tmp_path)
    result = runner.invoke(app, ["pii", "scan", "calls"], env=env)
    assert (
        result.exit_code,
        "2 items screened with the project's privacy policy; 1 affected, 2 findings"
        in result.stdout,
        "vendor redact" in result.stdout,
        "c1" in result.stdout,
        "4111 1111" in result.stdout,
    ) == (0, True, True, True, False)


def test_scan_of_a_missing_project_fails_with_its_code(tmp_path: Path) -> None:
    """An unknown project exits 3 naming it."""
    runner = CliRunner()
    env = {"LABELWORKS_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(app, ["pii", "scan", "nope"], env=env)
    assert (result.exit_code, "project 'nope' does not exist" in result.stderr) == (3, True)
