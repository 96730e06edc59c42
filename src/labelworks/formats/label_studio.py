"""Label Studio JSON export of a project: the inverse of ``label_studio_tasks``.

One JSON array of tasks ``{"id", "data", "annotations", "predictions"}``: ``data`` is the
item's payload, each annotation carries ``completed_by: {"email"}``, ``created_at``,
``lead_time`` and its ``result`` list in Label Studio's shapes (``from_name`` the field,
``to_name`` its payload key), boxes as percentages of the image size (the payload's
``width_key``/``height_key``, else the local image file). With ``labels="final"`` the final
label is each item's one annotation, marked ``ground_truth`` and completed by the
adjudicator or ``CONSENSUS`` (an item waiting for adjudication has none: its proposal is not
a decision). Pairwise fields have no Label Studio result and are left out.
``label_config_of`` (``formats.label_studio_config``) writes the labeling config for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson

from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import BoxesField, FieldSpec
from labelworks.domain.spec import ProjectSpec
from labelworks.formats.labelled_records import with_decided_final

Progress = Callable[[int, int], None]
CONSENSUS = "consensus@labelworks.invalid"
_REPORT_EVERY = 1000


class TaskSource(Protocol):
    """What the writer reads (``services.dataset_exports.DatasetSource``)."""

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


def write_label_studio(source: TaskSource, target: Path, progress: Progress | None) -> int:
    """Write every item as a Label Studio task to ``target``; returns the tasks written."""
    fields = [f for f in source.spec.fields if f.kind != "pairwise"]
    written = 0
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("wb") as out:
            out.write(b"[")
            for record in source.records():
                task = task_of(record, fields, source.labels, source.media_root)
                out.write(b",\n" if written else b"\n")
                out.write(orjson.dumps(task))
                written += 1
                if progress is not None and written % _REPORT_EVERY == 0:
                    progress(written, source.total)
            out.write(b"\n]\n")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    if progress is not None:
        progress(written, source.total)
    return written


def task_of(
    record: dict[str, Any], fields: Sequence[FieldSpec], labels: str, media_root: Path
) -> dict[str, Any]:
    """One record of the JSONL export as a Label Studio task."""
    payload = record.get("payload") or {}
    counter = itertools.count(1)
    annotations = []
    if labels == "final":
        final = with_decided_final(record).get("final")
        if isinstance(final, dict) and isinstance(final.get("value"), dict):
            results = results_of(final["value"], fields, payload, media_root, counter)
            annotations.append(
                {
                    "id": next(counter),
                    "completed_by": {"email": final.get("decided_by") or CONSENSUS},
                    "created_at": final.get("decided_at"),
                    "updated_at": final.get("decided_at"),
                    "lead_time": None,
                    "was_cancelled": False,
                    "ground_truth": True,
                    "result": results,
                }
            )
    else:
        for annotation in record.get("annotations") or []:
            results = results_of(
                annotation.get("value") or {}, fields, payload, media_root, counter
            )
            annotations.append(
                {
                    "id": next(counter),
                    "completed_by": {"email": annotation.get("annotator")},
                    "created_at": annotation.get("created_at"),
                    "updated_at": annotation.get("created_at"),
                    "lead_time": annotation.get("seconds"),
                    "was_cancelled": False,
                    "ground_truth": False,
                    "result": results,
                }
            )
    predictions = [
        {
            "model_version": p.get("model"),
            "score": p.get("score"),
            "result": results_of(p.get("value") or {}, fields, payload, media_root, counter),
        }
        for p in record.get("pre_annotations") or []
    ]
    task: dict[str, Any] = {"id": record.get("id"), "data": payload}
    if record.get("external_id") is not None:
        task["meta"] = {"external_id": record["external_id"]}
    task["annotations"] = annotations
    task["predictions"] = predictions
    return task


def results_of(
    value: dict[str, Any],
    fields: Sequence[FieldSpec],
    payload: dict[str, Any],
    media_root: Path,
    ids: Iterator[int],
) -> list[dict[str, Any]]:
    """A labelworks value as Label Studio results."""
    out: list[dict[str, Any]] = []
    for f in fields:
        if f.name not in value:
            continue
        given = value[f.name]
        base = {"from_name": f.name, "to_name": f.source or "text", "origin": "manual"}
        if f.kind in ("choice", "multi_choice"):
            choices = given if isinstance(given, list) else [given]
            out.append({**base, "id": _id(ids), "type": "choices", "value": {"choices": choices}})
        elif f.kind == "text":
            out.append({**base, "id": _id(ids), "type": "textarea", "value": {"text": [given]}})
        elif f.kind == "rating":
            out.append({**base, "id": _id(ids), "type": "rating", "value": {"rating": given}})
        elif f.kind in ("spans", "segments"):
            text = payload.get(f.source) if f.kind == "spans" else None
            for mark in given if isinstance(given, list) else []:
                inner: dict[str, Any] = {"start": mark["start"], "end": mark["end"]}
                if isinstance(text, str):
                    inner["text"] = text[mark["start"] : mark["end"]]
                inner["labels"] = [mark["label"]]
                out.append({**base, "id": _id(ids), "type": "labels", "value": inner})
        elif f.kind == "boxes" and isinstance(f, BoxesField) and given:
            width, height = _image_size(f, payload, media_root)
            for box in given:
                inner = {
                    "x": box["x"] * 100 / width,
                    "y": box["y"] * 100 / height,
                    "width": box["width"] * 100 / width,
                    "height": box["height"] * 100 / height,
                    "rotation": 0,
                    "rectanglelabels": [box["label"]],
                }
                out.append(
                    {
                        **base,
                        "id": _id(ids),
                        "type": "rectanglelabels",
                        "original_width": width,
                        "original_height": height,
                        "image_rotation": 0,
                        "value": inner,
                    }
                )
    return out


def _id(ids: Iterator[int]) -> str:
    return f"r{next(ids)}"


def _image_size(field: BoxesField, payload: dict[str, Any], media_root: Path) -> tuple[int, int]:
    """The image's size in pixels: the payload's size keys, else the local file's."""
    if field.width_key and field.height_key:
        width, height = payload.get(field.width_key), payload.get(field.height_key)
        if (
            isinstance(width, int | float)
            and isinstance(height, int | float)
            and width > 0 < height
        ):
            return int(width), int(height)
    image = payload.get(field.source)
    if isinstance(image, str) and "://" not in image and not image.startswith("/"):
        path = (media_root / image).resolve()
        if path.is_relative_to(media_root.resolve()) and path.is_file():
            from PIL import Image  # only exports with boxes and local images need it

            with Image.open(path) as opened:
                return opened.size
    raise InvalidInput(
        f"Label Studio boxes are percentages of the image size, and the size of {image!r} is "
        f"unknown: give the field '{field.name}' width_key and height_key, or keep the "
        "images in the project's media folder"
    )
