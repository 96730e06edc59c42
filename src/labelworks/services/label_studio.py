"""Label Studio JSON exports into labelworks: into a project, or as a new project made from
the labeling config (``migrate``).

The tasks are translated (``formats.label_studio_tasks``) into the structured rows a
labelworks export writes, then imported by ``services.ingestion`` in one transaction, so
every check of an import holds (values against the spec, unknown annotators, all or
nothing) and the history is restored as ``services.history_import`` restores it.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from labelworks.domain.access import Actor
from labelworks.domain.errors import AlreadyExists, InvalidImport, Location, NotFound
from labelworks.domain.spec import ProjectSpec, spec_from_dict
from labelworks.formats.label_studio_config import (
    ConfigTranslation,
    infer_config,
    translate_config,
)
from labelworks.formats.label_studio_json import ExportTasks
from labelworks.formats.label_studio_tasks import TaskTranslator
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services.project_removal import delete_project
from labelworks.storage.engine import Database

Progress = Callable[[int, int], None]
_SPOOL_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LabelStudioSummary:
    """What an import from Label Studio did, and what it left out."""

    project: str
    created_project: bool
    tasks: int
    inserted: int
    skipped_duplicates: int
    annotations: int
    cancelled: int
    superseded: int
    predictions: int
    created_annotators: tuple[str, ...]
    # Results skipped by control tag name (tags the translation left out, relations).
    skipped_results: dict[str, int] = field(default_factory=dict)
    # The config's tags that became no field, each with the reason.
    untranslated: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()


def import_label_studio(
    db: Database,
    project_name: str,
    data: bytes,
    *,
    source: str,
    create_annotators: bool = False,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> LabelStudioSummary:
    """Import a Label Studio JSON export into an existing project, all or nothing.

    Results name the project's fields by ``from_name``; a result for anything else is
    refused naming the task (``line``: its place in the file, from 1) and result.
    """
    spec = project_service.get_project(db, project_name, actor=actor).spec
    tasks = ExportTasks(data, source=source)
    del data  # the caller may pass it without keeping it: the decoded text replaces it
    translator = TaskTranslator(spec.fields, source=source)
    staged = _staged(tasks, translator)
    return _load(db, project_name, staged, translator, source, create_annotators, actor, progress)


def migrate_label_studio(
    db: Database,
    data: bytes,
    *,
    project_name: str,
    source: str,
    config: bytes | None = None,
    config_source: str = "config.xml",
    overlap: int | None = None,
    create_annotators: bool = False,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> LabelStudioSummary:
    """Create ``project_name`` from a Label Studio export and its labeling config (without
    one, fields are guessed from the results) and import the tasks with their history.

    Everything is checked before the project is created; if the import then fails, the
    new project is deleted again, so a refusal leaves nothing behind.
    """
    _refuse_taken(db, project_name, actor)
    tasks = ExportTasks(data, source=source)
    del data  # the caller may pass it without keeping it: the decoded text replaces it
    translation = (
        translate_config(config, source=config_source)
        if config is not None
        else infer_config(tasks)
    )
    spec = _spec(project_name, translation, overlap or _usual_overlap(tasks), config_source)
    translator = TaskTranslator(
        spec.fields, source=source, from_names=translation.from_names, ignored=translation.ignored
    )
    staged = _staged(tasks, translator)
    guidelines = _guidelines(source, translation)
    project_service.apply_spec(db, spec, guidelines=guidelines, actor=actor, new_only=True)
    try:
        summary = _load(
            db, project_name, staged, translator, source, create_annotators, actor, progress
        )
    except BaseException:
        delete_project(db, project_name)
        raise
    return LabelStudioSummary(
        **{
            **{k: getattr(summary, k) for k in LabelStudioSummary.__slots__},
            "created_project": True,
            "untranslated": tuple(translation.untranslated),
            "fields": tuple(f"{f.name} ({f.kind})" for f in spec.fields),
        }
    )


def _refuse_taken(db: Database, name: str, actor: Actor | None) -> None:
    """Refuse a name the caller can see is taken before the export is read."""
    try:
        project_service.get_project(db, name, actor=actor)
    except NotFound:
        return
    raise AlreadyExists(
        f"project '{name}' already exists: migrate into a new name, or import into it "
        "(labelworks import --format labelstudio)"
    )


def _spec(
    name: str, translation: ConfigTranslation, overlap: int, config_source: str
) -> ProjectSpec:
    if not translation.fields:
        left = "; ".join(translation.untranslated) or "it has no control tags"
        raise InvalidImport(
            f"no field could be made from the labeling config: {left}",
            location=Location(file=config_source),
        )
    return spec_from_dict(
        {
            "name": name,
            "description": "Migrated from Label Studio",
            "fields": translation.fields,
            "overlap": overlap,
        },
        source=config_source,
    )


def _usual_overlap(tasks: Iterable[Any]) -> int:
    """The most common number of finished annotations per annotated task (1 if none)."""
    counts: Counter[int] = Counter()
    for task in tasks:
        done = task.get("annotations") if isinstance(task, dict) else None
        given = done if isinstance(done, list) else []
        n = sum(1 for a in given if isinstance(a, dict) and a.get("was_cancelled") is not True)
        if n:
            counts[min(n, 100)] += 1
    return counts.most_common(1)[0][0] if counts else 1


def _guidelines(source: str, translation: ConfigTranslation) -> str:
    lines = ["# Migrated from Label Studio", "", f"Tasks and annotations from `{source}`."]
    if translation.untranslated:
        lines += ["", "Left out of the labeling config (no labelworks equivalent):", ""]
        lines += [f"- {reason}" for reason in translation.untranslated]
    return "\n".join(lines) + "\n"


def _staged(
    tasks: Iterable[Any], translator: TaskTranslator
) -> tempfile.SpooledTemporaryFile[bytes]:
    """Every task translated into a JSONL row before anything is stored."""
    # Closed by ``_load`` once imported (or by the collector on an error).
    staged: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(_SPOOL_BYTES)  # noqa: SIM115
    dumps = orjson.dumps
    for row in translator.rows(tasks):
        staged.write(dumps(row))
        staged.write(b"\n")
    staged.seek(0)
    return staged


def _load(
    db: Database,
    project: str,
    staged: tempfile.SpooledTemporaryFile[bytes],
    translator: TaskTranslator,
    source: str,
    create_annotators: bool,
    actor: Actor | None,
    progress: Progress | None,
) -> LabelStudioSummary:
    report = translator.report
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, report.tasks)

    with staged:
        summary = ingestion.import_items(
            db,
            project,
            staged,  # type: ignore[arg-type]
            format="jsonl",
            source=source,
            progress=advance,
            actor=actor,
            create_annotators=create_annotators,
        )
    return LabelStudioSummary(
        project=summary.project,
        created_project=False,
        tasks=report.tasks,
        inserted=summary.inserted,
        skipped_duplicates=summary.skipped_duplicates,
        annotations=summary.annotations,
        cancelled=report.cancelled,
        superseded=report.superseded,
        predictions=report.predictions,
        created_annotators=summary.created_annotators,
        skipped_results=dict(report.skipped_results),
    )
