"""YOLO detection labels: export to a folder, import from a folder or a zip archive.

Export: ``labels/<image stem>.txt`` per image (``class cx cy w h``, normalised to 0..1 by the
image's size; every annotation's boxes in one file when all annotations are exported),
``images.txt`` (the payload's image values, one a line, in the order of the label files) and
``data.yaml`` (``path``, ``train``/``val`` = ``images.txt``, ``nc``, ``names``).

Import: the classes come from ``data.yaml`` (``names`` as a list or an index map), else
``classes.txt`` or ``obj.names``; each label file's image is the ``images.txt`` line with its
stem, else an image file with its stem in the source (under ``images/`` by preference), and
its size is read from that image's header (in the source, else under the project's media).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from labelworks.domain.errors import InvalidImport, InvalidInput, Location
from labelworks.domain.fields import BoxesField
from labelworks.domain.spec_document import SpecSyntaxError, load_document
from labelworks.formats.image_boxes import (
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

NOT_LABELS = frozenset({"images.txt", "classes.txt", "train.txt", "val.txt", "test.txt"})


def write_yolo(source: BoxesSource, target: Path, progress: Progress | None) -> int:
    """Write the project's boxes as a YOLO folder; returns the images written."""
    field = boxes_field(source.spec.fields)
    fresh_target(target)
    try:
        return _write(source, field, target, progress)
    except BaseException:
        remove_partial(target)
        raise


def _write(source: BoxesSource, field: BoxesField, target: Path, progress: Progress | None) -> int:
    classes = {label: i for i, label in enumerate(field.labels)}
    labels_dir = target / "labels"
    labels_dir.mkdir()
    stems = Stems()
    images = done = 0
    with (target / "images.txt").open("w", encoding="utf-8", newline="\n") as listing:
        for record in source.records():
            done += 1
            groups = labelled_boxes(record, field, source.labels)
            if groups is not None:
                value = image_value(record, field)
                width, height = image_size(record, field, source.media_root)
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
                stem = stems.of(value)
                (labels_dir / f"{stem}.txt").write_text("".join(lines), encoding="utf-8")
                listing.write(value.replace("\n", " ") + "\n")
                images += 1
            report(progress, done, source.total)
    data = {
        "path": ".",
        "train": "images.txt",
        "val": "images.txt",
        "nc": len(field.labels),
        "names": list(field.labels),
    }
    (target / "data.yaml").write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    report(progress, done, source.total, last=True)
    return images


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
    label_files = [
        f
        for f in files
        if f.endswith(".txt")
        and PurePosixPath(f).name not in NOT_LABELS
        and ("labels" in PurePosixPath(f).parts[:-1] or not any("labels/" in g for g in files))
    ]
    for member in label_files:
        stem = PurePosixPath(member).stem
        image, size = _image_of(tree, files, listed, stem, media_root, member)
        boxes = _boxes(tree, member, names, size)
        given = None if annotator is None else [(annotator, boxes)]
        yield import_row(field, image, size, boxes, model="yolo-import", annotators=given)


def _image_of(
    tree: SourceTree,
    files: list[str],
    listed: dict[str, str],
    stem: str,
    media_root: Path | None,
    member: str,
) -> tuple[str, tuple[float, float]]:
    found = find_image(tree, stem, files)
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
