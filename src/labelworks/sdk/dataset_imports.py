"""The dataset import part of the client: items from COCO, YOLO or Pascal VOC boxes."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

from labelworks.schemas.api import ImportOut
from labelworks.sdk.paths import segment


def _zipped(folder: Path) -> bytes:
    """A folder as a zip archive, its files under their paths inside it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


class DatasetImportsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def import_dataset(
        self,
        project: str,
        source: str | os.PathLike[str],
        *,
        format: str,
        as_: str = "pre",
        annotator: str | None = None,
        field: str | None = None,
        create_annotators: bool = False,
    ) -> ImportOut:
        """Add one item per image of a COCO file, or of a YOLO or VOC folder or zip, with its
        boxes as pre-annotations (``as_="pre"``) or finished annotations (``"annotations"``,
        by the annotators the source names, else ``annotator``); all or nothing. A folder is
        zipped on the way. Errors name the file inside the source, its line and field."""
        path = Path(source)
        data = _zipped(path) if path.is_dir() else path.read_bytes()
        kind = "application/json" if format == "coco" else "application/zip"
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/items/dataset",
            params={
                "format": format,
                "as": as_,
                "annotator": annotator,
                "field": field,
                "create_annotators": "true" if create_annotators else None,
            },
            content=data,
            content_type=kind,
        )
        return ImportOut.model_validate(response.json())
