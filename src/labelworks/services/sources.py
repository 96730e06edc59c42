"""Importing from a folder or an S3 prefix: one item per media file, or the rows of every
row file, all in one transaction (all files or none).

A media file becomes ``{key: reference}``, ``key`` being the payload key the project's
field for that kind of media reads (``image``, ``audio`` ...): for an object its
``s3://bucket/key``, for a local file its path through the project's media store or a
media root registered for its folder (``services.media_roots``). Media stay where they
are. Row files (JSONL, JSON, CSV, Parquet) import exactly as a file import would, each
naming itself in errors. Re-running an import skips what is already there (duplicates by
content), so an interrupted or cancelled run can simply be repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor
from labelworks.domain.schema import required_payload_keys
from labelworks.domain.sources import (
    check_glob,
    check_media_payload,
    media_targets,
    parse_source,
    sort_files,
)
from labelworks.pipelines.content_hash import compact_json
from labelworks.services import ingestion, media_roots
from labelworks.services.access import project_for
from labelworks.services.object_store import S3Options
from labelworks.services.project_archive import refuse_archived
from labelworks.services.source_files import Listing, SourceFile, list_source
from labelworks.services.specs import stored_spec
from labelworks.storage.engine import Database
from labelworks.storage.projects import ProjectRow

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """What an import from a source did: ``kind`` media (one item per file) or rows."""

    project: str
    source: str
    kind: Literal["media", "rows"]
    files: int
    rows: int
    inserted: int
    skipped_duplicates: int
    skipped_unsupported: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SourceRequest:
    """An import from ``url``; ``roots`` the folders it may read (``None``: any)."""

    url: str
    glob: str | None = None
    skip_unsupported: bool = False
    s3: S3Options = field(default_factory=S3Options)
    roots: Sequence[Path] | None = None
    batch_size: int = 5000


def import_source(
    db: Database,
    project_name: str,
    request: SourceRequest,
    *,
    data_dir: Path,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> SourceSummary:
    """Import every matching file of the source into the project, or nothing.

    ``progress(done, total)`` counts files for media and bytes for row files; it may raise
    to cancel, which leaves the project as it was.
    """
    source = parse_source(request.url)
    glob = check_glob(request.glob)
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        refuse_archived(project, "imports")
        fields = stored_spec(project.spec).fields
    targets = media_targets(fields)
    listing, _ = list_source(source, glob=glob, s3=request.s3, roots=request.roots)
    names = [f.name for f in listing.files]
    sorted_files = sort_files(
        names, targets, skip_unsupported=request.skip_unsupported, where=listing.where
    )
    by_name = {f.name: f for f in listing.files}
    if sorted_files.media:
        check_media_payload(required_payload_keys(fields), targets, listing.where)
        media = [(by_name[n], key) for n, key in sorted_files.media]
        return _import_media(
            db, project_name, request, listing, media, data_dir, actor, progress,
            sorted_files.unsupported,
        )  # fmt: skip
    files = [by_name[n] for n in sorted_files.rows]
    return _import_rows(db, project_name, request, listing, files, actor, progress,
                        sorted_files.unsupported)  # fmt: skip


def _import_media(
    db: Database,
    project_name: str,
    request: SourceRequest,
    listing: Listing,
    media: list[tuple[SourceFile, str]],
    data_dir: Path,
    actor: Actor | None,
    progress: Progress | None,
    unsupported: list[str],
) -> SourceSummary:
    prefix, registered = "", False
    if listing.folder is not None:
        prefix, registered = media_roots.prefix_for(data_dir, project_name, listing.folder)
    lines = BytesIO()
    for f, key in media:
        ref = f.url if f.url is not None else prefix + f.name
        lines.write(compact_json({key: ref}).encode() + b"\n")
    lines.seek(0)
    total, done = len(media), 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    try:
        # One import of generated rows: the same checks, dedupe and all-or-nothing as a file.
        summary = ingestion.import_items(
            db,
            project_name,
            lines,
            format="jsonl",
            source=listing.where,
            progress=advance,
            batch_size=request.batch_size,
            actor=actor,
        )
    except BaseException:
        if registered:
            media_roots.forget(data_dir, project_name, prefix)
        raise
    return SourceSummary(
        project=project_name,
        source=listing.where,
        kind="media",
        files=total,
        rows=summary.rows,
        inserted=summary.inserted,
        skipped_duplicates=summary.skipped_duplicates,
        skipped_unsupported=unsupported,
    )


def _import_into(
    conn: Connection,
    db: Database,
    project: ProjectRow,
    stream: Any,
    fmt: ingestion.ImportFormat,
    name: str,
    request: SourceRequest,
    actor: Actor | None,
) -> ingestion.ImportSummary:
    """One row file's import inside the folder's transaction. The one place this module
    reaches into ``services.ingestion``'s transaction-less core: ``import_items`` commits
    each file on its own, and a folder is all files or none."""
    history = ingestion._History(False, actor, db.cache_scope)
    return ingestion._import(conn, project, stream, fmt, name, None, request.batch_size, history)


class _Counted:
    """A row file's stream that reports the bytes read (for ``progress``)."""

    def __init__(self, raw: IO[bytes], advance: Callable[[int], None]) -> None:
        self._raw = raw
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._advance(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._raw.readline(size)
        self._advance(len(data))
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _import_rows(
    db: Database,
    project_name: str,
    request: SourceRequest,
    listing: Listing,
    files: list[SourceFile],
    actor: Actor | None,
    progress: Progress | None,
    unsupported: list[str],
) -> SourceSummary:
    total, done = sum(f.size for f in files), 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None and n:
            progress(min(done, total), total)

    rows = inserted = 0
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE, for_update=True)
        refuse_archived(project, "imports")
        for f in files:
            name = f.url if f.url is not None else str(Path(listing.where) / f.name)
            fmt = ingestion.format_of_name(f.name)
            with closing(f.open()) as raw:
                stream: Any = raw if fmt == "parquet" else _Counted(raw, advance)
                summary = _import_into(conn, db, project, stream, fmt, name, request, actor)
            if fmt == "parquet":
                advance(f.size)
            rows += summary.rows
            inserted += summary.inserted
    return SourceSummary(
        project=project_name,
        source=listing.where,
        kind="rows",
        files=len(files),
        rows=rows,
        inserted=inserted,
        skipped_duplicates=rows - inserted,
        skipped_unsupported=unsupported,
    )
