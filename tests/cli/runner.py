"""The CLI tests' one way to run a command on a data directory."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from labelworks.cli.app import app


def lw(data_dir: Path, *args: str) -> Result:
    """Run ``labelworks --data-dir DATA_DIR ARGS`` with a wide terminal and no env overrides."""
    return CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), *args],
        env={"COLUMNS": "200", "LABELWORKS_DATABASE_URL": None, "LABELWORKS_DATA_DIR": None},
    )
