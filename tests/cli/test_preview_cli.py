"""``labelworks project preview``, ``archive`` and ``unarchive``: the next item as annotators
receive it, nothing leased; a project taken out of use and brought back."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from labelworks.cli.app import app

SPEC = "name: peek\nfields:\n  - {name: sentiment, kind: choice, labels: [pos, neg]}\n"


def test_preview_walks_items_and_exits_3_past_the_last(tmp_path: Path) -> None:
    """Two items: the first, then the second after it, then exit 3 naming the project; no
    lease was taken (the status shows none active)."""
    runner = CliRunner()
    env = {"LABELWORKS_DATA_DIR": str(tmp_path / "data")}
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    rows = tmp_path / "items.jsonl"
    rows.write_text('{"text": "one"}\n{"text": "two"}\n')
    assert runner.invoke(app, ["project", "apply", str(spec)], env=env).exit_code == 0
    assert runner.invoke(app, ["import", "peek", str(rows)], env=env).exit_code == 0
    first = runner.invoke(app, ["project", "preview", "peek"], env=env)
    second = runner.invoke(app, ["project", "preview", "peek", "--after", "1"], env=env)
    past = runner.invoke(app, ["project", "preview", "peek", "--after", "2"], env=env)
    status = runner.invoke(app, ["status", "peek", "--json"], env=env)
    assert (
        json.loads(first.stdout),
        json.loads(second.stdout)["item"]["payload"],
        past.exit_code,
        "no item after id 2" in past.stderr,
        json.loads(status.stdout)["active_leases"],
    ) == (
        {
            "item_id": 1,
            "item": {"payload": {"text": "one"}, "pre_annotations": []},
            "guideline_version": None,
            "total": 2,
        },
        {"text": "two"},
        3,
        True,
        0,
    )


def test_archive_unarchive_and_list_archived(tmp_path: Path) -> None:
    """With an item waiting, a plain archive exits 4 naming the open work; forced, the
    project is listed only with --archived; unarchive brings it back."""
    runner = CliRunner()
    env = {"LABELWORKS_DATA_DIR": str(tmp_path / "data")}
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    rows = tmp_path / "items.jsonl"
    rows.write_text('{"text": "one"}\n')
    runner.invoke(app, ["project", "apply", str(spec)], env=env)
    runner.invoke(app, ["import", "peek", str(rows)], env=env)
    plain = runner.invoke(app, ["project", "archive", "peek"], env=env)
    forced = runner.invoke(app, ["project", "archive", "peek", "--force"], env=env)
    listed = runner.invoke(app, ["project", "list"], env=env).stdout
    archived = runner.invoke(app, ["project", "list", "--archived"], env=env).stdout
    back = runner.invoke(app, ["project", "unarchive", "peek"], env=env)
    assert (
        plain.exit_code,
        "1 item waiting for annotations" in plain.stderr,
        forced.stdout.strip(),
        "peek" in listed,
        "peek" in archived,
        back.stdout.strip(),
        "peek" in runner.invoke(app, ["project", "list"], env=env).stdout,
    ) == (
        4,
        True,
        "archived project peek; 1 item was still waiting",
        False,
        True,
        "project peek is in use again; 1 item waiting",
        True,
    )
