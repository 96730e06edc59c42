"""Media processing: probe every media file a project's items name, keep what was found in
the item's metadata and the derived files (thumbnails, peaks, display series) next to the
media, and report it.

Facts go to ``metadata.media.<payload key>`` (``kind`` and per kind ``width``/``height``/
``orientation``/``phash``/``thumbnail``, ``duration``/``sample_rate``/``channels``/
``peaks``, …); a file that cannot be processed gets ``metadata.media_error.<key>`` with the
reason, and the batch goes on. Each batch of results is committed on its own, and a re-run
only does the keys that have neither (``only_missing``), so an interrupted run (a progress
callback that raised, a killed worker) is finished by running again. Derived files are
written before their batch commits, so a committed fact always has its file.

Layout of the derived files, under ``thumbnails_dir/<project>/``:
``items/<item id>-<key tag>.webp`` (and ``…-k<n>.webp`` for video keyframes),
``peaks/<media path>.json`` and ``series/<media path>``. Peaks and display series are
named after the media file, so the labeling page (which never learns item ids) finds them
from the media URL it already has. Given the server's object storage options (``s3``),
``s3://bucket/key`` values are read from the store and probed too (their derived files under
``s3/bucket/key``); without, they count as remote and are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import BoxesField, FieldSpec, SegmentsField
from labelworks.domain.media import is_remote
from labelworks.domain.sources import ObjectPrefix, parse_source
from labelworks.pipelines.media_probe import MediaKind, Probed, UnreadableMedia, probe
from labelworks.services import media_roots
from labelworks.services.access import project_for
from labelworks.services.object_store import ObjectStore, S3Options
from labelworks.services.specs import stored_spec
from labelworks.storage import item_metadata as store
from labelworks.storage.engine import Database
from labelworks.storage.item_metadata import MediaUpdate

BATCH = 200  # results per commit
PAGE = 1000  # items read per query
MAX_FILE_BYTES = 512 * 1024 * 1024  # a probe reads the whole file into memory
MAX_WORKERS = 32

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class MediaTask:
    """One payload value to probe: the item, its key, the kind the field says, the path."""

    item_id: int
    key: str
    kind: MediaKind
    path: str


@dataclass(frozen=True, slots=True)
class MediaRun:
    """What a run did: keys probed, of which failed, left as they were, and remote URLs."""

    total: int
    processed: int
    failed: int
    skipped: int
    remote: int


def media_kinds(fields: Sequence[FieldSpec]) -> dict[str, MediaKind]:
    """The payload keys the spec's fields read media from, with the kind of each."""
    kinds: dict[str, MediaKind] = {}
    for f in fields:
        if isinstance(f, BoxesField) and f.source:
            kinds.setdefault(f.source, "image")
        elif isinstance(f, SegmentsField) and f.source:
            kinds.setdefault(f.source, f.media)
    return kinds


def key_tag(key: str) -> str:
    """A file-name-safe tag for a payload key (keys are any text)."""
    return blake2b(key.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def resolve_in(base: Path, relative: str) -> Path:
    """``relative`` inside ``base``; ``UnreadableMedia`` when it would leave it."""
    parts = Path(relative).parts
    if not relative or "\x00" in relative or "\\" in relative:
        raise UnreadableMedia("the media path is not a plain relative path")
    if Path(relative).is_absolute() or ".." in parts:
        raise UnreadableMedia("the media path leaves the project's media folder")
    root = base.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise UnreadableMedia("the media path leaves the project's media folder")
    return target


def locate(task: MediaTask, store: str, roots: dict[str, str]) -> Path:
    """The file a payload value names: under a registered media root when its first part
    names one (``services.media_roots``), else in the project's media folder."""
    parts = Path(task.path).parts
    if len(parts) > 1 and parts[0] in roots:
        return resolve_in(Path(roots[parts[0]]), str(Path(*parts[1:])))
    return resolve_in(Path(store), task.path)


_STORES: dict[S3Options, ObjectStore] = {}  # one client per process and endpoint


def _object_bytes(value: str, s3: S3Options) -> bytes:
    """The bytes of the ``s3://bucket/key`` object ``value`` names."""
    try:
        found = parse_source(value)
    except InvalidInput as exc:
        raise UnreadableMedia(str(exc)) from None
    if not isinstance(found, ObjectPrefix) or not found.prefix or found.prefix.endswith("/"):
        raise UnreadableMedia("the value names no object (s3://bucket/key)")
    try:
        objects = _STORES.get(s3) or _STORES.setdefault(s3, ObjectStore(s3))
        size, _ = objects.head(found.bucket, found.prefix)
        _check_size(size)
        body = objects.open(found.bucket, found.prefix)
        try:
            return body.read()
        finally:
            body.close()
    except UnreadableMedia:
        raise
    except Exception as exc:  # the store's errors (missing object, refused credentials)
        raise UnreadableMedia(str(exc)) from None


def _check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise UnreadableMedia(
            f"the file is {size / 2**20:,.0f} MiB; media processing reads at most "
            f"{MAX_FILE_BYTES // 2**20} MiB"
        )


def probe_file(
    task: MediaTask, store: str, roots: dict[str, str], s3: S3Options | None = None
) -> tuple[MediaTask, Probed | str]:
    """Read and probe one file, or with ``s3`` one object (runs in a worker process): its
    facts, or the reason."""
    try:
        if s3 is not None and task.path.startswith("s3://"):
            return task, probe(task.kind, _object_bytes(task.path, s3), task.path)
        path = locate(task, store, roots)
        if not path.is_file():
            raise UnreadableMedia(f"no file '{task.path}' in the project's media folder")
        _check_size(path.stat().st_size)
        return task, probe(task.kind, path.read_bytes(), task.path)
    except UnreadableMedia as exc:
        return task, exc.reason
    except MemoryError:
        return task, "not enough memory to decode the file"
    except Exception as exc:  # a decoder's own bug must not stop the batch
        return task, f"the file could not be processed ({type(exc).__name__}: {exc})"


def _tasks(
    db: Database, project_id: int, kinds: dict[str, MediaKind], only_missing: bool, objects: bool
) -> tuple[list[MediaTask], int, int]:
    """Every media value to probe (``s3://`` objects too with ``objects``), and how many
    were left (done before) or are remote."""
    tasks: list[MediaTask] = []
    skipped = remote = 0
    after = 0
    while True:
        with db.read() as conn:
            rows = store.page(conn, project_id, after_id=after, limit=PAGE)
        if not rows:
            return tasks, skipped, remote
        for row in rows:
            done = _done_keys(row.metadata)
            for key, kind in kinds.items():
                value = row.payload.get(key)
                if not isinstance(value, str) or not value:
                    continue
                reachable = objects and value.startswith("s3://")
                if not reachable and (is_remote(value) or ":" in value.split("/", 1)[0]):
                    remote += 1
                elif only_missing and key in done:
                    skipped += 1
                else:
                    tasks.append(MediaTask(row.id, key, kind, value))
        after = rows[-1].id


def _done_keys(metadata: dict[str, Any]) -> set[str]:
    done: set[str] = set()
    for name in ("media", "media_error"):
        value = metadata.get(name)
        if isinstance(value, dict):
            done.update(value)
    return done


def _batches(tasks: Sequence[MediaTask]) -> Iterator[Sequence[MediaTask]]:
    for start in range(0, len(tasks), BATCH):
        yield tasks[start : start + BATCH]


def process_media(
    db: Database,
    project: str,
    *,
    media_dir: Path,
    thumbnails_dir: Path,
    only_missing: bool = True,
    progress: Progress | None = None,
    workers: int = 1,
    actor: Actor | None = None,
    s3: S3Options | None = None,
) -> MediaRun:
    """Probe the project's media files and merge the results into its items' metadata.

    ``media_dir`` holds each project's media folder (``media_dir/<project>/…``; values
    under a registered media root are found there, see ``services.media_roots``) and
    ``thumbnails_dir`` the derived files. ``workers`` above 1 probes in that many
    processes; the database is written by this one. ``progress(done, total)`` is called
    after each committed batch and may raise to stop: what was committed stays.
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise InvalidInput(f"workers must be 1 to {MAX_WORKERS}, not {workers}")
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.MANAGE)
    kinds = media_kinds(stored_spec(row.spec).fields)
    tasks, skipped, remote = _tasks(db, row.id, kinds, only_missing, s3 is not None)
    total = len(tasks)
    if progress is not None:
        progress(0, total)
    folder = str(Path(media_dir) / row.name)
    roots = {k: str(v) for k, v in media_roots.roots_of(Path(media_dir).parent, row.name).items()}
    out_dir = Path(thumbnails_dir) / row.name
    processed = failed = 0
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 and total > 1 else None
    try:
        for batch in _batches(tasks):
            if pool is None:
                results = [probe_file(task, folder, roots, s3) for task in batch]
            else:
                chunk = max(1, len(batch) // (workers * 4))
                results = list(
                    pool.map(
                        probe_file,
                        batch,
                        [folder] * len(batch),
                        [roots] * len(batch),
                        [s3] * len(batch),
                        chunksize=chunk,
                    )
                )
            changes = [_store_files(out_dir, task, result) for task, result in results]
            failed += sum(1 for _, result in results if isinstance(result, str))
            with db.write() as conn:
                store.merge_media(conn, row.id, _by_item(changes))
            processed += len(batch)
            if progress is not None:
                progress(processed, total)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return MediaRun(total, processed, failed, skipped, remote)


def _store_files(
    out_dir: Path, task: MediaTask, result: Probed | str
) -> tuple[int, str, dict[str, Any] | str]:
    """Write a result's derived files and name them in its facts."""
    if isinstance(result, str):
        return task.item_id, task.key, result
    facts = dict(result.facts)
    stem = f"{task.item_id}-{key_tag(task.key)}"
    try:
        for role, data in result.files.items():
            if role == "thumbnail":
                facts["thumbnail"] = _write(out_dir / "items", f"{stem}.webp", data)
            elif role.startswith("keyframe-"):
                name = _write(
                    out_dir / "items", f"{stem}-k{role.removeprefix('keyframe-')}.webp", data
                )
                facts.setdefault("keyframe_thumbnails", []).append(name)
            elif role == "peaks":
                facts["peaks"] = _write(out_dir / "peaks", f"{_derived(task.path)}.json", data)
            elif role == "series":
                facts["display"] = _write(out_dir / "series", _derived(task.path), data)
    except OSError as exc:
        return task.item_id, task.key, f"the derived files could not be written: {exc.strerror}"
    return task.item_id, task.key, facts


def _derived(path: str) -> str:
    """Where a media value's derived files go: its path, or ``s3/bucket/key`` for an object."""
    return "s3/" + path.removeprefix("s3://") if path.startswith("s3://") else path


def _write(folder: Path, relative: str, data: bytes) -> str:
    """Write ``data`` to ``folder/relative`` atomically; returns ``relative``."""
    target = resolve_in(folder, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(target)
    return relative


def _by_item(changes: Sequence[tuple[int, str, dict[str, Any] | str]]) -> list[MediaUpdate]:
    merged: dict[int, MediaUpdate] = {}
    for item_id, key, result in changes:
        update = merged.setdefault(item_id, MediaUpdate(item_id))
        if isinstance(result, str):
            update.errors[key] = result
        else:
            update.media[key] = result
    return list(merged.values())
