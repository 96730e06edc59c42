"""Jobs: created queued, run once, progress recorded, cancelled, retried, and seen by the
right people."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tests.services.builders import make_project

from labelworks.config import Settings
from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.jobs import records
from labelworks.jobs.queue import JobQueue
from labelworks.jobs.runner import run_job, sweep
from labelworks.services import users as user_service
from labelworks.services.exports import count_for_export
from labelworks.storage import jobs as job_store
from labelworks.storage.engine import Database, utcnow


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", import_batch_size=50)


def _rows_file(tmp_path: Path, n: int, *, bad_line: int | None = None) -> Path:
    path = tmp_path / "rows.jsonl"
    lines = [json.dumps({"text": f"review {i}"}) for i in range(n)]
    if bad_line is not None:
        lines[bad_line - 1] = json.dumps({"txet": "wrong key"})
    path.write_text("\n".join(lines) + "\n")
    return path


def _import_job(db: Database, path: Path, project: str = "sentiment") -> int:
    params = {"path": str(path), "format": "jsonl", "source": path.name}
    return records.create_job(db, "import", params, project=project, actor=None).id


def test_an_import_job_runs_once_and_records_its_result(
    db: Database, tmp_path: Path, settings: Settings
) -> None:
    """An import job imports every row, ends succeeded with the counts, and a second run of
    the same id does nothing."""
    make_project(db)
    job_id = _import_job(db, _rows_file(tmp_path, 120))
    seen: list[tuple[int, int | None]] = []
    job = run_job(db, settings, job_id, listener=lambda d, t: seen.append((d, t)))
    assert job is not None
    size = (tmp_path / "rows.jsonl").stat().st_size
    assert (job.state, job.done, job.total, job.attempts, job.error) == (
        "succeeded",
        size,
        size,
        1,
        None,
    )
    assert job.result is not None
    assert {k: job.result[k] for k in ("rows", "inserted", "skipped_duplicates")} == {
        "rows": 120,
        "inserted": 120,
        "skipped_duplicates": 0,
    }
    assert seen[-1] == (size, size)
    assert run_job(db, settings, job_id) is None
    assert count_for_export(db, "sentiment") == 120


def test_a_bad_row_fails_the_job_with_the_line_and_imports_nothing(
    db: Database, tmp_path: Path, settings: Settings
) -> None:
    """A refused import fails its job with the importer's message and is not retried."""
    make_project(db)
    job_id = _import_job(db, _rows_file(tmp_path, 30, bad_line=7))
    retried: list[int] = []
    job = run_job(db, settings, job_id, again=retried.append)
    assert job is not None
    assert (job.state, job.attempts, retried) == ("failed", 1, [])
    assert job.error is not None and "line 7" in job.error
    assert count_for_export(db, "sentiment") == 0


def test_cancelling_a_queued_job_means_it_never_runs(
    db: Database, tmp_path: Path, settings: Settings
) -> None:
    """A queued job cancelled is cancelled at once, and a consumer seeing its id skips it."""
    make_project(db)
    job_id = _import_job(db, _rows_file(tmp_path, 5))
    assert records.cancel_job(db, job_id).state == "cancelled"
    assert run_job(db, settings, job_id) is None
    assert count_for_export(db, "sentiment") == 0


def test_cancelling_a_running_import_stops_it_and_keeps_nothing(
    db: Database, tmp_path: Path, settings: Settings
) -> None:
    """Asked to stop mid-way, an import job ends cancelled with none of its rows kept."""
    make_project(db)
    job_id = _import_job(db, _rows_file(tmp_path, 400))
    asked = False

    def listener(done: int, total: int | None) -> None:
        nonlocal asked
        if not asked and total and done > total // 3:
            asked = True
            records.cancel_job(db, job_id, data_dir=settings.data_dir)
            time.sleep(0.6)  # past the reporter's throttle: the next report reads the ask

    job = run_job(db, settings, job_id, listener=listener)
    assert job is not None
    assert (job.state, job.cancel_requested, job.finished_at is not None) == (
        "cancelled",
        True,
        True,
    )
    assert count_for_export(db, "sentiment") == 0


def test_an_unexpected_error_is_retried_then_fails(db: Database, settings: Settings) -> None:
    """An export whose folder cannot be made is queued again while attempts remain, then
    fails with the error."""
    make_project(db)
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "jobs").write_text("a file where the jobs folder should be")
    job_id = records.create_job(
        db, "export", {"format": "jsonl"}, project="sentiment", actor=None
    ).id
    again: list[int] = []
    for _ in range(3):
        run_job(db, settings, job_id, again=again.append)
    job = records.get_job(db, job_id)
    assert (job.state, job.attempts, again) == ("failed", 3, [job_id, job_id])
    assert job.error is not None and job.error.startswith(("FileExistsError", "NotADirectoryError"))


def test_an_export_job_writes_its_file(db: Database, tmp_path: Path, settings: Settings) -> None:
    """An export job writes the JSONL export to its own folder and names it in its result."""
    make_project(db)
    run_job(db, settings, _import_job(db, _rows_file(tmp_path, 12)))
    job_id = records.create_job(
        db, "export", {"format": "jsonl"}, project="sentiment", actor=None
    ).id
    job = run_job(db, settings, job_id)
    assert job is not None and job.result is not None
    path = settings.data_dir / "jobs" / str(job_id) / "sentiment.jsonl"
    assert (job.state, job.result["items"], job.result["file"], job.done, job.total) == (
        "succeeded",
        12,
        "sentiment.jsonl",
        12,
        12,
    )
    texts = [json.loads(line)["payload"]["text"] for line in path.read_text().splitlines()]
    assert texts == [f"review {i}" for i in range(12)]


def test_a_dead_consumers_job_is_given_back(db: Database, tmp_path: Path) -> None:
    """A running job whose heartbeat stopped is queued again by the sweep, once."""
    make_project(db)
    job_id = _import_job(db, _rows_file(tmp_path, 3))
    db.run_write(lambda c: job_store.claim(c, job_id, "gone:1", utcnow() - timedelta(hours=1)))
    again: list[int] = []
    assert sweep(db, tmp_path, timedelta(minutes=2), again.append) == [job_id]
    assert sweep(db, tmp_path, timedelta(minutes=2), again.append) == []
    job = records.get_job(db, job_id)
    assert (job.state, job.attempts, again) == ("queued", 1, [job_id])


def test_who_sees_which_jobs(db: Database, tmp_path: Path) -> None:
    """Managers see their project's jobs (behind a wall, their vendor's), annotators only
    their own, and a job nobody may see is not found."""
    make_project(db)
    make_project(db, name="other")
    boss = user_service.add_user(db, "boss@x.example", role="manager", projects=["sentiment"]).user
    acme = user_service.add_user(
        db, "acme@x.example", role="manager", vendor="acme", projects=["sentiment"]
    ).user
    ann = user_service.add_user(db, "ann@x.example", role="annotator", projects=["sentiment"]).user
    as_boss = Actor(boss.id, boss.email, Role.MANAGER)
    as_acme = Actor(acme.id, acme.email, Role.MANAGER, vendor="acme")
    as_ann = Actor(ann.id, ann.email, Role.ANNOTATOR)
    by_boss = records.create_job(
        db, "export", {"format": "csv"}, project="sentiment", actor=as_boss
    )
    by_acme = records.create_job(
        db, "export", {"format": "csv"}, project="sentiment", actor=as_acme
    )
    local = _import_job(db, _rows_file(tmp_path, 2), project="other")
    assert [j.id for j in records.list_jobs(db, actor=as_boss)] == [by_acme.id, by_boss.id]
    assert [j.id for j in records.list_jobs(db, actor=as_acme)] == [by_acme.id]
    assert [j.id for j in records.list_jobs(db)] == [local, by_acme.id, by_boss.id]
    assert records.list_jobs(db, actor=as_ann) == []
    with pytest.raises(NotFound):
        records.get_job(db, by_boss.id, actor=as_acme)
    with pytest.raises(NotFound):
        records.get_job(db, local, actor=as_boss)
    with pytest.raises(NotFound):
        records.create_job(db, "export", {"format": "csv"}, project="other", actor=as_boss)
    with pytest.raises(InvalidInput, match="unknown job kind"):
        records.create_job(db, "mine", {}, project="sentiment", actor=as_boss)
    with pytest.raises(InvalidInput, match="'format' must be one of"):
        records.create_job(db, "export", {"format": "xls"}, project="sentiment", actor=as_boss)


def test_a_consumer_runs_queued_jobs(db: Database, tmp_path: Path, settings: Settings) -> None:
    """A real Huey consumer (two threads, SQLite queue) runs every enqueued job once."""
    make_project(db)
    queue = JobQueue(settings, db)
    ids = []
    for n in range(4):
        folder = tmp_path / f"f{n}"
        folder.mkdir()
        ids.append(_import_job(db, _rows_file(folder, 10 + n)))
    for job_id in ids:
        queue.enqueue(job_id)
    consumer = queue.consumer(2, in_server=True)
    consumer.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = [records.get_job(db, i).state for i in ids]
            if all(s in ("succeeded", "failed") for s in states):
                break
            time.sleep(0.2)
    finally:
        consumer.stop(graceful=True)
    jobs = [records.get_job(db, i) for i in ids]
    assert [(j.state, j.attempts) for j in jobs] == [("succeeded", 1)] * 4
    assert sorted(j.result["rows"] for j in jobs if j.result) == [10, 11, 12, 13]
    # The files repeat each other's first rows: the project holds each text once.
    assert count_for_export(db, "sentiment") == 13
