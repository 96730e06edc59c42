"""The kinds of job there are: what each checks, needs, does, and whether it is retried.

A kind's ``run`` gets a ``JobContext`` and returns the job's result (JSON). It reports
progress through ``ctx.progress(done, total)``, which raises ``JobCancelled`` once someone
asked the job to stop; kinds leave nothing half-done when that happens (their services are
all-or-nothing or idempotent). ``max_attempts`` above 1 only for kinds a re-run cannot harm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelworks.config import Settings
from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput
from labelworks.storage.engine import Database
from labelworks.storage.jobs import JobRow


class JobCancelled(Exception):
    """Raised from ``JobContext.progress`` when the job was asked to stop."""


@dataclass
class JobContext:
    """What a running job sees: its row, the database, settings and the starter's rights."""

    job: JobRow
    db: Database
    settings: Settings
    actor: Actor | None
    report: Callable[[int, int | None], bool] = field(repr=False)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    @property
    def project(self) -> str:
        name = self.job.project
        if name is None:
            raise InvalidInput(f"job {self.job.id} has no project")
        return name

    def progress(self, done: int, total: int | None = None) -> None:
        if self.report(done, total):
            raise JobCancelled()

    def output_dir(self) -> Path:
        """A folder of this job's own for the files it writes (exports)."""
        path = self.settings.data_dir / "jobs" / str(self.job.id)
        path.mkdir(parents=True, exist_ok=True)
        return path


def amount(n: int, unit: str) -> str:
    """A count in its unit for people: bytes in kB, MB or GB, anything else with commas."""
    if unit != "bytes":
        return f"{n:,}"
    for size, name in ((2**30, "GB"), (2**20, "MB"), (2**10, "kB")):
        if n >= size:
            return f"{n / size:.1f} {name}"
    return f"{n} B"


def _no_description(params: dict[str, Any]) -> str:
    return ""


def listed(result: dict[str, Any]) -> str:
    """A result's plain values, for kinds that have nothing better to say."""
    return ", ".join(f"{k}: {v}" for k, v in result.items() if not isinstance(v, dict | list))


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    title: str
    action: Action
    max_attempts: int
    check: Callable[[dict[str, Any]], dict[str, Any]]
    run: Callable[[JobContext], dict[str, Any]]
    # What ``done`` and ``total`` count: "bytes", "items", "files", …
    unit: str = "items"
    # For pages and listings: what a job of this kind was asked to do (from its
    # parameters) and what it did (from its result), in a line each.
    what: Callable[[dict[str, Any]], str] = _no_description
    outcome: Callable[[dict[str, Any]], str] = listed


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> JobKind:
    # The built-in kinds register on import (jobs/tasks.py, pipeline_tasks.py, assist_tasks.py,
    # llm_tasks.py), wherever the first lookup is.
    from labelworks.jobs import assist_tasks, llm_tasks, pipeline_tasks, tasks  # noqa: F401

    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise InvalidInput(f"unknown job kind '{name}' (there are: {known})") from None


def text_param(params: dict[str, Any], key: str, *, choices: tuple[str, ...] = ()) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value or len(value) > 4096 or "\x00" in value:
        raise InvalidInput(f"job parameter '{key}' must be a non-empty text")
    if choices and value not in choices:
        raise InvalidInput(f"job parameter '{key}' must be one of {', '.join(choices)}")
    return value
