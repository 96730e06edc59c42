"""Shared data for the COCO, YOLO and Pascal VOC tests: a boxes project and exported records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelworks.domain.spec import ProjectSpec, spec_from_dict
from labelworks.services.dataset_exports import DatasetLabels, DatasetSource

LABELS = ["cat", "dog", "bird"]


def boxes_spec(*, size_keys: bool = True, name: str = "shots") -> ProjectSpec:
    field: dict[str, Any] = {"name": "objects", "kind": "boxes", "labels": LABELS}
    if size_keys:
        field |= {"width_key": "w", "height_key": "h"}
    return spec_from_dict({"name": name, "fields": [field], "overlap": 1})


def box(x: float, y: float, w: float, h: float, label: str) -> dict[str, Any]:
    return {"x": x, "y": y, "width": w, "height": h, "label": label}


# Three images: two boxes, one box, none (an image looked at with nothing to mark).
BOXES = {
    1: [box(10, 20, 30, 40, "cat"), box(0, 0, 640, 480, "bird")],
    2: [box(5.5, 6.25, 100, 50, "dog")],
    3: [],
}
IMAGES = {1: "imgs/a.jpg", 2: "imgs/b.png", 3: "https://cdn.example.com/c.jpg?v=2"}


def records(*, final: bool = True, sized: bool = True) -> list[dict[str, Any]]:
    """Exported records of the three images with their final labels (or two annotators'
    annotations each), and a fourth image nobody labelled."""
    out = []
    for item_id, image in IMAGES.items():
        payload: dict[str, Any] = {"image": image}
        if sized:
            payload |= {"w": 640, "h": 480}
        record: dict[str, Any] = {"id": item_id, "payload": payload, "metadata": {}}
        value = {"objects": BOXES[item_id]}
        if final:
            record["final"] = {"value": value, "method": "majority"}
            record["annotations"] = []
        else:
            record["annotations"] = [
                {"annotator": "ann0@example.com", "value": value},
                {"annotator": "ann1@example.com", "value": {"objects": BOXES[item_id][:1]}},
            ]
        out.append(record)
    out.append({"id": 4, "payload": {"image": "d.jpg", "w": 10, "h": 10}, "annotations": []})
    return out


def source(
    recs: list[dict[str, Any]],
    *,
    labels: DatasetLabels = "final",
    spec: ProjectSpec | None = None,
    media_root: Path = Path("/nonexistent"),
) -> DatasetSource:
    return DatasetSource(
        project="shots",
        spec=spec or boxes_spec(),
        labels=labels,
        total=len(recs),
        media_root=media_root,
        records=lambda: iter(recs),
    )
