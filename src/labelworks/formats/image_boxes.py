"""What the COCO, YOLO and Pascal VOC formats share: the boxes field they carry, each image's
value and size, the boxes an exported item carries, file names made from image names, and
reading an import source that is a folder or a zip archive.

A boxes value in labelworks is ``{field: [{"x", "y", "width", "height", "label", "score"?}]}``
in pixels from the image's top-left corner (``domain/annotation.py``).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from labelworks.domain.errors import InvalidImport, InvalidInput, Location
from labelworks.domain.fields import BoxesField, FieldSpec
from labelworks.domain.spec import ProjectSpec

Progress = Callable[[int, int], None]
# Progress is reported every this many items (and once at the end).
PROGRESS_EVERY = 1000
# The model name pre-annotations of an import carry, per format.
IMPORT_MODEL = "{format}-import"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff")
# An uploaded archive may not unpack to more than this (a zip bomb is refused, not unpacked).
MAX_ARCHIVE_BYTES = 4 * 1024**3
MAX_MEMBER_BYTES = 256 * 1024**2
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class BoxesSource(Protocol):
    """What the writers read of ``services.dataset_exports.DatasetSource`` (the services
    layer sits above this one)."""

    @property
    def spec(self) -> ProjectSpec: ...

    @property
    def labels(self) -> str: ...

    @property
    def total(self) -> int: ...

    @property
    def media_root(self) -> Path: ...

    @property
    def records(self) -> Callable[[], Iterator[dict[str, Any]]]: ...


def boxes_field(fields: Sequence[FieldSpec], name: str | None = None) -> BoxesField:
    """The boxes field a format carries: ``name`` when given, else the spec's first one."""
    boxes = [f for f in fields if isinstance(f, BoxesField)]
    if name is not None:
        for f in boxes:
            if f.name == name:
                return f
        known = ", ".join(f.name for f in boxes) or "none"
        raise InvalidInput(f"the project has no boxes field '{name}' (boxes fields: {known})")
    if not boxes:
        raise InvalidInput(
            "COCO, YOLO and Pascal VOC carry boxes, and this project has no boxes field"
        )
    return boxes[0]


def image_value(record: dict[str, Any], field: BoxesField) -> str:
    """The payload's image (path or URL) the boxes are drawn on."""
    value = record.get("payload", {}).get(field.source)
    if not isinstance(value, str) or not value:
        raise InvalidInput(
            f"item {record.get('id')} has no image path in payload key '{field.source}'",
            location=Location(field=f"payload.{field.source}"),
        )
    return value


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 and value == value and value != float("inf") else None


def image_size(record: dict[str, Any], field: BoxesField, media_root: Path) -> tuple[float, float]:
    """The image's width and height: the payload's ``width_key``/``height_key``, else the
    sizes media processing keeps in the metadata (``{"media": {source: {"width", "height"}}}``),
    else the local file's header under ``media_root``; ``InvalidInput`` when none tells."""
    payload = record.get("payload", {})
    if field.width_key is not None and field.height_key is not None:
        w, h = _positive(payload.get(field.width_key)), _positive(payload.get(field.height_key))
        if w is not None and h is not None:
            return w, h
    media = record.get("metadata", {}).get("media")
    if isinstance(media, dict):
        sizes = media.get(field.source)
        if isinstance(sizes, dict):
            w, h = _positive(sizes.get("width")), _positive(sizes.get("height"))
            if w is not None and h is not None:
                return w, h
    value = image_value(record, field)
    found = local_image_size(media_root, value)
    if found is None:
        raise InvalidInput(
            f"cannot tell the size of image '{value}' of item {record.get('id')}: give the "
            f"field width_key and height_key, process the media, or keep the file under "
            f"{media_root}",
            location=Location(field=f"payload.{field.source}"),
        )
    return found


def local_image_size(root: Path, value: str) -> tuple[float, float] | None:
    """The size in the header of ``root/value`` when it is a readable image inside ``root``."""
    if "://" in value or value.startswith("/"):
        return None
    try:
        base = root.resolve()
        path = (base / value).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            return None
        with Image.open(path) as image:
            return float(image.width), float(image.height)
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def labelled_boxes(
    record: dict[str, Any], field: BoxesField, labels: str
) -> list[tuple[str | None, list[dict[str, Any]]]] | None:
    """The boxes an item exports, per annotator (``None`` for a final label), or ``None``
    when the item has no label of that kind (it is left out of the dataset: an image with no
    boxes would tell training code it holds no object)."""
    if labels == "final":
        final = record.get("final")
        if not isinstance(final, dict) or not isinstance(final.get("value"), dict):
            return None
        return [(None, _boxes_of(final["value"], field))]
    annotations = record.get("annotations") or []
    if not annotations:
        return None
    return [(a.get("annotator"), _boxes_of(a.get("value") or {}, field)) for a in annotations]


def _boxes_of(value: dict[str, Any], field: BoxesField) -> list[dict[str, Any]]:
    boxes = value.get(field.name)
    return [b for b in boxes if isinstance(b, dict)] if isinstance(boxes, list) else []


class Stems:
    """File names (without suffix) made from image names, unique within one export: the
    second ``a`` is ``a-2``, the third ``a-3``. Numbered by order, not by item, so a reader
    going through the exported image list in its order names each label file the same."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def of(self, value: str) -> str:
        name = PurePosixPath(urlsplit(value).path if "://" in value else value).stem
        base = _UNSAFE.sub("_", name).strip("._") or "image"
        stem, n = base, 1
        while stem in self._seen:
            n += 1
            stem = f"{base}-{n}"
        self._seen.add(stem)
        return stem


def fresh_target(target: Path) -> Path:
    """``target`` as a new empty folder (a format writing a folder refuses to merge into an
    existing one's files)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"{target} exists and is not an empty folder")
    target.mkdir(parents=True, exist_ok=True)
    return target


def remove_partial(target: Path) -> None:
    """Remove what a failed or cancelled writer left at ``target``."""
    if target.is_dir():
        shutil.rmtree(target, ignore_errors=True)
    else:
        target.unlink(missing_ok=True)


def report(progress: Progress | None, done: int, total: int, *, last: bool = False) -> None:
    """Call ``progress`` every ``PROGRESS_EVERY`` items and at the end."""
    if progress is not None and (last or done % PROGRESS_EVERY == 0):
        progress(done, total)


def number(value: float) -> int | float:
    """A pixel figure as written: whole numbers without a fraction."""
    return int(value) if float(value).is_integer() else round(float(value), 6)


@dataclass(frozen=True, slots=True)
class SourceTree:
    """An import source's files: a folder, or a zip archive read in place (members are
    checked against bombs: no member over ``MAX_MEMBER_BYTES``, all under
    ``MAX_ARCHIVE_BYTES``)."""

    name: str
    folder: Path | None
    archive: zipfile.ZipFile | None

    @staticmethod
    def open(path: Path | BinaryIO, name: str) -> SourceTree:
        if isinstance(path, Path) and path.is_dir():
            return SourceTree(name, path, None)
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidImport(
                f"expected a folder or a zip archive: {exc}", location=Location(file=name)
            ) from None
        total = 0
        for info in archive.infolist():
            total += info.file_size
            if info.file_size > MAX_MEMBER_BYTES or total > MAX_ARCHIVE_BYTES:
                archive.close()
                raise InvalidImport(
                    f"the archive unpacks to more than this import takes "
                    f"({MAX_MEMBER_BYTES:,} bytes a file, {MAX_ARCHIVE_BYTES:,} in all)",
                    location=Location(file=name, field=info.filename),
                )
        return SourceTree(name, None, archive)

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def files(self) -> Iterator[str]:
        """Every file's path inside the source, with ``/`` separators, sorted."""
        if self.folder is not None:
            names = (
                p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*") if p.is_file()
            )
        else:
            assert self.archive is not None
            names = (i.filename for i in self.archive.infolist() if not i.is_dir())
        yield from sorted(names)

    def read(self, member: str) -> bytes:
        if self.folder is not None:
            return (self.folder / member).read_bytes()
        assert self.archive is not None
        return self.archive.read(member)

    def image_size(self, member: str) -> tuple[float, float] | None:
        """The size in the header of the image ``member``, or ``None`` if it is not one."""
        try:
            if self.folder is not None:
                with Image.open(self.folder / member) as image:
                    return float(image.width), float(image.height)
            assert self.archive is not None
            with self.archive.open(member) as raw, Image.open(raw) as image:
                return float(image.width), float(image.height)
        except (OSError, UnidentifiedImageError, ValueError, KeyError):
            return None


def check_box(
    box: tuple[float, float, float, float], size: tuple[float, float], where: Location, what: str
) -> None:
    """Refuse a box (x, y, width, height) that is empty or leaves its image."""
    x, y, w, h = box
    for v in box:
        if v != v or v in (float("inf"), float("-inf")):
            raise InvalidImport(f"{what} has a coordinate that is not a number", location=where)
    if w <= 0 or h <= 0:
        raise InvalidImport(f"{what} has no area (width {w:g}, height {h:g})", location=where)
    tolerance = 0.5
    if x < -tolerance or y < -tolerance:
        raise InvalidImport(f"{what} starts left of or above the image", location=where)
    if x + w > size[0] + tolerance or y + h > size[1] + tolerance:
        raise InvalidImport(
            f"{what} leaves the image: it reaches x {x + w:g}, y {y + h:g} in an image of "
            f"{size[0]:g} by {size[1]:g}",
            location=where,
        )


def clamp_box(
    box: tuple[float, float, float, float], size: tuple[float, float]
) -> tuple[float, float, float, float]:
    """A checked box pulled inside its image (rounding at the edge is tolerated, not kept)."""
    x, y = max(box[0], 0.0), max(box[1], 0.0)
    return x, y, min(box[2], size[0] - x), min(box[3], size[1] - y)


def import_row(
    field: BoxesField,
    image: str,
    size: tuple[float, float],
    boxes: list[dict[str, Any]],
    *,
    model: str,
    annotators: list[tuple[str, list[dict[str, Any]]]] | None,
) -> dict[str, Any]:
    """The importer's row for one image: the payload with the image and (when the field has
    size keys) its size, or the size in the metadata as media processing writes it; its boxes
    as a pre-annotation from ``model``, or as finished ``annotations`` by annotator."""
    payload: dict[str, Any] = {field.source: image}
    metadata: dict[str, Any] = {}
    if field.width_key is not None and field.height_key is not None:
        payload[field.width_key] = number(size[0])
        payload[field.height_key] = number(size[1])
    else:
        metadata["media"] = {field.source: {"width": number(size[0]), "height": number(size[1])}}
    row: dict[str, Any] = {"payload": payload}
    if metadata:
        row["metadata"] = metadata
    if annotators is None:
        row["pre_annotations"] = [{"model": model, "value": {field.name: boxes}}]
    else:
        row["annotations"] = [
            {"annotator": who, "value": {field.name: given}} for who, given in annotators
        ]
    return row


def box_value(
    label: str, box: tuple[float, float, float, float], score: Any = None
) -> dict[str, Any]:
    """A labelworks box from pixel figures."""
    value: dict[str, Any] = {
        "x": number(box[0]),
        "y": number(box[1]),
        "width": number(box[2]),
        "height": number(box[3]),
        "label": label,
    }
    if isinstance(score, int | float) and not isinstance(score, bool) and 0 <= score <= 1:
        value["score"] = score
    return value


def find_image(tree: SourceTree, stem: str, files: Sequence[str]) -> str | None:
    """The member of ``files`` (an ``images/`` folder's, by preference) named ``stem`` with
    an image suffix."""
    best: str | None = None
    for member in files:
        path = PurePosixPath(member)
        if path.stem == stem and path.suffix.lower() in IMAGE_SUFFIXES:
            if "images" in path.parts[:-1]:
                return member
            best = best or member
    return best
