"""What a media file is: the facts media processing stores on its item, and the small files
(thumbnails, waveform peaks, a display copy of a series) the pages draw instead of the file.

Pure: every probe takes the file's bytes and returns a ``Probed`` (facts and derived files
as bytes) or raises ``UnreadableMedia`` with a reason a person can act on. Images are read
here; audio, video and time series in ``audio_probe``, ``video_probe`` and
``series_probe``. ``probe`` picks one by the field's kind of media.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

MediaKind = Literal["image", "audio", "video", "timeseries"]
KINDS: tuple[MediaKind, ...] = ("image", "audio", "video", "timeseries")

THUMBNAIL_SIZE = 256  # the longer side of a thumbnail, in pixels
# EXIF orientations 5 to 8 turn the picture a quarter: its display size swaps width and height.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_ORIENTATION_TAG = 0x0112


class UnreadableMedia(Exception):
    """A file that cannot be processed, with the reason shown on its item."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Probed:
    """What a probe found: ``facts`` for the item's metadata (JSON values) and derived
    files by role (``thumbnail``, ``keyframe-0`` …, ``peaks``, ``series``)."""

    facts: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


def probe(kind: MediaKind, data: bytes, name: str = "") -> Probed:
    """Probe ``data`` (the file called ``name``) as ``kind`` of media."""
    return _probes()[kind](data, name)


def _probes() -> dict[MediaKind, Callable[[bytes, str], Probed]]:
    from labelworks.pipelines import audio_probe, series_probe, video_probe

    return {
        "image": probe_image,
        "audio": audio_probe.probe_audio,
        "video": video_probe.probe_video,
        "timeseries": series_probe.probe_series,
    }


def probe_image(data: bytes, name: str = "") -> Probed:
    """Format, size, EXIF orientation (and the size shown after it), a WebP thumbnail of at
    most 256 px and a 64-bit DCT perceptual hash of the picture as it is shown.

    The file is checked twice: ``verify`` reads its structure and checksums, ``load``
    decodes every pixel (a truncated file fails there). Images above Pillow's
    ``MAX_IMAGE_PIXELS`` are refused before any pixel is decoded.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise UnreadableMedia("the file is empty")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as checked:
                checked.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        limit = Image.MAX_IMAGE_PIXELS
        raise UnreadableMedia(
            f"image too large to decode safely (limit {limit:,} pixels): {exc}"
        ) from None
    except UnidentifiedImageError:
        raise UnreadableMedia("not an image Pillow can read (unknown or corrupt format)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableMedia(f"corrupt or truncated image: {exc}") from None
    with image:
        width, height = image.size
        orientation = _orientation(image)
        shown = ImageOps.exif_transpose(image)
        display = (height, width) if orientation in _QUARTER_TURNS else (width, height)
        facts: dict[str, Any] = {
            "kind": "image",
            "format": image.format,
            "mode": image.mode,
            "width": width,
            "height": height,
            "orientation": orientation,
            "display_width": display[0],
            "display_height": display[1],
            "phash": phash(shown),
        }
        return Probed(facts, {"thumbnail": thumbnail(shown)})


def _orientation(image: Any) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except (OSError, SyntaxError, ValueError):  # a broken EXIF block is no orientation
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def thumbnail(image: Any, size: int = THUMBNAIL_SIZE) -> bytes:
    """A WebP copy of ``image`` whose longer side is at most ``size`` pixels."""
    from PIL import Image

    small = image.copy()
    has_alpha = small.mode in ("RGBA", "LA") or (small.mode == "P" and "transparency" in small.info)
    small = small.convert("RGBA" if has_alpha else "RGB")
    small.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="WEBP", quality=80, method=2)
    return out.getvalue()


def phash(image: Any) -> str:
    """The 64-bit DCT perceptual hash as 16 hex digits (the ``imagehash.phash`` recipe).

    The picture is shrunk to 32×32 grey levels, its 2-D DCT-II taken, and each of the 8×8
    lowest frequencies becomes a bit: 1 when above their median. Bits run row by row,
    most significant first. Near-identical pictures differ in few bits (Hamming distance).
    """
    import numpy as np
    from PIL import Image
    from scipy.fft import dct

    grey = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    low = dct(dct(pixels, axis=0), axis=1)[:8, :8]
    bits = (low > np.median(low)).ravel()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def hamming(a: str, b: str) -> int:
    """How many of two perceptual hashes' 64 bits differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
