"""Running one job: claim it, run its kind with progress and a heartbeat, record the end."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Connection

from labelworks.config import Settings
from labelworks.domain.access import Actor
from labelworks.domain.errors import LabelworksError
from labelworks.jobs.kinds import JobCancelled, JobContext, kind_of
from labelworks.jobs.live import Live
from labelworks.jobs.live import read as live_state
from labelworks.services.access import actor_of
from labelworks.storage import jobs as job_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.jobs import JobRow

log = logging.getLogger("labelworks.jobs")

# Progress is written at most this often (a job reporting every row would otherwise spend
# its time writing progress); the last report of a run is always written.
REPORT_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0

Listener = Callable[[int, int | None], None]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


class _Reporter:
    def __init__(self, live: Live, listener: Listener | None) -> None:
        self._live = live
        self._listener = listener
        self._last = 0.0
        self._cancel = False
        self.lock = threading.Lock()

    def __call__(self, done: int, total: int | None) -> bool:
        if self._listener is not None:
            self._listener(done, total)
        now = time.monotonic()
        last_step = total is not None and done >= total
        if now - self._last >= REPORT_SECONDS or last_step or done == 0:
            self._last = now
            with self.lock:
                self._cancel = self._live.report(done, total)
        return self._cancel


def _heartbeat(live: Live, reporter: _Reporter, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            with reporter.lock:
                live.beat()
        except Exception:  # a missed beat is not worth failing the job over
            log.exception("job %s: heartbeat failed", live.job_id)


def _actor(db: Database, job: JobRow) -> Actor | None:
    if job.started_by_id is None:
        return None
    with db.read() as conn:
        user = user_store.by_id(conn, job.started_by_id)
    if user is None or not user.active:
        raise LabelworksError("the person who started this job is no longer active")
    return actor_of(user)


def run_job(
    db: Database,
    settings: Settings,
    job_id: int,
    *,
    listener: Listener | None = None,
    again: Callable[[int], None] | None = None,
) -> JobRow | None:
    """Run the job if it is still queued (else leave it: another consumer has it, or it
    was cancelled); returns its row afterwards. A kind's error fails the job with its
    message; an unexpected one is retried through ``again`` while attempts remain."""
    claimed = db.run_write(lambda conn: job_store.claim(conn, job_id, worker_name(), utcnow()))
    if not claimed:
        return None
    with db.read() as conn:
        job = job_store.get(conn, job_id)
    assert job is not None
    live = Live(db, settings.data_dir, job_id)
    reporter = _Reporter(live, listener)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(live, reporter, stop), daemon=True)
    beat.start()
    try:
        kind = kind_of(job.kind)
        ctx = JobContext(job=job, db=db, settings=settings, actor=_actor(db, job), report=reporter)
        result = kind.run(ctx)
    except JobCancelled:
        _end(db, live, "cancelled")
    except LabelworksError as exc:
        # The work itself refused (bad input, no permission any more): the same again.
        _end(db, live, "failed", error=str(exc), code=exc.code)
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, job.kind)
        error = f"{type(exc).__name__}: {exc}"
        if job.attempts < job.max_attempts and again is not None:
            db.run_write(lambda conn: job_store.requeue(conn, job_id, error, utcnow()))
            again(job_id)
        else:
            _end(db, live, "failed", error=error)
    else:
        _end(db, live, "succeeded", result=result)
    finally:
        stop.set()
        beat.join()
    with db.read() as conn:
        return job_store.get(conn, job_id)


class Recorded:
    """A job its caller runs itself (a CLI command in the foreground): it reports progress
    here and leaves its result in ``result``."""

    def __init__(self, job_id: int, reporter: _Reporter) -> None:
        self.job_id = job_id
        self.result: dict[str, object] = {}
        self._reporter = reporter

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress; raises ``JobCancelled`` once someone asked the job to stop."""
        if self.report(done, total):
            raise JobCancelled()

    def report(self, done: int, total: int | None) -> bool:
        """Record progress; returns whether someone asked the job to stop."""
        return self._reporter(done, total)


@contextmanager
def recorded(db: Database, settings: Settings, job_id: int) -> Iterator[Recorded]:
    """Run a job's work in the caller's own code, recorded as the job: claimed, with
    progress and a heartbeat, and ended succeeded, failed (with the error's message) or
    cancelled. The caller's exceptions go on unchanged, so a command keeps its own messages
    and exit codes; a cancel becomes ``JobCancelled``. Such a job is created with one
    attempt, so a sweep after a killed command fails it instead of queueing it again (its
    parameters describe the command; no worker could run them)."""
    if not db.run_write(lambda conn: job_store.claim(conn, job_id, worker_name(), utcnow())):
        raise LabelworksError(f"job {job_id} is not queued; it was cancelled or already ran")
    live = Live(db, settings.data_dir, job_id)
    reporter = _Reporter(live, None)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(live, reporter, stop), daemon=True)
    beat.start()
    here = Recorded(job_id, reporter)
    try:
        yield here
    except (JobCancelled, KeyboardInterrupt):
        # Ctrl-C in the terminal is the command's person cancelling it.
        _end(db, live, "cancelled")
        raise
    except BaseException as exc:
        code = exc.code if isinstance(exc, LabelworksError) else None
        message = str(exc) if code is not None else f"{type(exc).__name__}: {exc}"
        _end(db, live, "failed", error=message or type(exc).__name__, code=code)
        raise
    else:
        _end(db, live, "succeeded", result=here.result)
    finally:
        stop.set()
        beat.join()


def _end(
    db: Database,
    live: Live,
    state: str,
    *,
    error: str | None = None,
    result: dict[str, object] | None = None,
    code: str | None = None,
) -> None:
    db.run_write(
        lambda conn: job_store.finish(
            conn,
            live.job_id,
            state=state,
            now=utcnow(),
            result=result,
            error=error,
            error_code=code,
            done=live.done,
            total=live.total,
        )
    )


def sweep(
    db: Database, data_dir: Path, stale_after: timedelta, again: Callable[[int], None]
) -> list[int]:
    """Give back the jobs of consumers that stopped reporting; returns those queued again."""
    cutoff = utcnow() - stale_after
    with db.read() as conn:
        stale = job_store.stale_running(conn, cutoff)
    if db.is_sqlite:
        beaten = time.time() - stale_after.total_seconds()
        stale = [j for j in stale if (live_state(data_dir, j) or {}).get("beat", 0) < beaten]
    queued = []
    for job_id in stale:
        if db.run_write(partial(_abandon, job_id)):
            again(job_id)
            queued.append(job_id)
    return queued


def _abandon(job_id: int, conn: Connection) -> bool:
    return job_store.abandon(conn, job_id, utcnow())
