"""Jobs a command runs itself (``runner.recorded``): claimed and ended like any job, its own
errors passed on unchanged, stopped by a cancel, and failed (never queued again) when the
command died."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.services.builders import make_project

from labelworks.config import Settings
from labelworks.domain.errors import InvalidImport
from labelworks.jobs import records
from labelworks.jobs.kinds import JobCancelled
from labelworks.jobs.runner import recorded, sweep
from labelworks.storage import jobs as job_store
from labelworks.storage.engine import Database, utcnow


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def _job(db: Database) -> int:
    params = {"path": "/somewhere/rows.jsonl", "format": "labelstudio", "output": None}
    return records.create_job(
        db, "import", params, project="sentiment", actor=None, foreground=True
    ).id


def _row(db: Database, job_id: int, settings: Settings) -> tuple[object, ...]:
    job = records.get_job(db, job_id)
    return (job.state, job.done, job.total, job.result, job.error, job.attempts, job.max_attempts)


def test_a_recorded_run_ends_with_its_result_and_progress(db: Database, settings: Settings) -> None:
    """The job is created as given (no kind check, marked foreground, one attempt), runs as
    the caller reports, and ends succeeded with the result the caller left."""
    make_project(db)
    job_id = _job(db)
    with recorded(db, settings, job_id) as here:
        here.progress(0, 10)
        here.progress(10, 10)
        here.result = {"rows": 10}
    job = records.get_job(db, job_id)
    assert job.params == {
        "path": "/somewhere/rows.jsonl",
        "format": "labelstudio",
        "output": None,
        "foreground": True,
    }
    assert _row(db, job_id, settings) == ("succeeded", 10, 10, {"rows": 10}, None, 1, 1)


def test_the_callers_error_goes_on_unchanged_and_fails_the_job(
    db: Database, settings: Settings
) -> None:
    """A refusal raised inside is re-raised as it was (its class and message intact) and is
    the failed job's error."""
    make_project(db)
    job_id = _job(db)
    with pytest.raises(InvalidImport) as raised, recorded(db, settings, job_id) as here:
        here.progress(3, 10)
        raise InvalidImport("rows.jsonl line 4: field 'text' is missing")
    assert str(raised.value) == "rows.jsonl line 4: field 'text' is missing"
    assert _row(db, job_id, settings) == (
        "failed",
        3,
        10,
        None,
        "rows.jsonl line 4: field 'text' is missing",
        1,
        1,
    )
    assert records.get_job(db, job_id).error_code == "invalid_import"


def test_a_cancel_stops_the_run_at_its_next_report(db: Database, settings: Settings) -> None:
    """Once someone cancels the running job, the caller's next progress report raises
    ``JobCancelled`` and the job ends cancelled."""
    make_project(db)
    job_id = _job(db)
    with pytest.raises(JobCancelled), recorded(db, settings, job_id) as here:
        here.progress(1, 10)
        records.cancel_job(db, job_id, data_dir=settings.data_dir)
        here.progress(10, 10)  # the last report is always written, and answers the cancel
        here.result = {"rows": 10}
    assert _row(db, job_id, settings)[:4] == ("cancelled", 10, 10, None)


def test_ctrl_c_in_the_terminal_cancels_the_job(db: Database, settings: Settings) -> None:
    """An interrupt goes on to the command and ends its job cancelled, not failed."""
    make_project(db)
    job_id = _job(db)
    with pytest.raises(KeyboardInterrupt), recorded(db, settings, job_id) as here:
        here.progress(4, 10)
        raise KeyboardInterrupt
    assert _row(db, job_id, settings)[:5] == ("cancelled", 4, 10, None, None)


def test_a_job_runs_once_even_when_recorded_twice(db: Database, settings: Settings) -> None:
    """A job that is no longer queued is refused before any work starts."""
    make_project(db)
    job_id = _job(db)
    with recorded(db, settings, job_id):
        pass
    with (
        pytest.raises(Exception, match=f"job {job_id} is not queued"),
        recorded(db, settings, job_id),
    ):
        pass


def test_a_killed_commands_job_is_failed_not_queued_again(db: Database, settings: Settings) -> None:
    """The sweep gives a dead command's job back as failed: no worker could run what a
    terminal command was doing."""
    make_project(db)
    job_id = _job(db)
    db.run_write(lambda conn: job_store.claim(conn, job_id, "elsewhere:1:main", utcnow()))
    again: list[int] = []
    assert sweep(db, settings.data_dir, timedelta(seconds=-1), again.append) == []
    job = records.get_job(db, job_id)
    assert (job.state, job.error, again) == (
        "failed",
        "its worker stopped reporting (the process died or was killed)",
        [],
    )
