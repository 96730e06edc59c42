"""The dataset-export part of the client: a project in the formats training code reads
(COCO, YOLO, Pascal VOC, CoNLL-2003, spaCy DocBin, Hugging Face datasets, Label Studio),
written to a local path as ``labelworks export --format NAME -o PATH`` writes it."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Literal

import httpx

from labelworks.domain.errors import InvalidInput
from labelworks.sdk.errors import error_from_response
from labelworks.sdk.paths import segment

DatasetFormat = Literal["coco", "yolo", "voc", "conll", "docbin", "hf", "labelstudio"]
DIRECTORY_FORMATS = ("yolo", "voc", "hf")
_CHUNK = 1024 * 1024


class DatasetExportsApi:
    """Mixed into ``Client``, which provides ``_http`` and ``_headers``."""

    _http: httpx.Client
    _headers: dict[str, str]

    def export_dataset(
        self,
        project: str,
        format: DatasetFormat,
        path: str | os.PathLike[str],
        *,
        labels: Literal["final", "all"] = "final",
        val_fraction: float | None = None,
    ) -> Path:
        """Write ``project`` in ``format`` to ``path`` and return it: a file, or for the
        directory formats (yolo, voc, hf) a folder, which must not exist yet or be empty.
        ``labels="final"`` writes each item's final label (none for a vendor's staff),
        ``"all"`` every annotation the caller may see. A project without the field kind a
        format needs (boxes for COCO, spans for CoNLL) raises ``InvalidInput`` naming it.
        ``val_fraction`` (yolo) is the share of images without a metadata split that go to
        validation (the server's default: 0.2); images the server could not include are
        listed in the folder's ``missing_images.txt``. Nothing is left at ``path`` unless
        the whole export arrived."""
        target = Path(path)
        directory = format in DIRECTORY_FORMATS
        if directory and target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise InvalidInput(
                f"{target} exists and is not an empty directory; the {format} format writes "
                "a directory: give a new path"
            )
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            download = staging / "download"
            url = f"/api/v1/projects/{segment(project)}/exports/{segment(format)}"
            params: dict[str, str | float] = {"labels": labels}
            if val_fraction is not None:
                params["val_fraction"] = val_fraction
            with self._http.stream("GET", url, params=params, headers=self._headers) as response:
                if response.is_error:
                    response.read()
                    raise error_from_response(response)
                with download.open("wb") as out:
                    for chunk in response.iter_bytes(_CHUNK):
                        out.write(chunk)
            if directory:
                folder = staging / "folder"
                _unzip(download, folder)
                if target.is_dir():
                    target.rmdir()
                folder.replace(target)
            else:
                download.replace(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target


def _unzip(archive_path: Path, folder: Path) -> None:
    """The zip's one top folder's contents into ``folder``; members that would land
    outside it are refused."""
    folder.mkdir()
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.infolist():
            parts = PurePosixPath(member.filename).parts[1:]
            if not parts or member.is_dir():
                continue
            if any(part in ("", ".", "..") for part in parts) or member.filename.startswith("/"):
                raise InvalidInput(f"the export holds an unsafe path: {member.filename!r}")
            destination = folder.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, destination.open("wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
