"""YOLO detection labels: export as an ultralytics dataset folder, import from a folder or
a zip archive in that layout or the older flat one.

Export, the layout ``yolo train data=data.yaml`` reads::

    data.yaml                 train, val (and test) image folders, nc, names; no ``path``:
                              ultralytics then finds the folders beside data.yaml (a relative
                              ``path`` would be taken from the working directory)
    images/<split>/<stem>.jpg the image, hard-linked or copied (downloaded for s3:// objects)
    labels/<split>/<stem>.txt ``class cx cy w h`` per box, normalised to 0..1 by the image's
                              size (every annotation's boxes in one file with labels=all)
    images.txt                the payload's image value of each labelled image, in the order
                              stems were given (the importer restores the values from it)
    missing_images.txt        images that could not be included (only when there are some)

Splits: ``formats.labelled_records.split_of``. Stems are unique in the whole folder (``a``,
``a-2``), so repeated image names never collide. Images come through the source's
``images``; one that cannot be placed is listed with where it belongs and why, its labels
written all the same unless its size is unknown too (they cannot be normalised then).

Import: the classes come from ``data.yaml`` (``names`` as a list or an index map), else
``classes.txt`` or ``obj.names``. A label file's image is the one ultralytics pairs with it
(the path with ``labels/`` as ``images/``), else one with its stem (under ``images/`` by
preference); its payload value is the ``images.txt`` line with its stem, else that image's
path; its size is read from the image's header (in the source, else the project's media).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urlsplit

import yaml

from labelworks.domain.errors import InvalidImport, InvalidInput, Location
from labelworks.domain.fields import BoxesField
from labelworks.domain.spec_document import SpecSyntaxError, load_document
from labelworks.formats.image_boxes import (
    IMAGE_SUFFIXES,
    BoxesSource,
    Progress,
    SourceTree,
    Stems,
    box_value,
    boxes_field,
    check_box,
    clamp_box,
    find_image,
    fresh_target,
    image_size,
    image_value,
    import_row,
    labelled_boxes,
    local_image_size,
    remove_partial,
    report,
)
from labelworks.formats.labelled_records import (
    MISSING_IMAGES,
    ImageFiles,
    MissingImage,
    Split,
    plan_splits,
    split_of,
)

NOT_LABELS = frozenset(
    {"images.txt", "classes.txt", "train.txt", "val.txt", "test.txt", MISSING_IMAGES}
)
NO_IMAGE_FILES = "this export copies no image files"


class YoloSource(BoxesSource, Protocol):
    """What the YOLO writer reads: the boxes source, where image files come from, and the
    share of images (split by hash) that go to validation."""

    @property
    def images(self) -> ImageFiles | None: ...

    @property
    def val_fraction(self) -> float: ...


def write_yolo(source: YoloSource, target: Path, progress: Progress | None) -> int:
    """Write the project's boxes as an ultralytics dataset folder; returns the label files
    written."""
    field = boxes_field(source.spec.fields)
    fresh_target(target)
    try:
        return _write(source, field, target, progress)
    except BaseException:
        remove_partial(target)
        raise


def _write(source: YoloSource, field: BoxesField, target: Path, progress: Progress | None) -> int:
    # A first pass decides the splits (and refuses a bad metadata split) before any file is
    # written: a validation image is guaranteed only once every image's place is known.
    moved = plan_splits(
        (r for r in source.records() if labelled_boxes(r, field, source.labels) is not None),
        source.val_fraction,
    )
    classes = {label: i for i, label in enumerate(field.labels)}
    used: set[Split] = set()
    (target / "images" / "train").mkdir(parents=True)
    (target / "labels" / "train").mkdir(parents=True)
    stems = Stems()
    images = done = missing = 0
    with (
        (target / "images.txt").open("w", encoding="utf-8", newline="\n") as listing,
        (target / MISSING_IMAGES).open("w", encoding="utf-8", newline="\n") as missed,
    ):
        for record in source.records():
            done += 1
            groups = labelled_boxes(record, field, source.labels)
            if groups is not None:
                value = image_value(record, field)
                split = split_of(record, source.val_fraction, moved)
                if split not in used:
                    used.add(split)
                    (target / "images" / split).mkdir(parents=True, exist_ok=True)
                    (target / "labels" / split).mkdir(parents=True, exist_ok=True)
                stem = stems.of(value)
                listing.write(value.replace("\n", " ") + "\n")
                where = f"images/{split}/{stem}{_suffix(value)}"
                why = (
                    NO_IMAGE_FILES
                    if source.images is None
                    else source.images.place(value, target / where)
                )
                try:
                    size: tuple[float, float] | None = image_size(record, field, source.media_root)
                except InvalidInput:
                    # The copy just placed tells, wherever it came from (a root, a bucket).
                    size = None if why else local_image_size(target, where)
                if size is None:
                    if why is None:
                        # Without its labels it would train as an image with nothing on it.
                        (target / where).unlink()
                        why = "the file is not an image whose header can be read"
                    why += "; its size is unknown, so its labels are not written either"
                if why is not None:
                    missed.write(MissingImage(value, where, why).line())
                    missing += 1
                if size is not None:
                    lines = _lines(record, field, classes, groups, size)
                    (target / "labels" / split / f"{stem}.txt").write_text(
                        "".join(lines), encoding="utf-8"
                    )
                    images += 1
            report(progress, done, source.total)
    if not missing:
        (target / MISSING_IMAGES).unlink()
    data: dict[str, Any] = {
        "train": "images/train",
        # ultralytics needs validation images; with none (val_fraction 0), it validates on
        # the training images rather than failing.
        "val": "images/val" if "val" in used else "images/train",
    }
    if "test" in used:
        data["test"] = "images/test"
    data |= {"nc": len(field.labels), "names": dict(enumerate(field.labels))}
    (target / "data.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    report(progress, done, source.total, last=True)
    return images


def _suffix(value: str) -> str:
    """The image file's suffix: the value's own when it is an image suffix; else ``.jpg``
    (ultralytics finds images by suffix and reads their format from the content)."""
    path = urlsplit(value).path if "://" in value else value
    suffix = PurePosixPath(path).suffix.lower()
    return suffix if suffix in IMAGE_SUFFIXES else ".jpg"


def _lines(
    record: dict[str, Any],
    field: BoxesField,
    classes: dict[str, int],
    groups: list[tuple[str | None, list[dict[str, Any]]]],
    size: tuple[float, float],
) -> list[str]:
    width, height = size
    lines = []
    for _, given in groups:
        for box in given:
            label = box.get("label")
            if label not in classes:
                raise InvalidInput(
                    f"item {record['id']} has a box labelled {label!r}, which is "
                    "not among the field's labels",
                    location=Location(field=field.name),
                )
            x, y, w, h = (float(box[k]) for k in ("x", "y", "width", "height"))
            lines.append(
                f"{classes[label]} {(x + w / 2) / width:.6f} "
                f"{(y + h / 2) / height:.6f} {w / width:.6f} {h / height:.6f}\n"
            )
    return lines


# --- import -------------------------------------------------------------------------------


MAX_DATA_YAML = 1024 * 1024


def _yaml(raw: bytes, source: str) -> Any:
    """data.yaml read as the spec loader reads specs: alias bombs and deep nesting refused."""
    if len(raw) > MAX_DATA_YAML:
        raise InvalidImport(
            f"data.yaml is over {MAX_DATA_YAML:,} bytes", location=Location(file=source)
        )
    try:
        return load_document(raw.decode("utf-8")).data
    except UnicodeDecodeError:
        raise InvalidImport("data.yaml is not UTF-8", location=Location(file=source)) from None
    except SpecSyntaxError as exc:
        raise InvalidImport(
            f"not valid YAML: {exc.message}"[:300], location=Location(file=source, line=exc.line)
        ) from None


def _class_names(tree: SourceTree, files: list[str], field: BoxesField) -> list[str]:
    by_name = {PurePosixPath(f).name: f for f in files}
    names: Any = None
    where = ""
    if "data.yaml" in by_name:
        where = by_name["data.yaml"]
        data = _yaml(tree.read(where), f"{tree.name}/{where}")
        names = data.get("names") if isinstance(data, dict) else None
        if isinstance(names, dict) and all(isinstance(k, int) for k in names):
            names = (
                [names[k] for k in sorted(names)]
                if sorted(names) == list(range(len(names)))
                else None
            )
        if not isinstance(names, list):
            raise InvalidImport(
                "names must list the classes in class order",
                location=Location(file=f"{tree.name}/{where}", field="names"),
            )
    else:
        for candidate in ("classes.txt", "obj.names"):
            if candidate in by_name:
                where = by_name[candidate]
                text = tree.read(where).decode("utf-8", errors="replace")
                names = [line.strip() for line in text.splitlines() if line.strip()]
                break
    if not names:
        raise InvalidImport(
            "no data.yaml, classes.txt or obj.names names the classes",
            location=Location(file=tree.name),
        )
    for i, label in enumerate(names):
        if label not in field.labels:
            raise InvalidImport(
                f"class {label!r} is not a label of field '{field.name}' "
                f"({', '.join(field.labels)})",
                location=Location(file=f"{tree.name}/{where}", field=f"names[{i}]"),
            )
    return [str(n) for n in names]


def yolo_rows(
    tree: SourceTree,
    field: BoxesField,
    media_root: Path | None,
    *,
    annotator: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The importer's rows, one per label file (sorted by path): its boxes as a
    ``yolo-import`` pre-annotation, or, when ``annotator`` is given, as their annotation."""
    files = list(tree.files())
    names = _class_names(tree, files, field)
    listed: dict[str, str] = {}
    for member in files:
        if PurePosixPath(member).name == "images.txt":
            # Named as the export named them: a repeated image name's label file is a-2.txt.
            stems = Stems()
            for line in tree.read(member).decode("utf-8", errors="replace").splitlines():
                if line.strip():
                    listed.setdefault(stems.of(line.strip()), line.strip())
    in_labels = any("labels" in PurePosixPath(f).parts[:-1] for f in files)
    label_files = [
        f
        for f in files
        if f.endswith(".txt")
        and PurePosixPath(f).name not in NOT_LABELS
        and ("labels" in PurePosixPath(f).parts[:-1] or not in_labels)
    ]
    paired = _images_by_folder_and_stem(files)
    for member in label_files:
        image, size = _image_of(tree, files, listed, paired.get(_pair(member)), media_root, member)
        boxes = _boxes(tree, member, names, size)
        given = None if annotator is None else [(annotator, boxes)]
        yield import_row(field, image, size, boxes, model="yolo-import", annotators=given)


def _images_by_folder_and_stem(files: list[str]) -> dict[tuple[str, str], str]:
    """The source's image files by folder and stem (the first in path order)."""
    out: dict[tuple[str, str], str] = {}
    for member in files:
        path = PurePosixPath(member)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            out.setdefault((path.parent.as_posix(), path.stem), member)
    return out


def _pair(member: str) -> tuple[str, str]:
    """The folder and stem of the image ultralytics pairs with the label file ``member``:
    its path with the last ``labels`` folder named ``images`` (``labels/val/a.txt``:
    ``images/val/a.*``), which tells apart same-named images of different splits."""
    path = PurePosixPath(member)
    parts = list(path.parent.parts)
    if "labels" in parts:
        parts[len(parts) - 1 - parts[::-1].index("labels")] = "images"
    return PurePosixPath(*parts).as_posix() if parts else ".", path.stem


def _image_of(
    tree: SourceTree,
    files: list[str],
    listed: dict[str, str],
    paired: str | None,
    media_root: Path | None,
    member: str,
) -> tuple[str, tuple[float, float]]:
    stem = PurePosixPath(member).stem
    found = paired or find_image(tree, stem, files)
    value = listed.get(stem, found)
    size = None
    if value is not None and value in files:
        size = tree.image_size(value)
    if size is None and found is not None:
        size = tree.image_size(found)
    if size is None and value is not None and tree.folder is not None:
        size = local_image_size(tree.folder, value)
    if size is None and value is not None and media_root is not None:
        size = local_image_size(media_root, value)
    if value is None or size is None:
        raise InvalidImport(
            f"cannot find the image of {member} to read its size: list it in images.txt or "
            "put it in the source (images/<stem>.jpg)",
            location=Location(file=f"{tree.name}/{member}"),
        )
    return value, size


def _boxes(
    tree: SourceTree, member: str, names: list[str], size: tuple[float, float]
) -> list[dict[str, Any]]:
    source = f"{tree.name}/{member}"
    boxes = []
    text = tree.read(member).decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (5, 6):
            raise InvalidImport(
                f"expected 'class cx cy w h', got {len(parts)} values",
                location=Location(file=source, line=number),
            )
        try:
            klass = int(parts[0])
        except ValueError:
            raise InvalidImport(
                f"class must be a whole number, got {parts[0]!r}"[:200],
                location=Location(file=source, line=number, field="class"),
            ) from None
        if not 0 <= klass < len(names):
            raise InvalidImport(
                f"class {klass} is out of range (0..{len(names) - 1})",
                location=Location(file=source, line=number, field="class"),
            )
        try:
            cx, cy, w, h = (float(p) for p in parts[1:5])
            score = float(parts[5]) if len(parts) == 6 else None
        except ValueError:
            raise InvalidImport(
                "coordinates must be numbers", location=Location(file=source, line=number)
            ) from None
        width, height = size
        box = ((cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
        where = Location(file=source, line=number, field="bbox")
        check_box(box, size, where, f"the box on line {number}")
        x, y, bw, bh = clamp_box(box, size)
        boxes.append(
            box_value(names[klass], (round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)), score)
        )
    return boxes
