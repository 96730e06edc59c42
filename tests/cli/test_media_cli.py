"""``labelworks media process|report`` on an embedded data directory: probing fills the
report, broken files are listed with reasons, a second run has nothing to do, --force
redoes all, and bad input exits with a one-line reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.media_world import make_media_world

from labelworks.config import Settings
from labelworks.jobs.queue import JobQueue
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir with the media world's project, items and files."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    make_media_world(db, folder)
    db.dispose()
    return folder


def test_process_then_report(data_dir: Path) -> None:
    """Process prints its counts; the JSON report lists the four failures with reasons."""
    first = lw(data_dir, "media", "process", "media")
    again = lw(data_dir, "media", "process", "media", "--json")
    forced = lw(data_dir, "media", "process", "media", "--force", "--workers", "2", "--json")
    report = lw(data_dir, "media", "report", "media", "--json")
    found = json.loads(report.stdout)
    assert (first.exit_code, first.stdout) == (
        0,
        "media: probed 8 media files, 4 failed, 0 already done, 1 remote (not processed)\n"
        "see the reasons: labelworks media report media\n",
    )
    assert (json.loads(again.stdout), json.loads(forced.stdout)) == (
        {"probed": 0, "failed": 0, "already_done": 8, "remote": 1},
        {"probed": 8, "failed": 4, "already_done": 0, "remote": 1},
    )
    assert (
        found["processed"],
        found["failed"],
        found["pending"],
        sorted((f["external_id"], f["key"]) for f in found["failures"]),
    ) == (
        {"image": 2, "audio": 1, "timeseries": 1},
        4,
        0,
        [("cut", "image"), ("escape", "image"), ("gone", "image"), ("liar", "audio")],
    )


def test_the_readable_report_names_each_failure(data_dir: Path) -> None:
    """The table shows each broken item's external id and its reason."""
    lw(data_dir, "media", "process", "media")
    out = lw(data_dir, "media", "report", "media")
    assert (out.exit_code, out.stdout.splitlines()[0]) == (
        0,
        "media: 8 items; probed audio 1, image 2, timeseries 1; 4 failed, 0 pending, 1 remote",
    )
    assert all(
        text in out.stdout
        for text in ("truncated WAV", "no file 'img/missing.png'", "leaves the project's media")
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("media", "process", "nope"), 3, "error [not_found] project 'nope' does not exist\n"),
        (("media", "report", "nope"), 3, "error [not_found] project 'nope' does not exist\n"),
    ],
)
def test_bad_input_exits_with_a_reason(
    data_dir: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    """An unknown project exits 3 with one line."""
    out = lw(data_dir, *args)
    assert (out.exit_code, out.stderr) == (code, message)


def test_workers_out_of_range_are_refused(data_dir: Path) -> None:
    """--workers 0 is refused by the option's range before anything runs."""
    out = lw(data_dir, "media", "process", "media", "--workers", "0")
    assert (out.exit_code, "--workers" in out.stderr, "media_error" in out.stdout) == (
        2,
        True,
        False,
    )


def test_runs_are_recorded_as_jobs_and_can_wait_for_a_worker(data_dir: Path) -> None:
    """A run in the terminal is listed as a succeeded media job; --background queues one
    that `jobs` lists as queued until a consumer of the data directory's queue runs it."""
    lw(data_dir, "media", "process", "media")
    queued = lw(data_dir, "media", "process", "media", "--force", "--background")
    listed = json.loads(lw(data_dir, "jobs", "--kind", "media", "--json").stdout)
    db = Database(Settings(data_dir=data_dir).effective_database_url)
    queue = JobQueue(Settings(data_dir=data_dir), db)
    task = queue.huey.dequeue()
    assert task is not None
    queue.huey.execute(task)
    db.dispose()
    shown = json.loads(lw(data_dir, "jobs", "show", "2", "--json").stdout)
    assert (queued.exit_code, queued.stdout) == (
        0,
        "job 2 queued (media); labelworks serve or worker runs it. Follow it: labelworks "
        "jobs wait 2\n",
    )
    assert [(j["id"], j["state"], j["params"]) for j in listed] == [
        (2, "queued", {"force": True, "workers": 1}),
        (1, "succeeded", {"force": False, "foreground": True, "workers": 1}),
    ]
    assert (shown["state"], shown["done"], shown["total"], shown["result"]) == (
        "succeeded",
        8,
        8,
        {"probed": 8, "failed": 4, "already_done": 0, "remote": 1},
    )
