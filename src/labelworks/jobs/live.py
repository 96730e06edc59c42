"""A running job's live state — progress, heartbeat, a request to stop — where it can be
written while the job works.

On PostgreSQL that is the job's row. SQLite has one writer at a time, and an import holds
the write lock for its whole run (it is one transaction), so there a running job's live
state goes to a small file in its folder of the data directory (one machine: SQLite is
local), and the job's row gets the final figures when it ends.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from labelworks.storage import jobs as job_store
from labelworks.storage.engine import Database, utcnow

STATE_FILE = "live.json"
CANCEL_FILE = "cancel"


def folder(data_dir: Path, job_id: int) -> Path:
    return data_dir / "jobs" / str(job_id)


class Live:
    """Where one running job reports to."""

    def __init__(self, db: Database, data_dir: Path, job_id: int) -> None:
        self.db = db
        self.job_id = job_id
        self.in_file = db.is_sqlite
        self.folder = folder(data_dir, job_id)
        self.done = 0
        self.total: int | None = None

    def report(self, done: int, total: int | None) -> bool:
        """Record progress (and that the job is alive); returns whether it should stop."""
        self.done = done
        if total is not None:
            self.total = total
        if not self.in_file:
            return self.db.run_write(
                lambda conn: job_store.report(conn, self.job_id, done, total, utcnow())
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        state = {"done": self.done, "total": self.total, "beat": time.time()}
        staged = self.folder / f".{STATE_FILE}.{os.getpid()}"
        staged.write_text(json.dumps(state))
        staged.replace(self.folder / STATE_FILE)
        return (self.folder / CANCEL_FILE).exists()

    def beat(self) -> None:
        self.report(self.done, self.total)


def read(data_dir: Path, job_id: int) -> dict[str, Any] | None:
    """A running SQLite job's live state: ``done``, ``total``, ``beat`` (epoch seconds)."""
    try:
        state: dict[str, Any] = json.loads((folder(data_dir, job_id) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state


def ask_to_stop(data_dir: Path, job_id: int) -> None:
    path = folder(data_dir, job_id)
    path.mkdir(parents=True, exist_ok=True)
    (path / CANCEL_FILE).touch()


def stop_asked(data_dir: Path, job_id: int) -> bool:
    return (folder(data_dir, job_id) / CANCEL_FILE).exists()
