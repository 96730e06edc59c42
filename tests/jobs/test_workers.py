"""Two `labelworks worker` processes sharing one Redis queue and one database run every job
exactly once, even when the queue delivers a job's id twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.services.builders import make_project

from labelworks.config import Settings
from labelworks.jobs import records
from labelworks.jobs.queue import JobQueue
from labelworks.services.exports import count_for_export
from labelworks.storage.engine import Database

# A Redis database index of its own, flushed before and after: the test may share the
# server with a developer's or another run's queue on the usual index 0, and with the other
# pytest-xdist worker running its other database's case at the same time.
_XDIST = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
REDIS_URL = f"redis://127.0.0.1:6379/{13 + int(_XDIST) % 3 if _XDIST.isdigit() else 13}"
JOBS = 12
ROWS = 3000
WORKER = Path(sys.executable).parent / "labelworks"

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test's Redis database, empty; CI requires Redis, elsewhere its absence skips."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is required but not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


def _workers(url: str, data_dir: Path, redis_url: str, n: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "LABELWORKS_REDIS_URL": redis_url, "LABELWORKS_DATA_DIR": str(data_dir)}
    command = [str(WORKER), "--database-url", url, "worker", "--concurrency", "2"]
    return [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(n)
    ]


def _stop(procs: list[subprocess.Popen[bytes]]) -> list[str]:
    errors = []
    for proc in procs:
        proc.terminate()
    for proc in procs:
        _, err = proc.communicate(timeout=30)
        errors.append(err.decode(errors="replace"))
    return errors


def test_two_worker_processes_run_each_job_exactly_once(
    db: Database, tmp_path: Path, redis_url: str
) -> None:
    """Twelve imports, each enqueued twice, on two worker processes: every job succeeds after
    one attempt, both processes took work, and every row was imported once."""
    make_project(db)
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, redis_url=redis_url, database_url=str(db.url))
    queue = JobQueue(settings, db)
    ids = []
    for n in range(JOBS):
        path = tmp_path / f"rows-{n}.jsonl"
        path.write_text(
            "".join(json.dumps({"text": f"job {n} row {i}"}) + "\n" for i in range(ROWS))
        )
        params = {"path": str(path), "format": "jsonl", "source": path.name}
        ids.append(records.create_job(db, "import", params, project="sentiment", actor=None).id)
    procs = _workers(str(db.url), data_dir, redis_url, 2)
    try:
        # Each worker says where it consumes once it is about to: then both are polling.
        ready = [proc.stderr.readline().decode() for proc in procs if proc.stderr]
        assert ready == ["labelworks worker: 2 thread(s) on Redis\n"] * 2, ready
        for job_id in ids + ids:  # the second delivery of each id must find it claimed
            queue.enqueue(job_id)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            jobs = [records.get_job(db, job_id, actor=None) for job_id in ids]
            if all(job.state in ("succeeded", "failed", "cancelled") for job in jobs):
                break
            time.sleep(0.2)
    finally:
        errors = _stop(procs)
    assert [(job.state, job.attempts, job.error) for job in jobs] == [
        ("succeeded", 1, None)
    ] * JOBS, errors
    assert [job.result["inserted"] if job.result else None for job in jobs] == [ROWS] * JOBS
    processes = {str(job.worker).split(":")[1] for job in jobs}
    assert processes <= {str(p.pid) for p in procs}
    assert len(processes) == 2, errors
    assert count_for_export(db, "sentiment") == JOBS * ROWS
