"""Pascal VOC XML: export to a folder, import from a folder or a zip archive.

Export: ``Annotations/<image stem>.xml`` per image (``folder``, ``filename`` = the image's
file name, ``path`` = the payload's image value, ``size``, and an ``object`` per box with
``name``, ``pose``, ``truncated``, ``difficult`` 0 and ``bndbox`` ``xmin ymin xmax ymax`` as
0-based pixel edges, as CVAT writes them; an ``annotator`` element when all annotations are
exported) and ``ImageSets/Main/default.txt`` listing the stems.

Import reads every ``.xml`` file (under ``Annotations/`` when there is one) with DTDs and
entities refused (defusedxml): an XML bomb is refused, not expanded. The image is ``path``
unless it is absolute (a labelling tool's own disk), else ``filename``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from labelworks.domain.errors import InvalidImport, InvalidInput, Location
from labelworks.domain.fields import BoxesField
from labelworks.formats.image_boxes import (
    BoxesSource,
    Progress,
    SourceTree,
    Stems,
    box_value,
    boxes_field,
    check_box,
    clamp_box,
    fresh_target,
    image_size,
    image_value,
    import_row,
    labelled_boxes,
    number,
    remove_partial,
    report,
)


def write_voc(source: BoxesSource, target: Path, progress: Progress | None) -> int:
    """Write the project's boxes as a Pascal VOC folder; returns the images written."""
    field = boxes_field(source.spec.fields)
    fresh_target(target)
    try:
        return _write(source, field, target, progress)
    except BaseException:
        remove_partial(target)
        raise


def _text(parent: ET.Element, tag: str, value: Any) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = str(value)
    return child


def _write(source: BoxesSource, field: BoxesField, target: Path, progress: Progress | None) -> int:
    annotations = target / "Annotations"
    annotations.mkdir()
    sets = target / "ImageSets" / "Main"
    sets.mkdir(parents=True)
    stems = Stems()
    images = done = 0
    with (sets / "default.txt").open("w", encoding="utf-8", newline="\n") as listing:
        for record in source.records():
            done += 1
            groups = labelled_boxes(record, field, source.labels)
            if groups is not None:
                value = image_value(record, field)
                size = image_size(record, field, source.media_root)
                stem = stems.of(value)
                root = _document(record, field, value, size, groups)
                ET.ElementTree(root).write(
                    annotations / f"{stem}.xml", encoding="utf-8", xml_declaration=True
                )
                listing.write(stem + "\n")
                images += 1
            report(progress, done, source.total)
    report(progress, done, source.total, last=True)
    return images


def _document(
    record: dict[str, Any],
    field: BoxesField,
    value: str,
    size: tuple[float, float],
    groups: list[tuple[str | None, list[dict[str, Any]]]],
) -> ET.Element:
    root = ET.Element("annotation")
    path = PurePosixPath(value.split("://", 1)[-1])
    _text(root, "folder", path.parent.name)
    _text(root, "filename", path.name)
    _text(root, "path", value)
    _text(_text(root, "source", ""), "database", "labelworks")
    dims = ET.SubElement(root, "size")
    _text(dims, "width", number(size[0]))
    _text(dims, "height", number(size[1]))
    _text(dims, "depth", 3)
    _text(root, "segmented", 0)
    for annotator, given in groups:
        for box in given:
            label = box.get("label")
            if label not in field.labels:
                raise InvalidInput(
                    f"item {record['id']} has a box labelled {label!r}, which is not among "
                    "the field's labels",
                    location=Location(field=field.name),
                )
            x, y, w, h = (float(box[k]) for k in ("x", "y", "width", "height"))
            obj = ET.SubElement(root, "object")
            _text(obj, "name", label)
            _text(obj, "pose", "Unspecified")
            _text(obj, "truncated", 0)
            _text(obj, "difficult", 0)
            if annotator is not None:
                _text(obj, "annotator", annotator)
            bndbox = ET.SubElement(obj, "bndbox")
            for tag, figure in (("xmin", x), ("ymin", y), ("xmax", x + w), ("ymax", y + h)):
                _text(bndbox, tag, number(figure))
    return root


# --- import -------------------------------------------------------------------------------


def voc_rows(
    tree: SourceTree,
    field: BoxesField,
    *,
    annotations: bool = False,
    annotator: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The importer's rows, one per XML file (sorted by path): its objects as a
    ``voc-import`` pre-annotation, or (``annotations``) as finished annotations by each
    object's ``annotator`` element, else by ``annotator``."""
    files = [f for f in tree.files() if f.lower().endswith(".xml")]
    if any("Annotations" in PurePosixPath(f).parts[:-1] for f in files):
        files = [f for f in files if "Annotations" in PurePosixPath(f).parts[:-1]]
    if not files:
        raise InvalidImport("no Pascal VOC .xml files", location=Location(file=tree.name))
    for member in files:
        yield _row(tree, member, field, annotations, annotator)


def _parse(data: bytes, source: str) -> ET.Element:
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidImport(
            "DTDs and entities are refused in Pascal VOC files", location=Location(file=source)
        ) from None
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InvalidImport(
            f"malformed XML: {exc.msg if hasattr(exc, 'msg') else exc}"[:300],
            location=Location(file=source, line=line),
        ) from None
    if root.tag != "annotation":
        raise InvalidImport(
            f"the root element must be <annotation>, not <{root.tag}>"[:200],
            location=Location(file=source),
        )
    return root


def _figure(parent: ET.Element, tag: str, source: str, where: str, line: int | None) -> float:
    found = parent.find(tag)
    text = (found.text or "").strip() if found is not None else ""
    try:
        value = float(text)
    except ValueError:
        raise InvalidImport(
            f"needs a number in <{tag}>, got {text!r}"[:200],
            location=Location(file=source, line=line, field=f"{where}.{tag}"),
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidImport(
            f"<{tag}> is not a finite number",
            location=Location(file=source, line=line, field=f"{where}.{tag}"),
        )
    return value


def _row(
    tree: SourceTree, member: str, field: BoxesField, annotations: bool, annotator: str | None
) -> dict[str, Any]:
    source = f"{tree.name}/{member}"
    root = _parse(tree.read(member), source)
    dims = root.find("size")
    if dims is None:
        raise InvalidImport("has no <size>", location=Location(file=source, field="size"))
    size = (
        _figure(dims, "width", source, "size", None),
        _figure(dims, "height", source, "size", None),
    )
    if size[0] <= 0 or size[1] <= 0:
        raise InvalidImport(
            "the image size must be positive", location=Location(file=source, field="size")
        )
    path = (root.findtext("path") or "").strip()
    image = path if path and not path.startswith("/") and ":\\" not in path else ""
    image = image or (root.findtext("filename") or "").strip()
    if not image:
        raise InvalidImport(
            "has neither <path> nor <filename>", location=Location(file=source, field="filename")
        )
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for i, obj in enumerate(root.findall("object")):
        where = f"object[{i}]"
        label = (obj.findtext("name") or "").strip()
        if label not in field.labels:
            raise InvalidImport(
                f"{label!r} is not a label of field '{field.name}' ({', '.join(field.labels)})",
                location=Location(file=source, field=f"{where}.name"),
            )
        bndbox = obj.find("bndbox")
        if bndbox is None:
            raise InvalidImport(
                "has no <bndbox>", location=Location(file=source, field=f"{where}.bndbox")
            )
        at = f"{where}.bndbox"
        xmin, ymin, xmax, ymax = (
            _figure(bndbox, tag, source, at, None) for tag in ("xmin", "ymin", "xmax", "ymax")
        )
        box = (xmin, ymin, xmax - xmin, ymax - ymin)
        check_box(box, size, Location(file=source, field=at), f"object {i} ({label})")
        who: str | None = None
        if annotations:
            who = (obj.findtext("annotator") or "").strip() or annotator
            if not who:
                raise InvalidImport(
                    "names no annotator; give each object an <annotator> or pass one for all",
                    location=Location(file=source, field=f"{where}.annotator"),
                )
        groups.setdefault(who, []).append(box_value(label, clamp_box(box, size)))
    if not annotations:
        return import_row(
            field, image, size, groups.get(None, []), model="voc-import", annotators=None
        )
    if not groups and annotator is not None:
        groups = {annotator: []}
    given = [(who, boxes) for who, boxes in groups.items() if who is not None]
    return import_row(field, image, size, [], model="voc-import", annotators=given)
