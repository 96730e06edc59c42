"""Image probing: facts, EXIF orientation, thumbnails, the perceptual hash, and every way a
file can be refused with a reason (truncated, not an image, a decompression bomb)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from labelworks.pipelines.media_probe import UnreadableMedia, hamming, phash, probe, probe_image


def _png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (255, 255, 255))
    image.paste(colour, (width // 4, height // 4, width // 2, height // 2))
    image.save(out, format="PNG")
    return out.getvalue()


def _jpeg_with_orientation(width: int, height: int, orientation: int) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb_png(width: int, height: int) -> bytes:
    """A PNG header that claims ``width`` × ``height`` pixels, with one tiny IDAT."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00"))
        + _chunk(b"IEND", b"")
    )


def test_a_png_reports_its_size_format_and_a_thumbnail() -> None:
    """A plain PNG: format, mode, size, orientation 1, display size equal, WebP thumbnail."""
    result = probe("image", _png(640, 480), "a.png")
    thumb = Image.open(io.BytesIO(result.files["thumbnail"]))
    assert (result.facts | {"phash": "-"}, thumb.format, thumb.size, list(result.files)) == (
        {
            "kind": "image",
            "format": "PNG",
            "mode": "RGB",
            "width": 640,
            "height": 480,
            "orientation": 1,
            "display_width": 640,
            "display_height": 480,
            "phash": "-",
        },
        "WEBP",
        (256, 192),
        ["thumbnail"],
    )


@pytest.mark.parametrize(
    ("orientation", "display"), [(1, (300, 200)), (3, (300, 200)), (6, (200, 300)), (8, (200, 300))]
)
def test_exif_orientation_is_reported_with_the_display_size(
    orientation: int, display: tuple[int, int]
) -> None:
    """Orientations 5-8 swap the shown width and height; the thumbnail follows the display."""
    result = probe_image(_jpeg_with_orientation(300, 200, orientation))
    thumb = Image.open(io.BytesIO(result.files["thumbnail"]))
    facts = result.facts
    assert (
        facts["width"],
        facts["height"],
        facts["orientation"],
        (facts["display_width"], facts["display_height"]),
        thumb.size[0] > thumb.size[1],
    ) == (300, 200, orientation, display, display[0] > display[1])


def test_the_phash_is_16_hex_digits_and_stable_under_resizing() -> None:
    """The same picture at another size hashes within a few bits; a different one far."""
    big = Image.open(io.BytesIO(_png(400, 300)))
    small = big.resize((200, 150))
    other = Image.fromarray((np.indices((300, 400)).sum(axis=0) % 40 * 6).astype(np.uint8)).convert(
        "RGB"
    )
    a, b, c = phash(big), phash(small), phash(other)
    assert (
        len(a),
        all(ch in "0123456789abcdef" for ch in a),
        hamming(a, b) <= 4,
        hamming(a, c) > 10,
    ) == (
        16,
        True,
        True,
        True,
    )


def test_phash_matches_the_reference_recipe() -> None:
    """Bits are the 8×8 low DCT frequencies above their median, row by row, MSB first."""
    from scipy.fft import dct

    image = Image.open(io.BytesIO(_png(123, 77, (0, 200, 90))))
    grey = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=float)
    low = dct(dct(grey, axis=0), axis=1)[:8, :8]
    bits = "".join("1" if v > np.median(low) else "0" for v in low.ravel())
    assert phash(image) == f"{int(bits, 2):016x}"


def test_a_truncated_image_is_refused_with_a_reason() -> None:
    """Half a PNG fails when its pixels are decoded, named as corrupt or truncated."""
    data = _png(300, 300)
    with pytest.raises(UnreadableMedia) as caught:
        probe_image(data[: len(data) // 2])
    assert caught.value.reason.startswith("corrupt or truncated image")


def test_a_truncated_jpeg_is_refused_with_a_reason() -> None:
    """A JPEG cut short is refused, not decoded with grey filler."""
    out = io.BytesIO()
    noise = np.random.default_rng(1).integers(0, 255, (200, 200, 3), dtype=np.uint8)
    Image.fromarray(noise).save(out, format="JPEG")
    with pytest.raises(UnreadableMedia) as caught:
        probe_image(out.getvalue()[:3000])
    assert caught.value.reason.startswith("corrupt or truncated image")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"hello, not a picture", "not an image Pillow can read (unknown or corrupt format)"),
    ],
)
def test_what_is_not_an_image_is_refused(data: bytes, reason: str) -> None:
    """Empty files and text are refused with their reason."""
    with pytest.raises(UnreadableMedia) as caught:
        probe_image(data)
    assert caught.value.reason == reason


@pytest.mark.parametrize("side", [12_000, 50_000])
def test_a_decompression_bomb_is_a_reason_not_a_crash(side: int) -> None:
    """Above MAX_IMAGE_PIXELS (the warning band and the error band) nothing is decoded."""
    with pytest.raises(UnreadableMedia) as caught:
        probe_image(_bomb_png(side, side))
    assert caught.value.reason.startswith(
        f"image too large to decode safely (limit {Image.MAX_IMAGE_PIXELS:,} pixels)"
    )


def test_transparent_images_keep_their_alpha_in_the_thumbnail() -> None:
    """An RGBA PNG gets an RGBA WebP thumbnail."""
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(out, format="PNG")
    thumb = Image.open(io.BytesIO(probe_image(out.getvalue()).files["thumbnail"]))
    assert (thumb.mode, thumb.size) == ("RGBA", (50, 40))
