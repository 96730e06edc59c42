"""``labelworks jobs`` (list, show, cancel, wait) and ``export --background`` on an embedded
data directory: a queued export is listed, run by a consumer of the directory's queue,
waited for and shown with its file; cancelling and bad ids answer in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.builders import make_project

from labelworks.config import Settings
from labelworks.jobs.queue import JobQueue
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import add_user
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir with project 'sentiment' and 30 items."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    make_project(db)
    db.dispose()
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"text": f"review {i}"}) + "\n" for i in range(30)))
    assert lw(folder, "import", "sentiment", str(rows)).exit_code == 0
    return folder


def _consume_one(data_dir: Path) -> None:
    """What `labelworks worker` does for one queued id."""
    settings = Settings(data_dir=data_dir)
    db = Database(settings.effective_database_url)
    queue = JobQueue(settings, db)
    task = queue.huey.dequeue()
    assert task is not None
    queue.huey.execute(task)
    db.dispose()


def test_a_background_export_is_queued_run_waited_for_and_shown(data_dir: Path) -> None:
    """export --background prints the job; after a consumer ran it, wait exits 0 and show
    names the file, which holds every item."""
    queued = lw(data_dir, "export", "sentiment", "--format", "csv", "--background")
    before = lw(data_dir, "jobs")
    _consume_one(data_dir)
    waited = lw(data_dir, "jobs", "wait", "2")
    shown = json.loads(lw(data_dir, "jobs", "show", "2", "--json").stdout)
    file = data_dir / "jobs" / "2" / "sentiment.csv"
    assert (queued.exit_code, queued.stdout, waited.exit_code, waited.stdout) == (
        0,
        "job 2 queued (export); labelworks serve or worker runs it. Follow it: labelworks "
        "jobs wait 2\n",
        0,
        f"job 2: succeeded\nfile: {file}\n",
    )
    assert re.search(r"│ 2 +│ export +│ sentiment +│ queued +│", before.stdout)
    assert (shown["kind"], shown["state"], shown["result"]["file"], shown["result"]["items"]) == (
        "export",
        "succeeded",
        "sentiment.csv",
        30,
    )
    assert len(file.read_text().splitlines()) == 31  # the header and 30 items


def test_cancel_and_refusals(data_dir: Path) -> None:
    """A queued job cancels at once and then never runs; -o with --background, an unknown
    job and an id out of range are refused in one line with exit code 2 or 3."""
    lw(data_dir, "export", "sentiment", "--background")
    cancelled = lw(data_dir, "jobs", "cancel", "2")
    _consume_one(data_dir)
    waited = lw(data_dir, "jobs", "wait", "2")
    with_output = lw(data_dir, "export", "sentiment", "--background", "-o", "x.jsonl")
    unknown = lw(data_dir, "jobs", "show", "99")
    out_of_range = lw(data_dir, "jobs", "show", "0")
    assert [(r.exit_code, r.stdout) for r in (cancelled, waited)] == [
        (0, "job 2: cancelled\n"),
        (1, "job 2: cancelled\n"),
    ]
    assert [(r.exit_code, " ".join(r.stderr.split())) for r in (with_output, unknown)] == [
        (
            2,
            "error [invalid_input] --background writes the file under the data directory: "
            "leave out -o and download it from the job (labelworks jobs show ID)",
        ),
        (3, "error [not_found] job 99 does not exist"),
    ]
    assert (out_of_range.exit_code, out_of_range.stderr.strip()) == (
        2,
        "error [invalid_input] job id must be between 1 and 2147483647",
    )
    assert not (data_dir / "jobs" / "2" / "sentiment.jsonl").exists()


def test_reports_queue_as_jobs_whose_results_are_the_reports(data_dir: Path) -> None:
    """duplicates and pii scan with --background queue jobs; once run, each job's result is
    what --json prints; sample refuses --preview with --background."""
    lw(data_dir, "duplicates", "sentiment", "--text-key", "text", "--background")
    lw(data_dir, "pii", "scan", "sentiment", "--background")
    preview = lw(
        data_dir, "sample", "sentiment", "--strategy", "random", "--n", "2", "--into", "x",
        "--preview", "--background",
    )  # fmt: skip
    _consume_one(data_dir)
    _consume_one(data_dir)
    listed = json.loads(lw(data_dir, "jobs", "--json").stdout)
    jobs = {j["kind"]: j for j in listed if not j["params"].get("foreground")}
    direct = json.loads(
        lw(data_dir, "duplicates", "sentiment", "--text-key", "text", "--json").stdout
    )
    scanned = json.loads(lw(data_dir, "pii", "scan", "sentiment", "--json").stdout)
    assert sorted(jobs) == ["duplicates", "pii"]
    assert (jobs["duplicates"]["state"], jobs["pii"]["state"]) == ("succeeded", "succeeded")
    assert (jobs["duplicates"]["result"], jobs["pii"]["result"]) == (direct, scanned)
    assert (preview.exit_code, " ".join(preview.stderr.split())) == (
        2,
        "error [invalid_input] --preview shows the picks here: leave out --background",
    )


def test_background_imports_of_a_file_and_a_folder_are_jobs(data_dir: Path, tmp_path: Path) -> None:
    """import --background queues a file's import and a folder's; once run, the project has
    their rows; the dataset formats are refused with --background and queue nothing."""
    rows = tmp_path / "more.jsonl"
    rows.write_text("".join(json.dumps({"text": f"more {i}"}) + "\n" for i in range(12)))
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"text": "from a folder"}) + "\n")
    queued = lw(data_dir, "import", "sentiment", str(rows), "--background")
    from_folder = lw(data_dir, "import", "sentiment", str(folder), "--background")
    coco = lw(data_dir, "import", "sentiment", str(rows), "--format", "coco", "--background")
    _consume_one(data_dir)
    _consume_one(data_dir)
    jobs = json.loads(lw(data_dir, "jobs", "--json", "--state", "succeeded").stdout)
    status = json.loads(lw(data_dir, "status", "sentiment", "--json").stdout)
    assert (queued.exit_code, from_folder.exit_code, coco.exit_code) == (0, 0, 2)
    assert " ".join(coco.stderr.split()) == (
        "error [invalid_input] --background imports a row file, a folder or a bucket, not the "
        "coco format"
    )
    assert [(j["id"], j["kind"], j["state"], j["result"]["inserted"]) for j in jobs] == [
        (3, "source", "succeeded", 1),
        (2, "import", "succeeded", 12),
        (1, "import", "succeeded", 30),  # the fixture's import, run in the foreground
    ]
    assert jobs[0]["params"]["url"] == str(folder.resolve())
    assert status["items"] == 43


def test_foreground_imports_and_exports_are_recorded_as_jobs(
    data_dir: Path, tmp_path: Path
) -> None:
    """A terminal import or export is listed as a finished job with what it did; a refused
    import keeps its message and exit code and is a failed job with that message; options
    refused before any work record nothing."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "fine"}) + "\n" + json.dumps({"txet": "typo"}) + "\n")
    out = tmp_path / "out.csv"
    refused = lw(data_dir, "import", "sentiment", str(bad))
    exported = lw(data_dir, "export", "sentiment", "--format", "csv", "-o", str(out))
    to_stdout = lw(data_dir, "export", "sentiment")
    bad_option = lw(data_dir, "export", "sentiment", "--format", "xml")
    jobs = json.loads(lw(data_dir, "jobs", "--json").stdout)
    assert (refused.exit_code, exported.exit_code, to_stdout.exit_code) == (2, 0, 0)
    assert bad_option.exit_code == 2
    summary = [
        (j["id"], j["kind"], j["state"], j["params"]["foreground"], j["max_attempts"]) for j in jobs
    ]
    assert summary == [
        (4, "export", "succeeded", True, 1),
        (3, "export", "succeeded", True, 1),
        (2, "import", "failed", True, 1),
        (1, "import", "succeeded", True, 1),
    ]
    assert jobs[2]["error"] == " ".join(refused.stderr.split()).removeprefix(
        "error [invalid_import] "
    )
    assert jobs[1]["result"] == {
        "items": 30,
        "output": str(out.resolve()),
        "bytes": out.stat().st_size,
    }
    assert jobs[0]["result"] == {"items": 30, "output": "standard output"}
    assert (jobs[3]["result"]["rows"], jobs[3]["result"]["inserted"]) == (30, 30)
    size = (data_dir.parent / "rows.jsonl").stat().st_size
    assert (jobs[3]["done"], jobs[3]["total"]) == (size, size)


def test_an_aggregated_export_to_a_file_has_its_labels(data_dir: Path, tmp_path: Path) -> None:
    """--aggregate applies with -o as it does on standard output (it used to be dropped)."""
    db = Database(Settings(data_dir=data_dir).effective_database_url)
    made = add_user(db, "a@x.example", role="annotator", projects=["sentiment"])
    task = next_task_for(db, "sentiment", made.user.id)
    assert task is not None
    value = {"sentiment": "positive"}
    submit_annotation(
        db, task.assignment_id, made.user.id, value=value, seconds=1.0, idempotency_key="k"
    )
    db.dispose()
    out = tmp_path / "out.jsonl"
    to_file = lw(data_dir, "export", "sentiment", "--aggregate", "majority", "-o", str(out))
    to_stdout = lw(data_dir, "export", "sentiment", "--aggregate", "majority")
    assert to_file.exit_code == 0
    assert out.read_text() == to_stdout.stdout
    first = json.loads(out.read_text().splitlines()[0])
    assert first["aggregate"] == {
        "method": "majority",
        "value": {"sentiment": "positive"},
        "confidence": 1.0,
        "fields": {"sentiment": 1.0},
        "n_annotations": 1,
    }
