"""Pascal VOC: the exported XML parsed back, the import's rows, malformed and hostile XML."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from tests.formats.boxes_data import BOXES, IMAGES, boxes_spec, records, source

from labelworks.domain.errors import InvalidImport
from labelworks.formats.image_boxes import SourceTree, boxes_field
from labelworks.formats.voc import voc_rows, write_voc

FIELD = boxes_field(boxes_spec().fields)


def test_export_writes_the_voc_schema(tmp_path: Path) -> None:
    """One XML per labelled image with folder, filename, size and each object's bndbox."""
    target = tmp_path / "voc"
    assert write_voc(source(records()), target, None) == 3
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*.*")) == [
        "Annotations/a.xml",
        "Annotations/b.xml",
        "Annotations/c.xml",
        "ImageSets/Main/default.txt",
    ]
    assert (target / "ImageSets/Main/default.txt").read_text() == "a\nb\nc\n"
    root = ET.parse(target / "Annotations/a.xml").getroot()
    assert [(e.tag, e.text) for e in root if len(e) == 0] == [
        ("folder", "imgs"),
        ("filename", "a.jpg"),
        ("path", "imgs/a.jpg"),
        ("segmented", "0"),
    ]
    assert [(e.tag, e.text) for e in root.find("size") or []] == [
        ("width", "640"),
        ("height", "480"),
        ("depth", "3"),
    ]
    assert [
        (
            o.findtext("name"),
            o.findtext("difficult"),
            [b.text for b in o.find("bndbox") or []],
        )
        for o in root.iter("object")
    ] == [("cat", "0", ["10", "20", "40", "60"]), ("bird", "0", ["0", "0", "640", "480"])]


def test_round_trip_gives_the_same_boxes(tmp_path: Path) -> None:
    """Exported, then read back: each image's payload and boxes as they were."""
    target = tmp_path / "voc"
    write_voc(source(records()), target, None)
    rows = list(voc_rows(SourceTree.open(target, "voc"), FIELD))
    assert rows == [
        {
            "payload": {"image": IMAGES[i], "w": 640, "h": 480},
            "pre_annotations": [{"model": "voc-import", "value": {"objects": BOXES[i]}}],
        }
        for i in (1, 2, 3)
    ]


def test_all_annotations_round_trip_by_annotator(tmp_path: Path) -> None:
    """Every annotation exported with its annotator comes back as that person's annotation."""
    target = tmp_path / "voc"
    write_voc(source(records(final=False), labels="all"), target, None)
    rows = list(voc_rows(SourceTree.open(target, "voc"), FIELD, annotations=True))
    assert [r["annotations"] for r in rows[:2]] == [
        [
            {"annotator": "ann0@example.com", "value": {"objects": BOXES[1]}},
            {"annotator": "ann1@example.com", "value": {"objects": BOXES[1][:1]}},
        ],
        [
            {"annotator": "ann0@example.com", "value": {"objects": BOXES[2]}},
            {"annotator": "ann1@example.com", "value": {"objects": BOXES[2]}},
        ],
    ]


def _voc(body: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Annotations/x.xml", body)
    buffer.seek(0)
    return buffer


def _doc(objects: str, size: str = "<width>100</width><height>50</height>") -> str:
    return f"<annotation><filename>x.jpg</filename><size>{size}</size>{objects}</annotation>"


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<annotation><filename>&lol2;</filename></annotation>"""
BAD = [
    (
        "<annotation><filename>x.jpg</filename>\n<size>",
        "up.zip/Annotations/x.xml, line 2: malformed XML",
    ),
    (BOMB, "up.zip/Annotations/x.xml: DTDs and entities are refused in Pascal VOC files"),
    ("<root/>", "up.zip/Annotations/x.xml: the root element must be <annotation>, not <root>"),
    (
        _doc("", "<width>100</width>"),
        "up.zip/Annotations/x.xml, field 'size.height': needs a number in <height>, got ''",
    ),
    (
        _doc("<object><name>cow</name></object>"),
        "up.zip/Annotations/x.xml, field 'object[0].name': 'cow' is not a label of field 'objects'",
    ),
    (
        _doc(
            "<object><name>cat</name><bndbox><xmin>50</xmin><ymin>0</ymin><xmax>120</xmax><ymax>10</ymax></bndbox></object>"
        ),
        "up.zip/Annotations/x.xml, field 'object[0].bndbox': object 0 (cat) leaves the image: "
        "it reaches x 120, y 10 in an image of 100 by 50",
    ),
    (
        _doc("<object><name>cat</name><bndbox><xmin>a</xmin></bndbox></object>"),
        "up.zip/Annotations/x.xml, field 'object[0].bndbox.xmin': needs a number in <xmin>, "
        "got 'a'",
    ),
]


@pytest.mark.parametrize(("body", "message"), BAD)
def test_bad_voc_files_are_refused(body: str, message: str) -> None:
    """Malformed XML, XML bombs and boxes outside their image are refused naming the file."""
    with pytest.raises(InvalidImport) as caught:
        list(voc_rows(SourceTree.open(_voc(body), "up.zip"), FIELD))
    assert str(caught.value).startswith(message)
