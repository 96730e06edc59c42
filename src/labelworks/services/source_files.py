"""The files of an import source: a folder walked recursively, or the objects under an S3
prefix; each with its name relative to the source, its size and a way to open it.

Folders are walked safely: links to folders are followed only while they stay inside the
source folder, a link loop or a link leading out of the folder refuses the import naming
the link, and a folder imported over HTTP must lie under one of the server's import roots
(setting ``import_roots``), checked on the resolved path before anything is read."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from labelworks.domain.errors import InvalidImport, InvalidInput, NotFound, PermissionDenied
from labelworks.domain.sources import FolderPath, ObjectPrefix, Source, glob_matches
from labelworks.services.object_store import ObjectStore, S3Options

SPOOL_BYTES = 64 * 1024 * 1024  # an object row file above this is spooled to disk


@dataclass(frozen=True, slots=True)
class SourceFile:
    name: str  # relative to the source, ``/``-separated
    size: int
    open: Callable[[], IO[bytes]]
    url: str | None = None  # an object's ``s3://bucket/key``


@dataclass(frozen=True, slots=True)
class Listing:
    """A source's files; ``folder`` is the resolved folder of a folder source."""

    where: str
    files: list[SourceFile]
    folder: Path | None = None


def admit_folder(path: str, roots: Sequence[Path] | None) -> Path:
    """The resolved folder ``path`` names, if it may be read: ``roots=None`` admits any
    folder (the CLI, as its own user); otherwise it must resolve under one of ``roots``,
    and an empty list refuses every folder. Refusals say the same whether it exists."""
    if roots is not None:
        if not roots:
            raise PermissionDenied(
                "folders cannot be imported over HTTP: the server's import_roots setting "
                "names none (LABELWORKS_IMPORT_ROOTS)"
            )
        if not os.path.isabs(path):
            raise InvalidInput(f"give the folder's absolute path, not '{path}'")
        resolved = Path(path).resolve()
        if not any(resolved.is_relative_to(Path(r).resolve()) for r in roots):
            raise PermissionDenied(
                f"{path} is not under one of the server's import roots (setting import_roots)"
            )
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise NotFound(f"{path} does not exist or is not a folder")
    return folder.resolve()


def _walk(folder: Path, glob: str | None) -> list[SourceFile]:
    files: list[SourceFile] = []

    def visit(real: Path, shown: str, above: frozenset[Path]) -> None:
        if real in above:
            raise InvalidImport(f"{folder}: {shown} is a link loop")
        with os.scandir(real) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        for entry in listed:
            rel = f"{shown}/{entry.name}" if shown else entry.name
            target = Path(entry.path)
            if entry.is_symlink():
                try:
                    target = target.resolve(strict=True)
                except (OSError, RuntimeError):
                    broken = f"{folder}: {rel} is a broken link or a link loop"
                    raise InvalidImport(broken) from None
                if not target.is_relative_to(folder):
                    raise InvalidImport(f"{folder}: {rel} links outside the folder")
            if target.is_dir():
                if not entry.name.startswith("."):
                    visit(target.resolve(), rel, above | {real})
            elif target.is_file() and glob_matches(glob, rel):
                files.append(SourceFile(rel, target.stat().st_size, _opener(target)))

    visit(folder, "", frozenset())
    return files


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _object_opener(store: ObjectStore, bucket: str, key: str) -> Callable[[], IO[bytes]]:
    def open_object() -> IO[bytes]:
        # Readers may seek (Parquet): the body is spooled, to disk above SPOOL_BYTES.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        body: BinaryIO = store.open(bucket, key)
        try:
            while chunk := body.read(1024 * 1024):
                spool.write(chunk)
        finally:
            body.close()
        spool.seek(0)
        return spool

    return open_object


def list_source(
    source: Source,
    *,
    glob: str | None,
    s3: S3Options,
    roots: Sequence[Path] | None,
) -> tuple[Listing, ObjectStore | None]:
    """The source's files matching ``glob``, in name order (and the store it lives in)."""
    if isinstance(source, FolderPath):
        folder = admit_folder(source.path, roots)
        return Listing(str(folder), _walk(folder, glob), folder), None
    assert isinstance(source, ObjectPrefix)
    store = ObjectStore(s3)
    files = []
    for key, size in store.list(source.bucket, source.prefix):
        # A prefix that is a whole key names that one object.
        rel = key[len(source.prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
        if key.endswith("/") or not glob_matches(glob, rel):
            continue
        opener = _object_opener(store, source.bucket, key)
        files.append(SourceFile(rel, size, opener, source.url(key)))
    files.sort(key=lambda f: f.name)
    return Listing(source.url(), files), store
