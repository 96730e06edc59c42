"""The image files a dataset export puts beside its labels (the YOLO folder's ``images/``),
and those it could not.

A payload value is placed only from where the media route serves it: a relative path inside
the project's media folder, or inside a registered media root when its first part names one
(``media_roots.resolve_local``), is hard-linked (copied when the link is refused, e.g.
across file systems); an ``s3://bucket/key`` object is downloaded when the export is given
the object storage options. Item content is untrusted, so an absolute path, a path leaving
its folder, an http(s) URL or any other scheme is never read: it is reported back with the
reason, and the export goes on without it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.domain.media import is_object, is_remote
from labelworks.domain.sources import ObjectPrefix, parse_source
from labelworks.formats.labelled_records import MISSING_IMAGES, MissingImage
from labelworks.services import media_roots
from labelworks.services.object_store import ObjectStore, S3Options

REMOTE = "a URL: exports do not download from the web; fetch it yourself"
NOT_CONFIGURED = "an object in S3-compatible storage, and this export was given no object storage"
NO_FILE = (
    "no such file in the project's media folder or media roots (absolute paths and paths "
    "leaving the folder are not read)"
)


class ExportImages:
    """Places the images of one project's export (``formats.labelled_records.ImageFiles``)."""

    def __init__(self, media_dir: Path, project: str, s3: S3Options | None) -> None:
        # The media folder is <data_dir>/media; the media roots' registry sits beside it.
        self.data_dir = media_dir.parent
        self.project = project
        self.s3 = s3
        self._objects: ObjectStore | None = None
        self._refused: str | None = None

    def place(self, value: str, destination: Path) -> str | None:
        """Put the image ``value`` names at ``destination``; ``None``, or why it is not."""
        if is_remote(value):
            return REMOTE
        if is_object(value):
            return self._download(value, destination)
        if ":" in value.split("/", 1)[0]:
            return "not a path in the project's media folder"
        try:
            source = media_roots.resolve_local(self.data_dir, self.project, value)
        except NotFound:
            return NO_FILE
        try:
            os.link(source, destination)
        except OSError:
            try:
                shutil.copyfile(source, destination)
            except OSError as exc:
                destination.unlink(missing_ok=True)
                return f"could not be copied: {exc.strerror or exc}"
        return None

    def _download(self, value: str, destination: Path) -> str | None:
        if self.s3 is None:
            return NOT_CONFIGURED
        try:
            found = parse_source(value)
        except InvalidInput as exc:
            return str(exc)
        if not isinstance(found, ObjectPrefix) or not found.prefix or found.prefix.endswith("/"):
            return "the value names no object (s3://bucket/key)"
        try:
            objects = self._store()
            body = objects.open(found.bucket, found.prefix)
            try:
                with destination.open("wb") as out:
                    shutil.copyfileobj(body, out, 1024 * 1024)
            finally:
                body.close()
        except Exception as exc:  # the store's errors (a missing object, refused credentials)
            destination.unlink(missing_ok=True)
            return str(exc) or type(exc).__name__
        return None

    def _store(self) -> ObjectStore:
        # One client for the export; when it cannot be made (no boto3, no credentials) every
        # object gets that reason without trying again.
        if self._refused is not None:
            raise InvalidInput(self._refused)
        if self._objects is None:
            assert self.s3 is not None
            try:
                self._objects = ObjectStore(self.s3)
            except InvalidInput as exc:
                self._refused = str(exc)
                raise
        return self._objects


def missing_images(folder: Path, limit: int) -> tuple[int, tuple[MissingImage, ...]]:
    """How many images the exported ``folder``'s ``MISSING_IMAGES`` lists, and the first
    ``limit`` of them (``(0, ())`` when it has none)."""
    path = folder / MISSING_IMAGES
    if not path.is_file():
        return 0, ()
    count = 0
    first: list[MissingImage] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            count += 1
            if len(first) < limit:
                value, where, reason = [*line.rstrip("\n").split("\t"), "", ""][:3]
                first.append(MissingImage(value, where, reason))
    return count, tuple(first)
