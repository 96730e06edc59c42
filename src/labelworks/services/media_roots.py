"""A project's media roots: folders outside its media store whose files its items show.

Media stay where they are. A folder imported from inside ``<data_dir>/media/<project>``
needs nothing: its files' payload values are paths relative to that store. Any other folder
is registered here under a short name, and its files' payload values are ``name/relative/
path``; the media route resolves the first part through this registry before the store.

The registry is a small JSON file per project, ``<data_dir>/media-roots/<project>.json``
(``{"name": "/absolute/folder"}``), outside the served tree, written atomically under a
lock; no table holds it (no migration for a list of folders).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labelworks.domain.errors import NotFound

_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def store_of(data_dir: Path, project: str) -> Path:
    """The project's own media folder."""
    return Path(data_dir) / "media" / project


def _registry(data_dir: Path, project: str) -> Path:
    return Path(data_dir) / "media-roots" / f"{project}.json"


def roots_of(data_dir: Path, project: str) -> dict[str, Path]:
    """The project's registered roots by name (none when it has no registry)."""
    try:
        raw = json.loads(_registry(data_dir, project).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): Path(v) for k, v in raw.items() if isinstance(v, str)}


@contextmanager
def _locked(data_dir: Path, project: str) -> Iterator[Path]:
    path = _registry(data_dir, project)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, roots: dict[str, Path]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: str(v) for k, v in roots.items()}, indent=1), "utf-8")
    os.replace(tmp, path)


def prefix_for(data_dir: Path, project: str, folder: Path) -> tuple[str, bool]:
    """The payload prefix of ``folder``'s files (``""`` inside the store, else a root's
    name followed by ``/``) and whether a new root was registered for it."""
    folder = folder.resolve()
    store = store_of(data_dir, project).resolve()
    if folder.is_relative_to(store):
        inside = folder.relative_to(store).as_posix()
        return ("" if inside == "." else inside + "/"), False
    with _locked(data_dir, project) as path:
        roots = roots_of(data_dir, project)
        for name, root in roots.items():
            if root == folder:
                return name + "/", False
        base = _NAME.sub("-", folder.name).strip(".-") or "folder"
        name, n = base, 1
        while name in roots or (store / name).exists():
            n += 1
            name = f"{base}-{n}"
        roots[name] = folder
        _write(path, roots)
    return name + "/", True


def carry(data_dir: Path, source: str, target: str, value: str) -> str:
    """The value that names, in ``target``, the local file ``value`` names in ``source``
    (items copied between projects): a file of a registered root keeps its folder, which
    ``target`` registers too; a file of ``source``'s store is hard-linked (else copied) into
    ``target``'s store, beside its own files under ``from-<source>/`` where the name is
    taken by another file. Anything else (URLs, objects, files not found) stays as it is."""
    try:
        found = resolve_local(data_dir, source, value)
    except NotFound:
        return value
    parts = Path(value).parts
    roots = roots_of(data_dir, source)
    if len(parts) > 1 and parts[0] in roots:
        prefix, _ = prefix_for(data_dir, target, roots[parts[0]])
        return prefix + Path(*parts[1:]).as_posix()
    store = store_of(data_dir, target)
    relative = Path(value)
    place = store / relative
    if place.exists() and not os.path.samefile(place, found):
        relative = Path(f"from-{source}") / relative
        place = store / relative
    if not place.exists():
        place.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(found, place)
        except OSError:  # another file system
            shutil.copy2(found, place)
    return relative.as_posix()


def forget(data_dir: Path, project: str, prefix: str) -> None:
    """Unregister the root behind ``prefix`` (an import that registered it failed)."""
    with _locked(data_dir, project) as path:
        roots = roots_of(data_dir, project)
        if roots.pop(prefix.rstrip("/"), None) is not None:
            _write(path, roots)


def resolve_local(data_dir: Path, project: str, relative: str) -> Path:
    """The file a local payload value names, inside a registered root or the project's
    store, or ``NotFound``: absolute paths, ``..``, backslashes and anything that resolves
    (through links) outside its folder are refused alike."""
    parts = Path(relative).parts
    if (
        not relative
        or "\x00" in relative
        or Path(relative).is_absolute()
        or ".." in parts
        or "\\" in relative
    ):
        raise NotFound("no such media file")
    roots = roots_of(data_dir, project)
    if len(parts) > 1 and parts[0] in roots:
        base, rest = roots[parts[0]].resolve(), Path(*parts[1:])
    else:
        base, rest = store_of(data_dir, project).resolve(), Path(relative)
    try:
        target = (base / rest).resolve()
    except (OSError, RuntimeError):  # a link loop
        raise NotFound("no such media file") from None
    if not target.is_relative_to(base) or not target.is_file():
        raise NotFound("no such media file")
    return target
