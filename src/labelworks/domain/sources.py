"""Import sources beyond a single file: a folder or an S3-compatible object prefix.

Pure rules: which text names which source, which files a project's media fields can show,
how the files of a source sort into media, row files and the unsupported, and the payload a
media file becomes. The listing and reading happen in ``services.sources``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.domain.fields import BoxesField, FieldSpec, SegmentsField

MAX_SOURCE_CHARS = 2048
MAX_GLOB_CHARS = 256
# Row files import as rows; each suffix's format is ``services.ingestion.SUFFIXES``.
ROW_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet")
MEDIA_SUFFIXES: dict[str, tuple[str, ...]] = {
    "image": (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".avif"),
    "audio": (".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a", ".aac", ".opus"),
    "video": (".mp4", ".webm", ".ogv", ".mov", ".m4v"),
    "timeseries": (".csv", ".tsv"),
}
# S3's bucket naming rules (3-63 characters, lower case, digits, dots and hyphens).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class ObjectPrefix:
    """``s3://bucket/prefix``: every object whose key starts with ``prefix``."""

    bucket: str
    prefix: str

    def url(self, key: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.prefix if key is None else key}"


@dataclass(frozen=True, slots=True)
class FolderPath:
    """A folder on the machine that runs the import."""

    path: str


Source = ObjectPrefix | FolderPath


def _check_text(text: str, what: str, limit: int) -> None:
    if not text:
        raise InvalidInput(f"{what} is empty")
    if len(text) > limit:
        raise InvalidInput(f"{what} is {len(text):,} characters long; at most {limit:,}")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidInput(f"{what} contains control characters")


def parse_source(text: str) -> Source:
    """The source ``text`` names: ``s3://bucket/prefix/`` or a folder path; any other
    scheme (``file://``, ``http://``) is refused, as are ``.`` and ``..`` in object keys."""
    _check_text(text, "the source", MAX_SOURCE_CHARS)
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", text)
    if scheme is None:
        return FolderPath(text)
    if scheme.group(1) != "s3":
        raise InvalidInput(
            f"unsupported source scheme '{scheme.group(1)}://': give s3://bucket/prefix/ "
            "or a folder path"
        )
    rest = text[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise InvalidInput(
            f"'{bucket}' is not a bucket name (3-63 lower-case letters, digits, dots, hyphens)"
        )
    if prefix.startswith("/") or any(part in (".", "..") for part in prefix.split("/")):
        raise InvalidInput(f"the object prefix '{prefix}' has an empty, '.' or '..' part")
    return ObjectPrefix(bucket, prefix)


def check_glob(pattern: str | None) -> str | None:
    """The ``--glob`` pattern, if usable: relative, no ``..``, no control characters."""
    if pattern is None or pattern == "":
        return None
    _check_text(pattern, "the glob pattern", MAX_GLOB_CHARS)
    if pattern.startswith("/") or ".." in PurePosixPath(pattern).parts:
        raise InvalidInput(f"the glob pattern '{pattern}' must be relative, without '..'")
    return pattern


def glob_matches(pattern: str | None, relative: str) -> bool:
    """Whether a file at ``relative`` (``/``-separated) matches ``pattern``: a pattern
    with no ``/`` looks at the file name (``*.jpg``), one with ``/`` at the whole path,
    where ``*`` crosses folders and a leading ``**/`` may match none."""
    if pattern is None:
        return True
    if "/" not in pattern:
        return fnmatchcase(PurePosixPath(relative).name, pattern)
    if pattern.startswith("**/") and fnmatchcase(relative, pattern[3:]):
        return True
    return fnmatchcase(relative, pattern)


@dataclass(frozen=True, slots=True)
class MediaTarget:
    """The payload key a kind of media file fills (the first field showing that kind)."""

    kind: str
    key: str
    suffixes: tuple[str, ...]


def media_targets(fields: Sequence[FieldSpec]) -> list[MediaTarget]:
    """The kinds of media the project's fields show, each with the payload key it fills."""
    targets: dict[str, MediaTarget] = {}
    for f in fields:
        if isinstance(f, BoxesField):
            kind, key = "image", f.source
        elif isinstance(f, SegmentsField):
            kind, key = f.media, f.source
        else:
            continue
        if kind not in targets:
            targets[kind] = MediaTarget(kind, key, MEDIA_SUFFIXES[kind])
    return list(targets.values())


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


@dataclass(slots=True)
class Sorted:
    """A source's files sorted: media (relative name, payload key), row files, and files
    that are neither (refused unless the import skips them)."""

    media: list[tuple[str, str]] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def sort_files(
    names: Iterable[str], targets: Sequence[MediaTarget], *, skip_unsupported: bool, where: str
) -> Sorted:
    """Sort ``names`` (relative, ``/``-separated, in listing order) by what they import as.

    A file the project's media fields can show is media; else a row file; else unsupported,
    which refuses the import naming the file unless ``skip_unsupported``. A source holds
    media or row files, not both. Hidden files (``.name``) are left out.
    """
    by_suffix = {s: t.key for t in targets for s in t.suffixes}
    out = Sorted()
    for name in names:
        if PurePosixPath(name).name.startswith("."):
            continue
        suffix = _suffix(name)
        if suffix in by_suffix:
            out.media.append((name, by_suffix[suffix]))
        elif suffix in ROW_SUFFIXES:
            out.rows.append(name)
        else:
            out.unsupported.append(name)
    if out.unsupported and not skip_unsupported:
        shows = sorted({s for t in targets for s in t.suffixes})
        raise InvalidImport(
            f"{where}: {out.unsupported[0]} is neither a media file this project shows "
            f"({', '.join(shows) or 'it has no media fields'}) nor a row file "
            f"({', '.join(ROW_SUFFIXES)}); remove it, narrow --glob or pass --skip-unsupported"
        )
    if out.media and out.rows:
        raise InvalidImport(
            f"{where} holds both media ({out.media[0][0]}) and row files ({out.rows[0]}); "
            "import them separately (narrow with --glob)"
        )
    if not out.media and not out.rows:
        raise InvalidImport(f"{where} has no files to import")
    return out


def check_media_payload(
    required: Iterable[str], targets: Sequence[MediaTarget], where: str
) -> None:
    """A media file fills one payload key: refuse when the project needs others too."""
    given = {t.key for t in targets}
    missing = sorted(k for k in required if k not in given)
    if missing:
        raise InvalidImport(
            f"{where}: items of this project need payload keys {', '.join(missing)}, and a "
            "media file gives only its own; import rows (JSONL or CSV) that name the files"
        )
