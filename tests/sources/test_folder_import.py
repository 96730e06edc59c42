"""Importing from a local folder: one item per media file (paths through the project's
media store or a registered media root, which the media route then resolves), row files
as rows all or none, --glob, unsupported files refused or skipped, links that loop or leave
the folder refused, import roots for HTTP callers, progress and cancelling; on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.sources.conftest import png
from tests.sources.worlds import CALLS, PHOTOS, make, payloads, run

from labelworks.domain.errors import InvalidImport, InvalidInput, NotFound, PermissionDenied
from labelworks.services import media_roots
from labelworks.services.sources import SourceSummary
from labelworks.storage.engine import Database


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root


def test_a_folder_of_images_outside_the_data_dir(db: Database, tmp_path: Path) -> None:
    """Each image becomes one item whose payload names it through a media root named after
    the folder; the media route's resolver finds the very files; a re-run adds nothing."""
    make(db, PHOTOS)
    folder = _tree(tmp_path / "shoot", {"a.png": png((1, 2, 3)), "day2/b.jpg": b"jpeg",
                                        ".DS_Store": b"x"})  # fmt: skip
    data = tmp_path / "data"
    summary = run(db, "photos", str(folder), data)
    assert summary == SourceSummary("photos", str(folder.resolve()), "media", 2, 2, 2, 0, [])
    assert payloads(db, "photos") == [{"image": "shoot/a.png"}, {"image": "shoot/day2/b.jpg"}]
    assert media_roots.roots_of(data, "photos") == {"shoot": folder.resolve()}
    found = media_roots.resolve_local(data, "photos", "shoot/day2/b.jpg")
    assert found == (folder / "day2" / "b.jpg").resolve()
    again = run(db, "photos", str(folder), data)
    assert (again.inserted, again.skipped_duplicates) == (0, 2)
    assert media_roots.roots_of(data, "photos") == {"shoot": folder.resolve()}


def test_a_folder_inside_the_media_store(db: Database, tmp_path: Path) -> None:
    """A folder already in <data_dir>/media/<project> needs no root: payloads are paths
    relative to the store."""
    make(db, PHOTOS)
    data = tmp_path / "data"
    _tree(data / "media" / "photos" / "batch1", {"x.webp": b"w", "y.png": png((0, 0, 0))})
    summary = run(db, "photos", str(data / "media" / "photos" / "batch1"), data)
    assert (summary.kind, summary.inserted) == ("media", 2)
    assert payloads(db, "photos") == [{"image": "batch1/x.webp"}, {"image": "batch1/y.png"}]
    assert media_roots.roots_of(data, "photos") == {}


def test_audio_and_glob(db: Database, tmp_path: Path) -> None:
    """A segments field's kind picks the files and the payload key; --glob narrows them,
    by name without a '/', by path with one."""
    make(db, CALLS)
    folder = _tree(tmp_path / "calls", {"a.wav": b"1", "b.mp3": b"2", "old/c.wav": b"3"})
    run(db, "calls", str(folder), tmp_path / "data", glob="*.wav")
    assert payloads(db, "calls") == [{"audio": "calls/a.wav"}, {"audio": "calls/old/c.wav"}]
    run(db, "calls", str(folder), tmp_path / "data", glob="old/*")
    assert len(payloads(db, "calls")) == 2  # old/c.wav again: a duplicate


def test_a_folder_of_row_files_is_all_or_nothing(db: Database, tmp_path: Path) -> None:
    """Row files import as rows in one transaction: a bad row in the second file leaves
    nothing from the first, and the error names that file and line."""
    make(db, PHOTOS)
    folder = _tree(tmp_path / "rows", {
        "1.jsonl": b'{"image": "a.png"}\n{"image": "b.png"}\n',
        "2.csv": b"image\nc.png\n",
        "3.jsonl": b'{"image": "d.png"}\n{"nope": 1}\n',
    })  # fmt: skip
    with pytest.raises(InvalidImport) as caught:
        run(db, "photos", str(folder), tmp_path / "data")
    assert str(caught.value) == (
        f"{folder}/3.jsonl, line 2, field 'payload.image': "
        "payload has no key 'image', which the project's fields need"
    )
    assert payloads(db, "photos") == []
    (folder / "3.jsonl").unlink()
    summary = run(db, "photos", str(folder), tmp_path / "data")
    assert (summary.kind, summary.files, summary.rows, summary.inserted) == ("rows", 2, 3, 3)
    assert payloads(db, "photos") == [{"image": n} for n in ("a.png", "b.png", "c.png")]


def test_unsupported_files_are_refused_or_skipped(db: Database, tmp_path: Path) -> None:
    """A file of another type refuses the import naming it, unless skip_unsupported; a
    folder with both media and row files is refused; an empty one too."""
    make(db, PHOTOS)
    folder = _tree(tmp_path / "mixed", {"a.png": b"p", "notes.txt": b"t"})
    with pytest.raises(InvalidImport, match=r"notes\.txt is neither a media file"):
        run(db, "photos", str(folder), tmp_path / "data")
    assert payloads(db, "photos") == []
    summary = run(db, "photos", str(folder), tmp_path / "data", skip_unsupported=True)
    assert (summary.inserted, summary.skipped_unsupported) == (1, ["notes.txt"])
    _tree(folder, {"rows.jsonl": b'{"image": "z.png"}\n'})
    with pytest.raises(InvalidImport, match=r"both media \(a\.png\) and row files"):
        run(db, "photos", str(folder), tmp_path / "data", skip_unsupported=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidImport, match="has no files to import"):
        run(db, "photos", str(tmp_path / "empty"), tmp_path / "data")


def test_links_that_loop_or_leave_are_refused(db: Database, tmp_path: Path) -> None:
    """A link to a folder above refuses as a loop, a link out of the folder refuses naming
    it, a link inside is followed; nothing is imported by a refusal."""
    make(db, PHOTOS)
    outside = _tree(tmp_path / "secret", {"key.png": b"k"})
    folder = _tree(tmp_path / "pics", {"a.png": b"a", "sub/b.png": b"b"})
    os.symlink(folder / "sub", folder / "alias")
    summary = run(db, "photos", str(folder), tmp_path / "data")
    assert payloads(db, "photos") == [
        {"image": "pics/a.png"}, {"image": "pics/alias/b.png"}, {"image": "pics/sub/b.png"},
    ]  # fmt: skip
    assert summary.inserted == 3
    os.symlink(folder, folder / "sub" / "up")
    with pytest.raises(InvalidImport, match=r"pics: alias/up is a link loop"):
        run(db, "photos", str(folder), tmp_path / "data")
    (folder / "sub" / "up").unlink()
    os.symlink(outside / "key.png", folder / "leak.png")
    with pytest.raises(InvalidImport, match=r"leak\.png links outside the folder"):
        run(db, "photos", str(folder), tmp_path / "data")
    assert len(payloads(db, "photos")) == 3


def test_import_roots_for_http_callers(db: Database, tmp_path: Path) -> None:
    """With roots given (the API), a folder must resolve under one of them: none refuses
    every folder, '..' cannot climb out, a relative path is refused; the refusal is the
    same whether the folder exists."""
    make(db, PHOTOS)
    allowed = _tree(tmp_path / "imports" / "set1", {"a.png": b"a"})
    data = tmp_path / "data"
    with pytest.raises(PermissionDenied, match="import_roots setting names none"):
        run(db, "photos", str(allowed), data, roots=[])
    roots = [tmp_path / "imports"]
    for path in (f"{tmp_path}/imports/../data", "/etc", f"{tmp_path}/nowhere"):
        with pytest.raises(PermissionDenied, match="not under one of the server's import roots"):
            run(db, "photos", path, data, roots=roots)
    with pytest.raises(InvalidInput, match="absolute path"):
        run(db, "photos", "imports/set1", data, roots=roots)
    with pytest.raises(NotFound, match="does not exist or is not a folder"):
        run(db, "photos", f"{tmp_path}/imports/missing", data, roots=roots)
    assert run(db, "photos", str(allowed), data, roots=roots).inserted == 1


def test_hostile_source_texts(db: Database, tmp_path: Path) -> None:
    """NUL, oversized, file:// and other schemes, s3 '..' and bad buckets are refused
    before anything is read."""
    make(db, PHOTOS)
    cases = {
        "/tmp/a\x00b": "control characters",
        "x" * 3000: "at most 2,048",
        "file:///etc/passwd": "unsupported source scheme 'file://'",
        "http://example.com/a": "unsupported source scheme 'http://'",
        "s3://../": "is not a bucket name",
        "s3://bucket/a/../b": "'..' part",
        "s3://UPPER/x": "is not a bucket name",
        "": "the source is empty",
    }
    for text, message in cases.items():
        with pytest.raises(InvalidInput, match=message):
            run(db, "photos", text, tmp_path / "data")
    with pytest.raises(InvalidInput, match="must be relative"):
        run(db, "photos", str(tmp_path), tmp_path / "data", glob="../*")
    assert payloads(db, "photos") == []


def test_progress_counts_and_cancels(db: Database, tmp_path: Path) -> None:
    """progress(done, total) counts media files; raising from it cancels with nothing
    imported and no media root left registered."""
    make(db, PHOTOS)
    folder = _tree(tmp_path / "many", {f"{i:02}.png": bytes([i]) for i in range(7)})
    data = tmp_path / "data"
    seen: list[tuple[int, int]] = []

    def stop(done: int, total: int) -> None:
        seen.append((done, total))
        raise KeyboardInterrupt

    from labelworks.services.sources import SourceRequest, import_source

    with pytest.raises(KeyboardInterrupt):
        import_source(db, "photos", SourceRequest(str(folder), batch_size=3), data_dir=data,
                      progress=stop)  # fmt: skip
    assert (seen, payloads(db, "photos"), media_roots.roots_of(data, "photos")) == (
        [(3, 7)], [], {}
    )  # fmt: skip
    seen.clear()
    import_source(db, "photos", SourceRequest(str(folder), batch_size=3), data_dir=data,
                  progress=lambda d, t: seen.append((d, t)))  # fmt: skip
    assert seen == [(3, 7), (6, 7), (7, 7)]


def test_media_needs_only_its_key(db: Database, tmp_path: Path) -> None:
    """A project whose items need other payload keys (a required text) refuses a folder of
    media, naming the keys."""
    spans = {"name": "tags", "kind": "spans", "labels": ["x"]}
    make(db, {**PHOTOS, "fields": [*PHOTOS["fields"], spans]})
    folder = _tree(tmp_path / "p", {"a.png": b"a"})
    with pytest.raises(InvalidImport, match="need payload keys text"):
        run(db, "photos", str(folder), tmp_path / "data")
    assert json.dumps(payloads(db, "photos")) == "[]"
